"""How a long-running process that scores is tuned: the server's, and a what-if's workers.

Both make objects by the hundred thousand and keep few of them; CPython's defaults are
made for programs that do neither.
"""

from __future__ import annotations

import ctypes
import gc

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


def freeze_start_up() -> None:
    """What start-up built (rulesets, schemas, routes) lives as long as the process: never walked by the collector."""
    gc.collect()
    gc.freeze()
