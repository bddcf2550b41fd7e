"""The closing job (`close_periods`): period rules and the yearly reset over a year of facts, as residents grow.

    .venv/bin/python benchmarks/closing.py                                   # 1,000 and 10,000 residents, SQLite
    .venv/bin/python benchmarks/closing.py --residents 1000,10000,50000
    .venv/bin/python benchmarks/closing.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
    .venv/bin/python benchmarks/closing.py --residents 10000 --profile       # + cProfile of the first close

A community gets the standard below (a monthly streak rule, a yearly index reset, a deduction
carried over until a recheck lifts it) and ~10 facts per resident over 2025, posted in time
order. Then 2025 is closed three times: the first close writes the period awards and the
resets, the second must write nothing, and the third follows a late batch of 2025 facts (1%
of the year's count, half offences). Progress goes to stderr, the table to stdout.

Each size runs in its own process (multiprocessing ``spawn``), so its memory is its own.
Before each close the garbage is collected and glibc's free memory trimmed; the peak RSS of
the close is the kernel's VmHWM, cleared just before it (Linux).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import ctypes
import datetime as dt
import gc
import io
import multiprocessing
import os
import pstats
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMUNITY = "close"
BATCH = 5_000
FACTS_PER_RESIDENT = 10
SINCE, AS_OF = dt.date(2025, 1, 1), dt.date(2026, 1, 1)
# (resident, period) decisions one close makes over 2025: 12 months of `clean`, 1 year-end reset
PERIODS_PER_RESIDENT = 12 + 1
CST = dt.timezone(dt.timedelta(hours=8))

STANDARD = """\
id: closing_bench
version: 1
title: 结算基准标准（年度清零，连续无违规）
community: 基准社区
effective_from: 2025-01-01
accounts:
  starting_index: 100
  resets:
    - {account: index, every: year}
tiers:
  - {id: A, title: 良好, index_from: 110}
  - {id: B, title: 一般, index_from: 90, index_below: 110}
  - {id: C, title: 警示, index_below: 90}
categories:
  - {id: civic, title: 文明积分}
  - {id: violations, title: 违规扣分}
fact_types:
  - {id: deed, title: 好人好事}
  - {id: offence, title: 违规}
  - {id: recheck, title: 整改复查合格}
rules:
  - {id: deed, title: 好人好事, category: civic, fact: deed, award: {points: 2}}
  - {id: offence, title: 违规, category: violations, fact: offence, award: {points: -3}, carries_over: true}
  - {id: recheck, title: 整改复查合格, category: violations, fact: recheck, award: {points: 0}, lifts: [offence]}
period_rules:
  - {id: clean, title: 连续 3 个月无违规, category: civic, period: month, without: [violations], streak: 3, award: 1}
"""


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def moment_in_2025(rng: random.Random, after: dt.datetime | None = None) -> dt.datetime:
    """A random second of 2025 in Beijing time (after ``after`` when given)."""
    low = dt.datetime(2025, 1, 1, tzinfo=CST) if after is None else after + dt.timedelta(minutes=1)
    high = dt.datetime(2026, 1, 1, tzinfo=CST) - dt.timedelta(seconds=1)
    return low + dt.timedelta(seconds=rng.randrange(max(1, int((high - low).total_seconds()))))


def year_of_facts(residents: int, seed: int) -> list[dict]:
    """~10 facts a resident over 2025: deeds, ~10% offences, 40% of offences rechecked later; in time order."""
    rng = random.Random(seed)
    facts: list[tuple[dt.datetime, str, str]] = []  # (when, type, resident)
    for i in range(residents):
        resident = f"r{i:05d}"
        for _ in range(rng.randint(FACTS_PER_RESIDENT - 3, FACTS_PER_RESIDENT + 3)):
            when = moment_in_2025(rng)
            if rng.random() < 0.10:
                facts.append((when, "offence", resident))
                if rng.random() < 0.4 and when < dt.datetime(2025, 12, 31, tzinfo=CST):
                    facts.append((moment_in_2025(rng, when), "recheck", resident))
            else:
                facts.append((when, "deed", resident))
    facts.sort()
    return [{"id": f"f{n}", "type": kind, "resident": resident, "occurred_at": when.isoformat()}
            for n, (when, kind, resident) in enumerate(facts)]


def late_facts(residents: int, count: int, seed: int) -> list[dict]:
    """``count`` facts dated in 2025, posted after the year was closed: half offences, half deeds."""
    rng = random.Random(seed + 1)
    facts = sorted((moment_in_2025(rng), "offence" if rng.random() < 0.5 else "deed",
                    f"r{rng.randrange(residents):05d}") for _ in range(count))
    return [{"id": f"late{n}", "type": kind, "resident": resident, "occurred_at": when.isoformat()}
            for n, (when, kind, resident) in enumerate(facts)]


def reset_peak_rss() -> bool:
    """Start the peak RSS (VmHWM) afresh, so the next reading is one close's own (Linux; False elsewhere)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def peak_rss_mb() -> float:
    """The peak RSS since the last ``reset_peak_rss`` (or since the process started)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def run_size(residents: int, seed: int, postgres: str | None, profile: bool) -> dict:
    """One community of ``residents``: post a year, close three times. Runs in its own process."""
    import psutil

    from xinzhi.communities import CommunityCreate, ResidentCreate, create_community, register_residents
    from xinzhi.engine import load_ruleset
    from xinzhi.registry import publish_ruleset, upload_ruleset
    from xinzhi.scoring import close_periods, post_facts
    sys.path.insert(0, str(ROOT))  # tests.support: the one way a fresh schema is made
    from tests.support.backends import postgres_schema
    from xinzhi.service import open_service
    from xinzhi.settings import Settings

    load_ruleset(STANDARD, name="closing_bench.yaml")  # fails here, located, if the standard is wrong
    me = psutil.Process()

    def settle() -> float:
        """RSS in MB once garbage is collected and glibc has given its free memory back."""
        gc.collect()
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        return me.memory_info().rss / 2**20

    out: dict = {"residents": residents}
    with contextlib.ExitStack() as stack:
        if postgres:
            url = stack.enter_context(postgres_schema(postgres, prefix="xinzhi_bench"))
        else:
            url = f"sqlite:///{stack.enter_context(tempfile.TemporaryDirectory())}/closing.db"
        service = open_service(Settings(database_url=url, rulesets_dir=None, max_batch_facts=BATCH))
        stack.callback(service.close)
        out["backend"] = service.db.backend
        create_community(service, CommunityCreate(id=COMMUNITY, name="结算基准社区"))
        for low in range(0, residents, BATCH):
            register_residents(service, COMMUNITY, [
                ResidentCreate(id=f"r{i:05d}", name=f"居民{i}", zone="north" if i % 2 else "south")
                for i in range(low, min(residents, low + BATCH))])
        summary = upload_ruleset(service, COMMUNITY, STANDARD)
        publish_ruleset(service, COMMUNITY, summary.id, summary.version)

        facts = year_of_facts(residents, seed)
        out["facts"] = len(facts)
        out["offences"] = sum(f["type"] == "offence" for f in facts)
        out["rechecks"] = sum(f["type"] == "recheck" for f in facts)
        progress(f"{residents:,} residents: posting {len(facts):,} facts")
        start = time.perf_counter()
        for low in range(0, len(facts), BATCH):
            post_facts(service, COMMUNITY, facts[low:low + BATCH])
        out["post_s"] = time.perf_counter() - start

        def close(name: str) -> None:
            progress(f"{residents:,} residents: {name} close")
            profiler = cProfile.Profile() if profile and name == "first" else None
            before = settle()
            out["peak_per_close"] = reset_peak_rss()
            wall, cpu = time.perf_counter(), time.process_time()
            if profiler:
                profiler.enable()
            run = close_periods(service, COMMUNITY, AS_OF, since=SINCE)
            if profiler:
                profiler.disable()
            out[name] = {"s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu,
                         "awards": run.awards_written, "restated": run.restated, "resets": run.resets_written,
                         "rss_before_mb": before, "peak_mb": peak_rss_mb(), "rss_mb": settle()}
            if profiler:
                text = io.StringIO()
                pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(25)
                out["profile"] = text.getvalue()

        close("first")
        close("second")
        late = late_facts(residents, max(1, len(facts) // 100), seed)
        out["late"] = len(late)
        progress(f"{residents:,} residents: posting {len(late):,} late facts")
        start = time.perf_counter()
        for low in range(0, len(late), BATCH):
            post_facts(service, COMMUNITY, late[low:low + BATCH])
        out["late_s"] = time.perf_counter() - start
        close("third")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", default="1000,10000", help="comma-separated community sizes (1000,10000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--postgres", metavar="URL", help="run against this PostgreSQL, in a fresh schema")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of each size's first close")
    args = parser.parse_args()
    sizes = [int(s.replace("_", "")) for s in args.residents.split(",") if s.strip()]
    assert all(s <= 100_000 for s in sizes), "resident ids have five digits"

    os.chdir(ROOT)
    context = multiprocessing.get_context("spawn")
    results = []
    for size in sizes:
        with context.Pool(1) as pool:
            results.append(pool.apply(run_size, (size, args.seed, args.postgres, args.profile)))

    backend = results[0]["backend"] if results else "?"
    print(f"\nclose_periods(as_of={AS_OF}, since={SINCE}) on {backend}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}; a resident-period is one of {PERIODS_PER_RESIDENT} decisions "
          "a resident gets (12 months of `clean`, 1 year-end reset)\n")
    print("| residents | facts posted before (facts/s) | close | wall s | CPU s | µs per resident-period "
          "(wall / CPU) | awards written | restated | resets | RSS MB before → peak → after |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        periods = r["residents"] * PERIODS_PER_RESIDENT
        posted = {"first": f"{r['facts']:,} ({r['offences']:,} offences, {r['rechecks']:,} rechecks; "
                           f"{r['facts'] / r['post_s']:,.0f}/s)",
                  "second": "none",
                  "third": f"{r['late']:,} late ({r['late'] / r['late_s']:,.0f}/s)"}
        for name in ("first", "second", "third"):
            c = r[name]
            print(f"| {r['residents']:,} | {posted[name]} | {name} | {c['s']:.2f} | {c['cpu_s']:.2f} "
                  f"| {c['s'] / periods * 1e6:.1f} / {c['cpu_s'] / periods * 1e6:.1f} "
                  f"| {c['awards']:,} | {c['restated']:,} | {c['resets']:,} "
                  f"| {c['rss_before_mb']:.0f} → {c['peak_mb']:.0f} → {c['rss_mb']:.0f} |")
    if any(not r["peak_per_close"] for r in results):
        print("\n(the peaks could not be cleared before each close: they are the process's peak so far)")
    for r in results:
        if "profile" in r:
            print(f"\ncProfile of the first close at {r['residents']:,} residents (cumulative):\n")
            print(r["profile"])


if __name__ == "__main__":
    main()
