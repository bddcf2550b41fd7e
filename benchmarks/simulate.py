"""What-ifs as a city grows: wall time, facts/s and memory per process, with 1 and 2 workers and on Dask.

    .venv/bin/python benchmarks/simulate.py                               # 5k and 20k residents × 12 months
    .venv/bin/python benchmarks/simulate.py --residents 5000,20000,100000,1000000
    .venv/bin/python benchmarks/simulate.py --residents 20000 --workers 2 --no-dask   # one row

For each population: ``xinzhi simulate`` (baseline vs candidate, synthetic facts drawn in
the workers, report JSON + HTML written) as its own subprocess, once per worker count and
once on a two-worker Dask cluster the benchmark starts (``dask scheduler`` + ``dask worker
--nworkers 2 --nthreads 1``, passed as ``--scheduler``). Every 50 ms the benchmark reads
/proc for the peak RSS of each process: the caller's, and the largest worker's (the pool's
processes, or the cluster's workers).

Targets (issue 15, 2 cores): 2 workers ≥ 1.7× one worker from 20k residents up; a worker's
peak memory within 1.5× from 20k to 1M; 1M × 12 months under 10 minutes; the same report
bytes for every run of a population (checked, and printed).

facts/s counts each fact once per ruleset (a comparison scores every fact twice).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this folder comes first on sys.path and benchmarks/engine.py would shadow
# the engine package: put the project first.
_here = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _here]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.machine import describe  # noqa: E402
from xinzhi.simulations.shards import MATCHERS  # noqa: E402

PY = sys.executable
BIN = Path(PY).parent
PAGE = os.sysconf("SC_PAGE_SIZE")


def _processes() -> dict[int, tuple[int, int]]:
    """Every process: pid → (parent pid, RSS bytes), from /proc."""
    out = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as fh:
                    stat = fh.read().rsplit(b")", 1)[1].split()
                out[int(entry)] = (int(stat[1]), int(stat[21]) * PAGE)
            except (OSError, IndexError, ValueError):
                continue
    return out


def _descendants(roots: list[int], table: dict[int, tuple[int, int]]) -> list[int]:
    found, stack = [], list(roots)
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack += [p for p, (parent, _) in table.items() if parent == pid]
    return found


class Peaks:
    """Peak RSS of a process and of the largest of the worker processes, sampled every 50 ms."""

    def __init__(self, caller: int, workers: list[int]):
        self.caller, self.workers = caller, workers  # workers: roots whose descendants are workers
        self.caller_peak = self.worker_peak = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._done.is_set():
            table = _processes()
            self.caller_peak = max(self.caller_peak, table.get(self.caller, (0, 0))[1])
            children = [p for p in _descendants([self.caller, *self.workers], table) if p != self.caller]
            if self.workers:  # a cluster's workers: the worker processes below the ``dask worker`` nanny
                children = [p for p in _descendants(self.workers, table) if p not in self.workers]
            self.worker_peak = max([self.worker_peak] + [table[p][1] for p in children if p in table])
            time.sleep(0.05)

    def stop(self) -> None:
        self._done.set()
        self._thread.join()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def dask_cluster(workers: int):
    """A scheduler and ``workers`` one-thread worker processes on this machine: its address and the nanny pid."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env, "cwd": ROOT}
    scheduler = subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                  "--dashboard-address", ":0"], **quiet)
    worker = subprocess.Popen([str(BIN / "dask"), "worker", address, "--nworkers", str(workers), "--nthreads", "1",
                               "--dashboard-address", ":0", "--memory-limit", "0"], **quiet)
    try:
        from distributed import Client
        with Client(address, timeout=60) as client:
            client.wait_for_workers(workers, timeout=120)
        yield address, worker.pid
    finally:
        for process in (worker, scheduler):
            process.terminate()
            process.wait(timeout=30)


def simulate(residents: int, months: int, seed: int, args, out: Path, workers: int,
             scheduler: str | None = None, cluster_pid: int | None = None) -> dict:
    argv = [PY, "-m", "xinzhi.cli.main", "simulate", "--baseline", args.baseline, "--candidate", args.candidate,
            "--scenario", "--residents", str(residents), "--months", str(months), "--seed", str(seed),
            "--workers", str(workers), "--out", str(out), "--matcher", args.matcher, "--quiet"]
    if scheduler:
        argv += ["--scheduler", scheduler]
    started = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peaks = Peaks(proc.pid, [cluster_pid] if cluster_pid else [])
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    peaks.stop()
    stdout = proc.stdout.read().decode("utf-8", "replace") if proc.stdout else ""
    if status != 0:
        err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
        raise SystemExit(f"simulate failed ({status}):\n{err}")
    facts = int(re.search(r"residents, (\d+) facts", stdout).group(1))
    return {"residents": residents, "facts": facts, "run": f"{workers} worker{'s' * (workers > 1)}"
            + (" on Dask" if scheduler else ""), "workers": workers, "dask": bool(scheduler),
            "wall_s": round(wall, 1), "facts_per_s": round(2 * facts / wall),
            "caller_mb": round(peaks.caller_peak / 2**20), "worker_mb": round(peaks.worker_peak / 2**20),
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--residents", default="5000,20000", help="populations, comma-separated")
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--baseline", default=str(ROOT / "rulesets" / "yihe_2021.yaml"))
    parser.add_argument("--candidate", default=str(ROOT / "rulesets" / "dongshan_2022.yaml"))
    parser.add_argument("--workers", default="1,2", help="worker counts, comma-separated")
    parser.add_argument("--matcher", default="durable-rules", choices=MATCHERS)
    parser.add_argument("--no-dask", action="store_true", help="skip the run on a two-worker Dask cluster")
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args(argv)
    populations = [int(x) for x in args.residents.split(",")]
    counts = [int(x) for x in args.workers.split(",")]

    rows, identical = [], True
    header = (f"{'residents':>10} {'facts':>11} {'run':<20} {'wall s':>8} {'facts/s':>9} {'× 1 worker':>10} "
              f"{'caller MB':>9} {'worker MB':>9} {'same bytes':>10}")
    print(f"{describe()}\n{args.months} months, matcher {args.matcher}, {os.cpu_count()} cores\n\n{header}\n"
          f"{'-' * len(header)}", flush=True)
    with tempfile.TemporaryDirectory(prefix="xinzhi-bench-") as tmp:
        for residents in populations:
            runs = [(w, None) for w in counts] + ([] if args.no_dask else [(2, "dask")])
            first = None
            one = None
            for w, kind in runs:
                out = Path(tmp) / f"{residents}-{w}-{kind}"
                if kind == "dask":
                    with dask_cluster(w) as (address, pid):
                        row = simulate(residents, args.months, args.seed, args, out, w, address, pid)
                else:
                    row = simulate(residents, args.months, args.seed, args, out, w)
                report = (out / "report.json").read_bytes()
                first = first or report
                row["same_bytes"] = report == first
                identical = identical and row["same_bytes"]
                if w == 1 and kind is None:
                    one = row["wall_s"]
                row["speedup"] = round(one / row["wall_s"], 2) if one else None
                rows.append(row)
                print(f"{residents:>10,} {row['facts']:>11,} {row['run']:<20} {row['wall_s']:>8.1f} "
                      f"{row['facts_per_s']:>9,} {row['speedup'] or '':>10} {row['caller_mb']:>9} "
                      f"{row['worker_mb']:>9} {str(row['same_bytes']):>10}", flush=True)
    print(f"\nreports byte-identical across worker counts and Dask: {identical}")
    worker_mb = {r["residents"]: r["worker_mb"] for r in rows if r["workers"] == 2 and not r["dask"]}
    if len(worker_mb) > 1:
        low, high = min(worker_mb), max(worker_mb)
        print(f"worker peak memory {low:,} → {high:,} residents: {worker_mb[low]} → {worker_mb[high]} MB "
              f"(×{worker_mb[high] / worker_mb[low]:.2f}; target ≤ 1.5)")
    if args.json:
        Path(args.json).write_text(json.dumps({"months": args.months, "rows": rows, "identical": identical},
                                              indent=2) + "\n", encoding="utf-8")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
