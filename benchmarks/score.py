"""``xinzhi score`` on a file of millions of facts: wall time, facts/s and the command's peak memory.

    .venv/bin/python benchmarks/score.py                               # 200,000 residents × 12 months: ~5M facts
    .venv/bin/python benchmarks/score.py --residents 2000,20000        # a quick look, one row per population
    .venv/bin/python benchmarks/score.py --keep /tmp/facts --explain   # keep (and reuse) the files; --explain --json

For each population the default scenario's synthetic facts (~24.5 a resident a year) are
written to a JSON Lines file by ``export_facts`` in a process of their own: resident by
resident, so the file is far from time order and ``xinzhi score`` has to sort it. The
command then runs on the file as a subprocess with its output counted and dropped; its peak
RSS is the child's ``ru_maxrss`` from ``os.wait4`` (the benchmark itself stays small, so the
child's figure is its own), its CPU seconds too (steadier than wall time on a shared machine).

Target (issue 15): 5M facts under 500 MB peak. Before, the command held every fact and award
and the limit tracker kept every period: 1.2 GB at 500k facts, ~100 GB extrapolated to a city's
year. That the output is what scoring in memory prints is a test's business
(tests/cli/test_score_stream.py), not this benchmark's.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
GENERATE = """
import sys
from xinzhi.simulations.population import DEFAULT_SCENARIO
from xinzhi.simulations.run import export_facts, scenario_with
path, residents, months, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
print(export_facts(scenario_with(DEFAULT_SCENARIO, residents=residents, months=months), seed, path))
"""


def facts_file(folder: Path, residents: int, months: int, seed: int) -> tuple[Path, int, float]:
    """The population's facts as JSON Lines (made once per folder): the file, its facts, the seconds it took."""
    path = folder / f"facts-{residents}x{months}-seed{seed}.jsonl"
    if path.exists():
        with path.open("rb") as fh:
            return path, sum(1 for _ in fh), 0.0
    started = time.perf_counter()
    made = subprocess.run([PY, "-c", GENERATE, str(path), str(residents), str(months), str(seed)], cwd=ROOT,
                          check=True, capture_output=True, text=True)
    return path, int(made.stdout), time.perf_counter() - started


def score(path: Path, ruleset: str, options: list[str]) -> tuple[float, float, float, int]:
    """Run ``xinzhi score`` on the file: wall and CPU seconds, the child's peak RSS in MB, the bytes it printed."""
    argv = [PY, "-m", "xinzhi.cli.main", "score", ruleset, "--facts", str(path), *options]
    started = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    printed = sum(len(block) for block in iter(lambda: proc.stdout.read(1 << 20), b""))
    errors = proc.stderr.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"xinzhi score failed ({proc.returncode}):\n{errors}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, printed  # ru_maxrss: KiB on Linux


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--residents", default="200000", help="populations, comma-separated")
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--ruleset", default=str(ROOT / "rulesets" / "yihe_2021.yaml"))
    parser.add_argument("--json", action="store_true", help="time `xinzhi score --json`")
    parser.add_argument("--explain", action="store_true", help="time `xinzhi score --explain` (every award listed)")
    parser.add_argument("--keep", help="a folder to write the fact files to and keep them (reused when there)")
    args = parser.parse_args(argv)
    options = [flag for flag, on in (("--json", args.json), ("--explain", args.explain)) if on]
    with tempfile.TemporaryDirectory(prefix="xinzhi-score-") as scratch:
        folder = Path(args.keep) if args.keep else Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        command = " ".join(["xinzhi score", *options])
        print(f"{command} on the default scenario's facts (JSON Lines, resident by resident), "
              f"{Path(args.ruleset).name}, {args.months} months, seed {args.seed}", flush=True)
        header = (f"{'residents':>10} {'facts':>10} {'file MB':>8} {'made s':>7} {'wall s':>7} {'CPU s':>7} "
                  f"{'facts/s':>8} {'peak RSS MB':>11} {'output MB':>9}")
        print(header)
        print("-" * len(header), flush=True)
        for residents in (int(n) for n in args.residents.split(",")):
            path, facts, made = facts_file(folder, residents, args.months, args.seed)
            wall, cpu, peak, printed = score(path, args.ruleset, options)
            print(f"{residents:>10,} {facts:>10,} {path.stat().st_size / 2**20:>8,.0f} {made:>7.1f} {wall:>7.1f} "
                  f"{cpu:>7.1f} {facts / wall:>8,.0f} {peak:>11,.0f} {printed / 2**20:>9,.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
