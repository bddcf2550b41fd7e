"""The public board's latency as the ledger grows: running sums (what it reads) vs a full ledger scan.

    .venv/bin/python benchmarks/board.py

Prints a table at 10k, 50k and 100k ledger entries over 1,000 residents (SQLite). The board
should stay flat; the scan column is what it cost when the board summed the whole ledger.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES = (10_000, 50_000, 100_000)
RESIDENTS = 1_000
BATCH = 5_000


def timed(run: Callable[[], object], times: int = 5) -> float:
    """Mean milliseconds of ``run``."""
    start = time.perf_counter()
    for _ in range(times):
        run()
    return (time.perf_counter() - start) / times * 1000


def main() -> None:
    sys.path.insert(0, str(ROOT))  # tests.support: the civic test standard
    from tests.support.standard import CIVIC_V1
    from xinzhi.clock import end_of, today
    from xinzhi.communities import CommunityCreate, ResidentCreate, create_community, register_residents
    from xinzhi.ledger import totals_by_resident
    from xinzhi.registry import publish_ruleset, upload_ruleset
    from xinzhi.review import public_board
    from xinzhi.scoring import post_facts
    from xinzhi.service import open_service
    from xinzhi.settings import Settings

    folder = tempfile.mkdtemp()
    service = open_service(Settings(database_url=f"sqlite:///{folder}/board.db", rulesets_dir=None,
                                    max_batch_facts=BATCH))
    create_community(service, CommunityCreate(id="b", name="看板"))
    register_residents(service, "b", [ResidentCreate(id=f"r{i}", name=f"居民{i}", zone="north" if i % 2 else "south")
                                      for i in range(RESIDENTS)])
    summary = upload_ruleset(service, "b", CIVIC_V1)
    publish_ruleset(service, "b", summary.id, summary.version)

    def scan() -> None:
        with service.db.reading() as session:
            totals_by_resident(session, "b", until=end_of(today()))

    rng = random.Random(1)
    start = dt.datetime(2022, 1, 1, tzinfo=dt.UTC)
    posted = 0
    print("| ledger entries | board (running sums) | full ledger scan |")
    print("|---|---|---|")
    for size in SIZES:
        while posted < size:
            post_facts(service, "b", [{"id": f"f{posted + k}", "type": "violation",
                                       "resident": f"r{rng.randrange(RESIDENTS)}",
                                       "occurred_at": (start + dt.timedelta(minutes=posted + k)).isoformat(),
                                       "fields": {"kind": "parking"}} for k in range(BATCH)])
            posted += BATCH
        print(f"| {posted:,} | {timed(lambda: public_board(service, 'b')):.1f} ms | {timed(scan):.1f} ms |")
    service.close()


if __name__ == "__main__":
    main()
