"""A large CSV import is all or nothing, even when the server is killed (kill -9) while it writes.

Found by attack: the import committed every 2,000 rows, so a kill left 2,000–18,000 of
20,000 rows in 9 of 29 tries. Now the file is one transaction: after a kill at any moment
the community holds none of its facts or all of them.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import httpx
import pytest

from tests.api.conftest import make_community, serve
from tests.api.test_hostile_rulesets import server_pid

ROWS = 20_000


def csv_file() -> bytes:
    lines = ["id,type,resident,occurred_at,name,count,kind"]
    lines += [f"imp{i},violation,r{1 + i % 50},2021-0{1 + i % 9}-0{1 + i % 9}T10:00:00+08:00,,,parking"
              for i in range(ROWS)]
    return ("\n".join(lines) + "\n").encode()


def stored_facts(base: str, community: str) -> int:
    with httpx.Client(base_url=base, timeout=60) as http:
        return http.get(f"/communities/{community}/summary").json()["facts"]


@pytest.mark.parametrize("delay", [0.5, 1.5, 3.0])
def test_a_kill_during_a_large_import_leaves_none_or_all_of_it(tmp_path, delay):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    with serve(url, cwd=tmp_path) as base:
        with httpx.Client(base_url=base, timeout=60) as http:
            community = make_community(http, residents=50)
        pid = server_pid(httpx.Client(base_url=base))
        body = csv_file()

        def upload() -> None:
            try:
                with httpx.Client(base_url=base, timeout=120) as http:
                    http.post(f"/communities/{community}/facts/import", content=body,
                              headers={"content-type": "text/csv"})
            except httpx.TransportError:
                pass  # the server died under us: that is the point

        sender = threading.Thread(target=upload)
        sender.start()
        time.sleep(delay)
        os.kill(pid, signal.SIGKILL)
        sender.join()
    with serve(url, cwd=tmp_path) as base:
        assert stored_facts(base, community) in (0, ROWS)
