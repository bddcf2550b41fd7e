"""How fast this machine runs Python today: a fixed workload's CPU time, printed with each benchmark.

The same commit has measured 230 and 408 ms of server CPU per 1,000 facts on two days of the
same two-core machine (benchmarks/README.md, session 12). Rows of different days compare only
with this beside them: a row's time divided by the day's reference time.
"""

from __future__ import annotations

import json
import random
import time

_ROWS = 100_000


def _workload() -> int:
    """What the service does most, in plain Python: build dicts, sort them, JSON there and back."""
    rng = random.Random(1)
    rows = [{"id": f"f{i}", "at": rng.random(), "activity": "邻里节"} for i in range(_ROWS)]
    rows.sort(key=lambda row: row["at"])
    return len(json.loads(json.dumps(rows, ensure_ascii=False)))


def reference_ms(runs: int = 3) -> float:
    """The workload's CPU milliseconds, the best of ``runs`` (the least disturbed by anything else running)."""
    best = float("inf")
    for _ in range(runs):
        began = time.process_time()
        assert _workload() == _ROWS
        best = min(best, (time.process_time() - began) * 1000)
    return best


def describe() -> str:
    """The line a benchmark prints first."""
    return f"machine: the reference workload took {reference_ms():.0f} ms of CPU (benchmarks/machine.py)"


if __name__ == "__main__":
    print(describe())
