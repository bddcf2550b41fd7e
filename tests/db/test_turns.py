"""SQLite writers of one process take turns in the order they asked (``db.turns``), not as the busy handler picks."""

from __future__ import annotations

import threading
import time

from xinzhi.db.turns import Turns


def queued(turns: Turns, n: int) -> None:
    """Wait until ``n`` writers hold or wait for a turn."""
    deadline = time.monotonic() + 10
    while len(turns._queue) < n:  # the queue is the state under test
        assert time.monotonic() < deadline, "a writer never asked"
        time.sleep(0.001)


def test_writers_write_in_the_order_they_asked():
    turns = Turns(wait_s=30)
    order: list[int] = []
    release = threading.Event()

    def first() -> None:
        with turns.turn():
            release.wait(10)
            order.append(0)

    def writer(number: int) -> None:
        with turns.turn():
            order.append(number)

    threads = [threading.Thread(target=first)]
    threads[0].start()
    queued(turns, 1)
    for number in (1, 2, 3, 4, 5):  # each asks only once the one before it is waiting
        threads.append(threading.Thread(target=writer, args=(number,)))
        threads[-1].start()
        queued(turns, number + 1)
    release.set()
    for thread in threads:
        thread.join(10)
    assert order == [0, 1, 2, 3, 4, 5]
    assert not turns._queue


def test_a_writer_that_waited_too_long_goes_anyway_and_the_queue_recovers():
    turns = Turns(wait_s=0.05)
    release = threading.Event()

    def hold() -> None:
        with turns.turn():
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    queued(turns, 1)
    started = time.monotonic()
    with turns.turn():  # it waited its time for the holder, which still writes, then went
        assert time.monotonic() - started >= 0.04 and holder.is_alive()
    release.set()
    holder.join(10)
    with turns.turn():  # nobody is left in the queue to wait for
        assert len(turns._queue) == 1
    assert not turns._queue


def test_a_place_taken_on_arrival_writes_before_a_writer_that_came_later_but_was_ready_first():
    """A batch takes its place as it arrives and writes when it comes, though a later one asked to write first."""
    turns = Turns(wait_s=30)
    order: list[str] = []
    arrived, ready = threading.Event(), threading.Event()

    def early() -> None:
        with turns.place():  # arrives first, then reads and validates its facts for a while
            arrived.set()
            ready.wait(10)
            with turns.turn():
                order.append("early")
            with turns.turn():  # a second write of the same request keeps the same place
                order.append("early again")

    first = threading.Thread(target=early)
    first.start()
    arrived.wait(10)
    def later() -> None:
        with turns.turn():
            order.append("late")

    late = threading.Thread(target=later)
    late.start()
    queued(turns, 2)  # the later writer waits, though the early one has not asked to write yet
    ready.set()
    for thread in (first, late):
        thread.join(10)
    assert order == ["early", "early again", "late"]
    assert not turns._queue
