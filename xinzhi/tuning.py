"""How a long-running process that scores is tuned: the server's, and a what-if's workers.

Both make objects by the hundred thousand and keep few of them; CPython's defaults are
made for programs that do neither.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
from collections.abc import Iterator

_M_ARENA_MAX = -8  # glibc's malloc.h


def few_malloc_arenas(arenas: int = 2) -> None:
    """Let the server's request threads share a few malloc arenas (as ``MALLOC_ARENA_MAX=2`` would).

    glibc gives threads up to 8 arenas per core, and each keeps what it freed: under a
    10-minute soak the server's memory crept up 45 MB on SQLite while the Python heap stayed
    flat (benchmarks/soak.py; flat with two arenas). Elsewhere than glibc nothing changes.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    libc.mallopt(_M_ARENA_MAX, arenas)


def collect_garbage_rarely(young: int = 50_000, older: int = 50) -> None:
    """Run the cycle collector after ``young`` new objects instead of 700, and its older passes ``older`` times rarer.

    Scoring a batch of 1,000 facts makes some 100,000 short-lived objects; at Python's default
    the collector ran ~150 times a batch and its full passes walked the server's whole heap: a
    quarter of a batch's CPU (benchmarks/api.py: 319 → 252 ms per 1,000 facts). The older passes,
    every 10 young ones by default, walk what survived (the holders' kept histories): 8% more
    (in-process, 157 → 145 ms per 1,000 facts at 50 instead of 10). Garbage in cycles waits a
    little longer; the server's RSS over that ingest is unchanged (119 → 155 MB). At 10,000 the
    young pass still ran ~1.6 times a batch, walking the rows the batch holds: ~6 µs a fact of
    its ~110. The count is of objects made less those freed, and a batch frees most of what it
    makes: at 50,000 the pass runs once in 20–50 batches, and cycles wait no longer than that
    (in-process ``post_facts`` to 200k facts, six runs alternated: 3% less CPU).
    """
    gc.set_threshold(young, older, older)


#: Every CPU the process could use before ``python_on_one_cpu`` narrowed its request threads to one.
_every_cpu: set[int] | None = None


def python_on_one_cpu() -> None:
    """Keep this thread, and the threads it starts (the server's event loop and request workers), on one CPU.

    Only one thread runs Python at a time (the GIL), so a server process gains nothing from
    its request threads spreading over CPUs, and on this project's 2-core virtual machine it
    lost a quarter of its CPU to them doing so: each hand-over of the GIL woke a thread on the
    other CPU, whose caches held none of the batch's objects (batch ingest over HTTP, alternated:
    ~200 µs of server CPU per fact spread, ~150 on one CPU; benchmarks/README.md). Work that
    runs without the GIL on threads of its own (``db.wal``'s copier) and the processes the
    server starts (draft workers, what-if pools) go back to every CPU (``every_cpu``).
    The CPU is the one the kernel runs this thread on now, so that servers started side by side
    stay where its balancing put them. Where the platform cannot set a thread's CPUs, nothing changes.
    """
    global _every_cpu
    if not hasattr(os, "sched_setaffinity"):
        return
    allowed = os.sched_getaffinity(0)
    if len(allowed) > 1:
        try:
            os.sched_setaffinity(0, {_this_cpu(allowed)})  # 0: this thread; threads started from now on inherit it
        except OSError:  # a sandbox that refuses it: the threads stay spread, as before
            return
        _every_cpu = set(allowed)


def _this_cpu(allowed: set[int]) -> int:
    """The CPU this thread runs on (``/proc``'s field 39), or the last one allowed where that cannot be read."""
    try:
        with open("/proc/thread-self/stat", encoding="ascii") as stat:
            cpu = int(stat.read().rsplit(")", 1)[1].split()[36])
    except (OSError, ValueError, IndexError):
        return max(allowed)
    return cpu if cpu in allowed else max(allowed)


@contextlib.contextmanager
def every_cpu() -> Iterator[None]:
    """Within the block, this thread (and what it starts: a worker process, a thread) may run on every CPU again."""
    if _every_cpu is None:
        yield
        return
    narrowed = os.sched_getaffinity(0)
    os.sched_setaffinity(0, _every_cpu)
    try:
        yield
    finally:
        os.sched_setaffinity(0, narrowed)


def freeze_start_up() -> None:
    """What start-up built (rulesets, schemas, routes) lives as long as the process: never walked by the collector."""
    gc.collect()
    gc.freeze()
