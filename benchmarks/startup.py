"""Start-up: how often each loader stage runs while ``open_service()`` loads the repository's
rulesets into a fresh database, and then when each published version is first scored.

Prints, per stage, the runs (real work) and cache hits in the server process and in the
draft worker that ran the publish gate, and the wall-clock time of ``open_service()``::

    .venv/bin/python benchmarks/startup.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    sys.path.insert(0, str(ROOT))  # the installed packages, not benchmarks/engine.py beside this script
    from sqlalchemy import select

    from xinzhi.db.tables import RulesetVersion
    from xinzhi.engine import CACHE, STAGES
    from xinzhi.registry import compiled_for, drafts
    from xinzhi.service import open_service
    from xinzhi.settings import REPO_RULESETS, Settings

    files = len(list(REPO_RULESETS.glob("*.yaml")))
    with tempfile.TemporaryDirectory(prefix="xinzhi-startup-") as directory:
        started = time.perf_counter()
        service = open_service(Settings(database_url=f"sqlite:///{directory}/x.db", dry_run_workers=1))
        elapsed = time.perf_counter() - started
        try:
            at_start = {stage: (s.runs, s.hits) for stage, s in CACHE.stats.items()}
            worker = service.drafts.run(drafts.stage_runs)
            with service.db.reading() as session:
                for row in session.scalars(select(RulesetVersion).where(RulesetVersion.status == "published")):
                    compiled_for(service, session, row)
            first_use = {stage: (s.runs, s.hits) for stage, s in CACHE.stats.items()}
        finally:
            service.close()
    print(f"open_service(): {elapsed:.2f} s for {files} repository rulesets\n")
    print(f"{'stage':<9} {'server runs':>11} {'hits':>5}   {'+ first use runs':>16} {'hits':>5}   {'worker runs':>11}")
    for stage in (s.name for s in STAGES):
        runs, hits = at_start.get(stage, (0, 0))
        total_runs, total_hits = first_use.get(stage, (0, 0))
        print(f"{stage:<9} {runs:>11} {hits:>5}   {total_runs:>16} {total_hits:>5}   {worker.get(stage, 0):>11}")


if __name__ == "__main__":
    main()
