"""``xinzhi simulate``: compare a baseline and a candidate ruleset over the same facts.

Registered in ``cli/main.py`` through ``add_simulate_command``.
Exit status: 0 success, 1 when a ruleset, scenario or fact file has problems, 2 on usage errors.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from pydantic import ValidationError

from xinzhi.cli.arguments import whole
from xinzhi.cli.words import said
from xinzhi.engine import XinzhiError
from xinzhi.engine.amounts import signed
from xinzhi.simulations.population import DEFAULT_SCENARIO, MAX_RESIDENTS, MOST_MONTHS
from xinzhi.simulations.shards import MATCHERS

PHASES = {"replay": "重放"}


class ProgressBar:
    """A one-line progress bar on stderr (a plain line per phase when stderr is not a terminal)."""

    def __init__(self, stream=None, width: int = 30):
        self.stream = stream or sys.stderr
        self.width = width
        self.tty = getattr(self.stream, "isatty", lambda: False)()
        self.started = time.perf_counter()

    def __call__(self, side: str, done: int, total: int) -> None:
        """Report ``done`` of ``total`` parts of one phase (the simulation's progress callback)."""
        label = f"{PHASES.get(side, side)} {side}"
        filled = int(self.width * done / total) if total else self.width
        bar = "#" * filled + "." * (self.width - filled)
        line = f"{label:<20} [{bar}] {done}/{total}  {time.perf_counter() - self.started:6.1f}s"
        if self.tty:
            self.stream.write("\r" + line + ("\n" if done == total else ""))
        elif done == total or done == 0:
            self.stream.write(line + "\n")
        self.stream.flush()


def add_simulate_command(subparsers) -> argparse.ArgumentParser:
    """Register ``xinzhi simulate`` on the main parser's subcommands."""
    p = subparsers.add_parser(
        "simulate", help="what-if: replay facts under a baseline and a candidate ruleset and compare",
        description="Replay a synthetic population (--scenario) or recorded facts (--facts) under two rulesets "
                    "in worker processes, and write report.json, report.schema.json and report.html to --out.")
    p.add_argument("--baseline", required=True, help="ruleset file in force (YAML)")
    p.add_argument("--candidate", help="ruleset file proposed (YAML, drafts included)")
    p.add_argument("--sweep", metavar="SPEC",
                   help="instead of --candidate: one candidate per value of one parameter of the baseline, "
                        "e.g. owners_meeting_attendance.award=1..5 or community_activity_join.limit.month=5..20:5")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--scenario", nargs="?", const=str(DEFAULT_SCENARIO),
                        help=f"scenario YAML for a synthetic population (default: {DEFAULT_SCENARIO.name})")
    source.add_argument("--facts", help="facts file (.jsonl or .csv)")
    source.add_argument("--from-store", metavar="PERIOD",
                        help="facts recorded in the store: 2021, 2021-03, 2021-Q2 or 2021-01-01..2021-06-30 "
                             "(with --community; the database from XINZHI_DATABASE_URL or --database-url)")
    p.add_argument("--community", help="community id, with --from-store")
    p.add_argument("--database-url", help="store database, with --from-store (default: XINZHI_DATABASE_URL)")
    p.add_argument("--out", required=True, help="directory for report.json, report.schema.json, report.html")
    p.add_argument("--workers", type=whole(1, 64), default=os.cpu_count() or 1,
                   help="worker processes (default: all cores)")
    p.add_argument("--seed", type=whole(0, 2**53), help="override the scenario's seed")
    p.add_argument("--residents", type=whole(1, MAX_RESIDENTS), help="override the scenario's population size")
    p.add_argument("--months", type=whole(1, MOST_MONTHS), help="override the scenario's period length")
    p.add_argument("--rulesets", action="append", default=[], metavar="DIR",
                   help="another directory where parent rulesets (extends) are looked up")
    p.add_argument("--export-facts", metavar="FILE", help="also write the synthetic facts as JSON Lines")
    p.add_argument("--matcher", choices=MATCHERS, default="durable-rules",
                   help="durable-rules (default, the matcher of record); python: the same conditions "
                        "compiled to Python; polars-bulk: the same awards computed column-wise, for a city "
                        "(refused, with the reasons, for a standard using what it does not score); both "
                        "checked against durable-rules by differential tests; the report names the one used")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on Dask distributed: 'local' starts a cluster of --workers processes for the run, "
                        "an address (tcp://host:8786) uses a running one (simulations/README.md); default: local "
                        "worker processes without Dask")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=cmd_simulate)
    return p


def cmd_simulate(args: argparse.Namespace) -> int:
    """``xinzhi simulate``: run a what-if (or a sweep), write its reports, print the headline numbers."""
    from xinzhi.simulations.run import export_facts, scenario_with, simulate, write_outputs

    if (args.candidate is None) == (args.sweep is None):
        print("give either --candidate or --sweep", file=sys.stderr)
        return 2
    if args.sweep:
        return _cmd_sweep(args)
    if (args.community or args.database_url) and not args.from_store:
        print("--community and --database-url go with --from-store", file=sys.stderr)
        return 2
    scenario_only = args.seed is not None or args.residents or args.months or args.export_facts
    if (args.facts or args.from_store) and scenario_only:
        print("--seed, --residents, --months and --export-facts apply to --scenario only", file=sys.stderr)
        return 2
    service = None
    try:
        scenario = None
        if args.scenario:
            scenario = scenario_with(args.scenario, residents=args.residents, months=args.months)
            if args.export_facts:
                n = export_facts(scenario, args.seed, args.export_facts)
                print(f"wrote {n} facts to {args.export_facts}", file=sys.stderr)
        started = time.perf_counter()
        service = _service(args)
        outcome = simulate(args.baseline, args.candidate, scenario=scenario, facts=args.facts, seed=args.seed,
                           workers=args.workers, search=tuple(args.rulesets),
                           progress=None if args.quiet else ProgressBar(), matcher=args.matcher,
                           recorded=args.from_store, community=args.community, service=service,
                           scheduler=args.scheduler)
        paths = write_outputs(outcome, args.out)
    except Exception as exc:
        if not _report_failure(exc, args.scenario):
            raise
        return 1
    finally:
        if service is not None:
            service.close()
    report = outcome.report
    totals = {t.metric: t for t in report.totals}
    print(f"{report.baseline.ref} → {report.candidate.ref}  ({report.source.residents} residents, "
          f"{int(totals['facts_scored'].baseline)} facts, {time.perf_counter() - started:.1f}s, "
          f"{args.workers} workers, matcher {report.matcher})")
    for key in ("points_earned", "points_deducted", "points_net", "points_outstanding"):
        t = totals[key]
        print(f"  {key:<20} {int(t.baseline):>10} {int(t.candidate):>10} {int(t.delta):>+10}")
    if report.attribution.causes:
        print("  change by rule: " + ", ".join(
            f"{r.rule_id} {signed(r.delta_net)}" for r in report.rules if r.delta_net))
    gap = report.fairness.zone_gap
    if gap:
        print(f"  zone gap ({gap.first} − {gap.second}, mean points): {gap.baseline_mean_gap:+.2f} → "
              f"{gap.candidate_mean_gap:+.2f}")
    for name, path in paths.items():
        print(f"  {name}: {path}")
    return 0


def _report_failure(exc: Exception, scenario: str | None) -> bool:
    """Print a failure a person can act on (bad ruleset, scenario, file or store); False if unexpected."""
    if isinstance(exc, XinzhiError):
        for problem in exc.problems:
            print(said(problem), file=sys.stderr)
    elif isinstance(exc, ValidationError):  # before ValueError: pydantic's is one
        print(f"scenario {scenario}: {exc}", file=sys.stderr)
    elif isinstance(exc, (OSError, ValueError)):
        print(f"error: {exc}", file=sys.stderr)
    elif type(exc).__module__.startswith(("xinzhi", "sqlalchemy")):  # unknown community, no database
        print(f"store: {exc}", file=sys.stderr)
    else:
        return False
    return True


def _service(args: argparse.Namespace):
    """An open service when --database-url is given (else run.simulate opens one from XINZHI_*)."""
    if not (args.from_store and args.database_url):
        return None
    from xinzhi.service import open_service
    from xinzhi.settings import Settings
    return open_service(Settings(database_url=args.database_url, rulesets_dir=None), load_rulesets=False)


def _cmd_sweep(args: argparse.Namespace) -> int:
    from xinzhi.simulations.run import scenario_with
    from xinzhi.simulations.sweep import parse_sweep, run_sweep

    try:
        spec = parse_sweep(args.sweep)
        scenario = scenario_with(args.scenario, residents=args.residents, months=args.months) \
            if args.scenario else None
        if args.from_store:
            raise ValueError("--sweep works with --scenario or --facts (store sweeps: export the period first)")
        sweep = run_sweep(args.baseline, spec, args.out, scenario=scenario, facts=args.facts, seed=args.seed,
                          workers=args.workers, search=tuple(args.rulesets), matcher=args.matcher,
                          scheduler=args.scheduler, progress=None if args.quiet else ProgressBar(),
                          on_value=None if args.quiet else
                          (lambda v: print(f"{spec.label} = {v}", file=sys.stderr, flush=True)))
    except Exception as exc:
        if not _report_failure(exc, args.scenario):
            raise
        return 1
    print(f"sweep {sweep.parameter} over {sweep.baseline} (matcher {sweep.matcher})")
    print(f"  {'value':>6} {'points_net':>11} {'delta':>8} {'rule':>8} {'reached':>8} {'bound':>7} {'zone_gap':>9}")
    for r in sweep.rows:
        gap = "—" if r.zone_gap is None else f"{r.zone_gap:+.2f}"
        print(f"  {r.value:>6} {r.points_net:>11} {signed(r.delta_points_net):>8} {r.rule_points:>8} "
              f"{r.rule_residents_reached:>8} {r.rule_limit_bound:>7} {gap:>9}")
    out = Path(args.out)
    print(f"  json: {out / 'sweep.json'}\n  html: {out / 'sweep.html'}")
    return 0

