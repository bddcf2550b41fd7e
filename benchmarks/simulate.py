"""What-if simulation at scale, side by side with plain scoring of the same facts.

    .venv/bin/python benchmarks/simulate.py                       # 5,000 residents × 12 months
    .venv/bin/python benchmarks/simulate.py --residents 1000      # quicker

Steps, each timed as its own subprocess (wall time, CPU time of it and its workers, peak RSS
of its largest process, and
peak RSS summed over the process and its workers, sampled from /proc every 50 ms):

  1. the default scenario's synthetic facts are written to a JSON Lines file;
  2. ``xinzhi score`` of those facts under the baseline and under the candidate ruleset
     (one process each, what the CLI does for one ruleset);
  3. ``xinzhi simulate`` (baseline vs candidate, synthetic facts regenerated in the workers,
     report JSON + HTML written) with 1 worker and with all cores (durable-rules matcher),
     and with all cores and the Python matcher (simulations/matcher.py).

The reports of all simulate runs must be identical (apart from the matcher's name).

facts/s counts each fact once per ruleset (a comparison scores every fact twice). The
ratio column is simulate's wall time over the two plain scores run one after the other.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this folder comes first on sys.path and benchmarks/engine.py would shadow
# the engine package: put the project first.
_here = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _here]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PY = sys.executable


def _tree_rss(root: int) -> int:
    """Resident memory (bytes) of ``root`` and all its descendants, from /proc."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read().rsplit(b")", 1)[1].split()
            parents[int(entry)] = int(stat[1])
            rss[int(entry)] = int(stat[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack += [p for p, parent in parents.items() if parent == pid]
    return total


def run(label: str, argv: list[str], facts: int, passes: int) -> dict:
    """Run one command; wall time, peak RSS of the largest process and of the whole tree."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak_tree = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak_tree
        while not done.is_set():
            peak_tree = max(peak_tree, _tree_rss(proc.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    if status != 0:
        raise SystemExit(f"{label} failed ({status}):\n{err}")
    return {"step": label, "wall_s": round(wall, 2), "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
            "facts_per_s": round(facts * passes / wall),
            "peak_rss_largest_mb": round(usage.ru_maxrss / 1024, 1), "peak_rss_tree_mb": round(peak_tree / 2**20, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--residents", type=int, default=5000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--baseline", default=str(ROOT / "rulesets" / "yihe_2021.yaml"))
    parser.add_argument("--candidate", default=str(ROOT / "rulesets" / "dongshan_2022.yaml"))
    parser.add_argument("--workers", type=int, nargs="*", default=None,
                        help="worker counts to time (default: 1 and all cores)")
    parser.add_argument("--matchers", nargs="*", default=["durable-rules", "python"],
                        help="matchers to time with all cores (durable-rules is also timed with 1 worker)")
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args(argv)

    from xinzhi.simulations.population import DEFAULT_SCENARIO
    from xinzhi.simulations.run import export_facts, scenario_with

    cores = os.cpu_count() or 1
    workers = args.workers or sorted({1, cores})
    with tempfile.TemporaryDirectory(prefix="xinzhi-bench-") as tmp:
        facts_file = Path(tmp) / "facts.jsonl"
        t = time.perf_counter()
        scenario = scenario_with(DEFAULT_SCENARIO, residents=args.residents, months=args.months)
        n = export_facts(scenario, args.seed, facts_file)
        gen = time.perf_counter() - t
        print(f"{args.residents} residents × {args.months} months: {n:,} facts generated in {gen:.1f}s "
              f"({n / gen:,.0f} facts/s), {cores} cores\n", flush=True)
        rows = []
        for name, ruleset in (("baseline", args.baseline), ("candidate", args.candidate)):
            command = [PY, "-m", "xinzhi.cli.main", "score", ruleset, "--facts", str(facts_file), "--json"]
            rows.append(run(f"xinzhi score ({name}: {Path(ruleset).name})", command, n, 1))
            print(_fmt(rows[-1]), flush=True)
        plain = rows[0]["wall_s"] + rows[1]["wall_s"]
        runs = [(w, "durable-rules") for w in workers] + \
            [(cores, m) for m in args.matchers if m != "durable-rules"]
        for w, matcher in runs:
            out = Path(tmp) / f"out{w}-{matcher}"
            row = run(f"xinzhi simulate --workers {w} --matcher {matcher}",
                      [PY, "-m", "xinzhi.cli.main", "simulate", "--baseline", args.baseline, "--candidate",
                       args.candidate, "--scenario", str(DEFAULT_SCENARIO), "--residents", str(args.residents),
                       "--months", str(args.months), "--seed", str(args.seed), "--workers", str(w),
                       "--out", str(out), "--matcher", matcher, "--quiet"], n, 2)
            row["ratio_to_plain_scores"] = round(row["wall_s"] / plain, 2)
            rows.append(row)
            print(_fmt(row), flush=True)
        reports = [(Path(tmp) / f"out{w}-{m}" / "report.json").read_text(encoding="utf-8")
                   .replace(f'"matcher": "{m}"', '"matcher": "durable-rules"') for w, m in runs]
        identical = all(r == reports[0] for r in reports)
        print(f"\nplain scores one after the other: {plain:.1f}s; reports identical across worker counts and matchers: "
              f"{identical}")
        if args.json:
            Path(args.json).write_text(json.dumps({"facts": n, "residents": args.residents, "months": args.months,
                                                   "cores": cores, "rows": rows, "identical": identical},
                                                  indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0 if identical else 1


def _fmt(row: dict) -> str:
    ratio = f"  ×{row['ratio_to_plain_scores']:.2f} of plain" if "ratio_to_plain_scores" in row else ""
    return (f"{row['step']:<58} {row['wall_s']:>7.1f}s wall {row['cpu_s']:>7.1f}s cpu "
            f"{row['facts_per_s']:>9,} facts/s  "
            f"peak {row['peak_rss_largest_mb']:>6.1f} MB/process {row['peak_rss_tree_mb']:>7.1f} MB total{ratio}")


if __name__ == "__main__":
    sys.exit(main())
