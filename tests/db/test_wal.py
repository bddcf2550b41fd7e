"""SQLite's write-ahead log kept short (``xinzhi.db.wal``): copied back in the background, restarted by writers."""

from __future__ import annotations

import datetime as dt
import os
import signal
import threading
import time
from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import func, select, text

from tests.api.conftest import make_community, serve
from tests.api.test_hostile_rulesets import server_pid
from tests.db.test_statistics import facts
from tests.support.fixtures import new_community, settings_for
from xinzhi.db import wal
from xinzhi.db.tables import Fact
from xinzhi.ledger import totals_by_resident
from xinzhi.scoring import post_facts
from xinzhi.service import open_service


def sizes_after(tmp_path, name: str, monkeypatch, *, restart_every: int = 10**9, copy_every: int = 10**9,
                until: Callable[[int, int], bool] = lambda db, log: True) -> tuple[int, int]:
    """The database file's and the log's sizes once 600 facts are posted (and ``until`` holds, within 60 s)."""
    monkeypatch.setattr(wal, "RESTART_ROWS", restart_every)
    monkeypatch.setattr(wal, "COPY_ROWS", copy_every)
    service = open_service(settings_for(f"sqlite:///{tmp_path}/{name}.db"))
    try:  # measured before the service closes: the last connection to close copies the log back itself
        community = new_community(service)
        for first in range(0, 600, 100):
            post_facts(service, community, facts(first, 100))
        deadline = time.monotonic() + 60
        while True:
            sizes = (tmp_path / f"{name}.db").stat().st_size, (tmp_path / f"{name}.db-wal").stat().st_size
            if until(*sizes) or time.monotonic() > deadline:
                return sizes
            time.sleep(0.05)
    finally:
        service.close()


def test_the_log_is_restarted_as_rows_are_written(tmp_path, monkeypatch):
    """A server always has a reader, and SQLite's own checkpoints wait for none: writers restart the log."""
    _, never = sizes_after(tmp_path, "never", monkeypatch)
    _, often = sizes_after(tmp_path, "often", monkeypatch, restart_every=150)
    assert often < never / 2, (often, never)


def test_the_log_is_copied_back_in_the_background_without_a_restart(tmp_path, monkeypatch):
    """With no restart on the write path, the facts still reach the database file: the copier put them there."""
    kept_in_log, _ = sizes_after(tmp_path, "log", monkeypatch)
    copied, _ = sizes_after(tmp_path, "copied", monkeypatch, copy_every=150,
                            until=lambda db, log: db > kept_in_log)
    assert copied > kept_in_log, (copied, kept_in_log)


def test_closing_the_service_stops_its_copier(tmp_path, monkeypatch):
    def copiers() -> int:
        return sum(thread.name == "xinzhi-wal" and thread.is_alive() for thread in threading.enumerate())

    before = copiers()
    monkeypatch.setattr(wal, "COPY_ROWS", 150)
    service = open_service(settings_for(f"sqlite:///{tmp_path}/closing.db"))
    community = new_community(service)
    post_facts(service, community, facts(0, 200))
    assert copiers() == before + 1
    service.close()
    assert copiers() == before


BATCH = 500
FAR_FUTURE = dt.datetime(2200, 1, 1, tzinfo=dt.UTC)


def batch(k: int) -> list[dict]:
    start = dt.datetime(2021, 1, 1, 8, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    return [{"id": f"w{k}-{i}", "type": "cleanup", "resident": f"r{1 + i % 50}",
             "occurred_at": (start + dt.timedelta(minutes=k * BATCH + i)).isoformat(), "fields": {"count": 1 + i % 7}}
            for i in range(BATCH)]


@pytest.mark.parametrize("delay", [2.5, 4.0])
def test_a_kill_while_the_log_is_copied_back_loses_no_acknowledged_batch(tmp_path, delay):
    """kill -9 a server while it posts batches and its copier works: every answered batch is stored, whole."""
    url = f"sqlite:///{tmp_path / 'k.db'}"
    answered: list[int] = []
    with serve(url, cwd=tmp_path) as base:
        with httpx.Client(base_url=base, timeout=60) as http:
            community = make_community(http, residents=50)
        pid = server_pid(httpx.Client(base_url=base))

        def post() -> None:
            with httpx.Client(base_url=base, timeout=60) as http:
                for k in range(1_000):
                    try:
                        http.post(f"/communities/{community}/facts/batch", json={"facts": batch(k)}).raise_for_status()
                    except httpx.TransportError:
                        return  # the server died under us: that is the point
                    answered.append(k)

        sender = threading.Thread(target=post)
        sender.start()
        time.sleep(delay)
        os.kill(pid, signal.SIGKILL)
        sender.join()
    assert len(answered) * BATCH * 2 > wal.COPY_ROWS  # the copier had started: the kill may have met it
    service = open_service(settings_for(url))
    try:
        with service.db.reading() as session:
            assert session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
            stored = session.scalar(select(func.count()).select_from(Fact).where(Fact.community == community))
            kept, summed = (totals_by_resident(session, community),
                            totals_by_resident(session, community, until=FAR_FUTURE))
        assert stored % BATCH == 0 and stored >= len(answered) * BATCH, (stored, len(answered))
        assert kept == summed
    finally:
        service.close()
