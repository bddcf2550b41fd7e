"""The office's exports: the whole ledger and every score as CSV and as an Excel workbook, as the ledger grows.

    .venv/bin/python benchmarks/exports.py                          # 20,000 and 100,000 facts
    .venv/bin/python benchmarks/exports.py --facts 20000,100000,300000

A community of 2,000 residents gets ``--facts`` facts (benchmarks/api.py's stream: one a minute
from 2024-01-01) through ``post_facts``; then each export is made as the API makes it
(``ledger_rows`` into ``csv_chunks`` or ``xlsx_bytes``, ``scores_rows`` likewise) and timed. Found
by attack: a ledger of 104,000 entries took 67 s as a workbook, in the one thread a server runs
Python on. Each size runs in its own process; the table goes to stdout.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def measure(facts: int) -> list[dict]:
    from benchmarks.api import make_facts
    from xinzhi.communities import ResidentCreate, register_residents
    from xinzhi.ledger import ledger_rows, scores_rows
    from xinzhi.scoring import post_facts
    from xinzhi.service import open_service
    from xinzhi.settings import Settings
    from xinzhi.spreadsheets import csv_chunks, xlsx_bytes

    with tempfile.TemporaryDirectory() as directory:
        service = open_service(Settings(database_url=f"sqlite:///{directory}/exports.db"))
        register_residents(service, "yihe", [ResidentCreate(id=f"B{i:05d}", name=f"居民{i}", zone="north")
                                             for i in range(2_000)])
        for first in range(0, facts, 1_000):
            post_facts(service, "yihe", make_facts(min(1_000, facts - first), 2_000, "e-", first=first))
        exports = {"ledger.csv": lambda: sum(map(len, csv_chunks(ledger_rows(service, "yihe")))),
                   "ledger.xlsx": lambda: len(xlsx_bytes(ledger_rows(service, "yihe"), "台账")),
                   "scores.csv": lambda: sum(map(len, csv_chunks(scores_rows(service, "yihe")))),
                   "scores.xlsx": lambda: len(xlsx_bytes(scores_rows(service, "yihe"), "积分"))}
        rows = {"ledger": sum(1 for _ in ledger_rows(service, "yihe")) - 1,
                "scores": len(scores_rows(service, "yihe")) - 1}
        out = []
        for name, export in exports.items():
            began, cpu = time.perf_counter(), time.process_time()
            size = export()
            wall, cpu = time.perf_counter() - began, time.process_time() - cpu
            kept = rows[name.split(".")[0]]
            out.append({"facts": facts, "export": name, "rows": kept, "seconds": wall, "cpu": cpu,
                        "rows_per_s": kept / wall, "mb": size / 1e6,
                        "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})
        service.close()
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--facts", default="20000,100000", help="ledger sizes, comma-separated")
    args = parser.parse_args()
    context = multiprocessing.get_context("spawn")
    results = []
    for facts in (int(n) for n in args.facts.split(",")):
        with context.Pool(1) as pool:
            results += pool.apply(measure, (facts,))
        print(json.dumps(results[-1]), file=sys.stderr)
    print("| facts posted | export | rows | seconds | CPU s | rows/s | file MB | peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['facts']:,} | {r['export']} | {r['rows']:,} | {r['seconds']:.2f} | {r['cpu']:.2f} | "
              f"{r['rows_per_s']:,.0f} | {r['mb']:.1f} | {r['rss']:.0f} |")


if __name__ == "__main__":
    main()
