"""Turns: a lock granted in the order it was asked for, so a process's SQLite writers go first come, first served.

SQLite lets one writer in at a time, and a writer that finds the database locked sleeps in
its busy handler, longer the longer it has waited: of two waiting writers the later one
often went first. Two clients posting consecutive batches of the same residents then had
them stored out of time order about one batch in four, and each late batch scored its
holders' later facts again from a year of their history (``scoring.restating``). In-process,
ten batches with two or three late ones cost 370–458 ms of CPU per 1,000 facts, ten without
226–236 (benchmarks/README.md). Over HTTP two batches sent a few milliseconds apart still
swapped while reading and validating their facts, before asking to write; so a batch takes its
place when it arrives (``place``) and writes when that place comes. Writers of other processes
still meet in SQLite's handler.
"""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Iterator


class Turns:
    """Writers of this process, one at a time, in the order they took their places."""

    def __init__(self, wait_s: float):
        self._wait_s = wait_s
        self._lock = threading.Lock()
        self._queue: deque[threading.Event] = deque()
        self._held = threading.local()  # this thread's place, while a ``place`` block holds one

    @contextlib.contextmanager
    def place(self) -> Iterator[None]:
        """This thread's place among the writers, taken now, for the writes the block makes (``turn``)."""
        if getattr(self._held, "place", None) is not None:  # an outer block holds it: the same place
            yield
            return
        mine = threading.Event()
        with self._lock:
            self._queue.append(mine)
            if self._queue[0] is mine:
                mine.set()
        self._held.place = mine
        try:
            yield
        finally:
            self._held.place = None
            with self._lock:
                first = self._queue[0] is mine
                self._queue.remove(mine)
                if first and self._queue:
                    self._queue[0].set()

    @contextlib.contextmanager
    def turn(self) -> Iterator[None]:
        """Wait for the writers that took their places before, then write (the place taken here, if not yet).

        A writer that waited ``wait_s`` goes anyway: SQLite's own lock still keeps writers apart,
        and its busy timeout says when one has waited too long.
        """
        with self.place():
            self._held.place.wait(self._wait_s)
            yield
