"""No one caller can starve the draft workers, and no draft can hold one for ever.

Found by attack: one draft whose dry-run blew up held the only worker, and every publish
waited behind it; a caller could queue any number of dry-runs ahead of everyone else.
"""

from __future__ import annotations

import threading
import time

import pytest

from tests.support.standard import CIVIC_V1
from xinzhi.errors import ServiceCode, ServiceError
from xinzhi.registry import drafts

MANY = [{"id": f"f{i}", "type": "activity", "resident": f"r{i % 50}",
         "occurred_at": f"2022-03-{1 + i % 28:02d}T10:00:00+08:00", "fields": {"name": "a"}} for i in range(20_000)]


def slow(pool: drafts.DraftPool, caller: str, **options) -> object:
    """A dry-run of 20,000 facts: long enough (about a second) for others to queue behind it."""
    return pool.run(drafts.evaluate_draft, CIVIC_V1, "civic.yaml", {}, MANY, False, caller=caller, **options)


def until(condition, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the pool never reached the expected state"
        time.sleep(0.005)


def test_a_draft_running_past_its_time_is_stopped_and_the_worker_replaced():
    pool = drafts.DraftPool(workers=1, seconds=0.05)  # a worker cannot even start in 50 ms
    try:
        with pytest.raises(ServiceError) as stopped:
            slow(pool, "committee-a")
        assert stopped.value.code == ServiceCode.DRAFT_TOO_SLOW and "0.05 s" in stopped.value.detail
        assert pool.load() == (0, 0)
        pool.seconds = 60
        assert pool.run(drafts.worker_pid) > 0 and pool.started == 2  # a fresh worker served the next task
    finally:
        pool.close()


def test_one_caller_cannot_queue_ahead_of_everyone_and_publishing_goes_first():
    pool = drafts.DraftPool(workers=1, per_caller=2, seconds=60)
    pool.run(drafts.worker_pid)  # a warm worker
    finished: list[str] = []

    def start(name: str, task) -> threading.Thread:
        thread = threading.Thread(target=lambda: (task(), finished.append(name)))
        thread.start()
        return thread

    try:
        threads = [start("a1", lambda: slow(pool, "a"))]
        until(lambda: pool.load() == (1, 0))
        threads.append(start("a2", lambda: slow(pool, "a")))
        until(lambda: pool.load() == (1, 1))
        with pytest.raises(ServiceError) as busy:  # a third task of the same caller is refused at once
            pool.run(drafts.worker_pid, caller="a")
        assert busy.value.code == ServiceCode.DRAFTS_BUSY
        threads.append(start("b1", lambda: pool.run(drafts.worker_pid, caller="b")))
        until(lambda: pool.load() == (1, 2))
        threads.append(start("publish", lambda: pool.run(drafts.test_draft, CIVIC_V1, "civic.yaml", {},
                                                          caller="c", urgent=True)))
        until(lambda: pool.load() == (1, 3))
        for thread in threads:
            thread.join(timeout=120)
        assert finished == ["a1", "publish", "a2", "b1"]
        assert pool.load() == (0, 0)
    finally:
        pool.close()
