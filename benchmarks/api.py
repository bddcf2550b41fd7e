"""HTTP benchmark of the scoring API on SQLite and PostgreSQL.

Starts a real ``xinzhi serve`` process per backend on a free port, registers residents,
then measures over HTTP:

* batch ingest: facts/s posting batches of ``--batch`` facts (``--clients`` at a time);
* single-fact latency: p50 / p99 of one ``POST /facts`` at a time;
* draft dry-runs: RSS of the server before and after ``--drafts`` dry-runs of fresh drafts;
* reads as the ledger grows (``--ledger-sizes``): p50 / p99 of the public board, the
  community summary today, and the summary as of the end of last month, at 10k, 100k and 1M
  ledger entries over ``--residents`` residents and 24 months. They should stay flat.

    .venv/bin/python benchmarks/api.py                      # SQLite, and PostgreSQL if configured
    .venv/bin/python benchmarks/api.py --facts 50000 --backends sqlite
    .venv/bin/python benchmarks/api.py --phases reads --ledger-sizes 10000,100000 --backends sqlite

PostgreSQL comes from ``XINZHI_TEST_POSTGRES_URL`` (a fresh schema, dropped afterwards).
Target: ≥ 2,000 facts/s batch ingest on SQLite.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
COMMUNITY = "yihe"
TYPES = [
    ("volunteering", lambda r: {"hours": r.choice([1, 1.5, 2, 3, 4])}),
    ("garbage_check", lambda r: {"result": r.choice(["excellent", "passed", "passed", "failed"])}),
    ("community_activity", lambda r: {"activity": "邻里节"}),
    ("small_ad_cleanup", lambda r: {"count": r.randint(1, 20)}),
    ("mediation", lambda r: {"case": f"C-{r.randint(1, 999)}", "role": r.choice(["mediator", "party"]),
                             "satisfaction": r.randint(1, 5)}),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def server(database_url: str, *, auth: bool = False):
    """A ``xinzhi serve`` process on a free port: yields its base URL and pid.

    Tokens are off by default (this benchmark measures scoring, not tokens); the soak turns them on.
    """
    port = free_port()
    xinzhi = Path(sys.executable).parent / "xinzhi"
    process = subprocess.Popen([str(xinzhi), "serve", "--port", str(port), "--log-level", "warning",
                                "--database-url", database_url], cwd=ROOT, stdout=subprocess.DEVNULL,
                               env={**os.environ, "XINZHI_AUTH": "on" if auth else "off"})
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            time.sleep(0.1)
        else:
            raise SystemExit("server did not start")
        yield base, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def make_facts(n: int, residents: int, prefix: str, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    start = dt.datetime(2024, 1, 1, 8, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    facts = []
    for i in range(n):
        kind, fields = rng.choice(TYPES)
        moment = start + dt.timedelta(minutes=i * 17 % (180 * 24 * 60))
        facts.append({"id": f"{prefix}{i}", "type": kind, "resident": f"B{rng.randrange(residents):05d}",
                      "occurred_at": moment.isoformat(), "fields": fields(rng)})
    return facts


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def run(backend: str, url: str, args) -> dict:
    with server(url) as (base, pid), httpx.Client(base_url=base, timeout=120) as http:
        residents = [{"id": f"B{i:05d}", "name": f"居民{i}", "zone": "north" if i % 2 else "south",
                      "household": f"H{i // 3:05d}"} for i in range(args.residents)]
        for begin in range(0, len(residents), 5000):
            http.post(f"/communities/{COMMUNITY}/residents", json=residents[begin:begin + 5000]).raise_for_status()
        facts = make_facts(args.facts, args.residents, "b-")
        batches = [facts[i:i + args.batch] for i in range(0, len(facts), args.batch)]
        http.post(f"/communities/{COMMUNITY}/facts/batch", json={"facts": make_facts(50, args.residents, "warm-")})

        def post_batch(batch):
            with httpx.Client(base_url=base, timeout=120) as client:
                client.post(f"/communities/{COMMUNITY}/facts/batch", json={"facts": batch}).raise_for_status()

        ingest_rss = [rss_mb(pid)]
        began = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            list(pool.map(post_batch, batches))
        batch_rate = len(facts) / (time.perf_counter() - began)

        singles = make_facts(args.singles, args.residents, "s-", seed=11)
        latencies = []
        for fact in singles:
            t = time.perf_counter()
            http.post(f"/communities/{COMMUNITY}/facts", json=fact).raise_for_status()
            latencies.append((time.perf_counter() - t) * 1000)
        latencies.sort()
        ingest_rss.append(rss_mb(pid))
        draft_rss = None
        if args.drafts:
            text = (ROOT / "rulesets" / "yihe_2021.yaml").read_text(encoding="utf-8")
            sample = [make_facts(3, args.residents, "d-")[0]]
            warm = min(100, args.drafts // 5)
            for i in range(args.drafts):
                if i == warm:
                    before = rss_mb(pid)
                draft = text.replace("version: 1", f"version: {1000 + i}").replace(
                    "award: {points: 2}\n    limits: [{period: month, max: 10}]",
                    f"award: {{points: {i % 7 + 1}}}\n    limits: [{{period: month, max: 10}}]", 1)
                http.post(f"/communities/{COMMUNITY}/dry-run", json={"ruleset": draft, "facts": sample,
                                                                     "explain": False}).raise_for_status()
            draft_rss = (before, rss_mb(pid))
        return {"backend": backend, "facts": len(facts), "batch": args.batch, "clients": args.clients,
                "batch_rate": batch_rate, "p50": statistics.median(latencies),
                "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], "draft_rss": draft_rss,
                "ingest_rss": ingest_rss}


def in_process_drafts(n: int) -> tuple[float, float]:
    """For contrast: RSS of this process before and after compiling ``n`` fresh drafts in it."""
    sys.path.insert(0, str(ROOT))  # the engine package, not benchmarks/engine.py beside this script
    from xinzhi.engine import compile_ruleset, evaluate, load_ruleset
    text = (ROOT / "rulesets" / "yihe_2021.yaml").read_text(encoding="utf-8")
    fact = make_facts(1, 10, "c-")[0]
    pid = os.getpid()
    before = 0.0
    for i in range(n):
        if i == min(100, n // 5):
            before = rss_mb(pid)
        draft = text.replace("version: 1", f"version: {5000 + i}").replace(
            "award: {points: 2}\n    limits: [{period: month, max: 10}]",
            f"award: {{points: {i % 7 + 1}}}\n    limits: [{{period: month, max: 10}}]", 1)
        evaluate(compile_ruleset(load_ruleset(draft)), [fact])
    return before, rss_mb(pid)


def cpu_ms(pid: int) -> float:
    """CPU time (user + system) the process has used, in ms: unlike latency, not inflated by a busy machine."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def timings(http: httpx.Client, path: str, times: int, pid: int) -> tuple[float, float, float]:
    """p50 and p99 milliseconds of ``times`` GETs of ``path``, and the server's CPU ms per GET."""
    latencies = []
    http.get(path).raise_for_status()  # warm
    cpu = cpu_ms(pid)
    for _ in range(times):
        t = time.perf_counter()
        http.get(path).raise_for_status()
        latencies.append((time.perf_counter() - t) * 1000)
    cpu = (cpu_ms(pid) - cpu) / times
    latencies.sort()
    return statistics.median(latencies), latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], cpu


def reads(backend: str, url: str, args) -> list[dict]:
    """Board and summary latency over HTTP while the ledger grows to each of ``--ledger-sizes`` entries.

    The ledger is filled in this process through the service's own ``post_facts`` (what the
    API calls), facts spread over the 24 months before today, then read through a real server.
    """
    from xinzhi.communities import ResidentCreate, register_residents
    from xinzhi.ledger import community_months, facts_counted
    from xinzhi.scoring import post_facts
    from xinzhi.service import open_service
    from xinzhi.settings import Settings

    service = open_service(Settings(database_url=url, max_batch_facts=10_000))
    register_residents(service, COMMUNITY, [ResidentCreate(id=f"B{i:05d}", name=f"居民{i}",
                                                           zone="north" if i % 2 else "south")
                                            for i in range(args.residents)])
    rng = random.Random(5)
    now = dt.datetime.now(dt.UTC)
    span = dt.timedelta(days=730).total_seconds()
    last_month = (dt.date.today().replace(day=1) - dt.timedelta(days=1)).isoformat()
    rows, posted = [], 0
    with server(url) as (base, pid), httpx.Client(base_url=base, timeout=120) as http:
        for size in sorted(int(n) for n in args.ledger_sizes.split(",")):
            began = time.perf_counter()
            while True:
                with service.db.reading() as session:
                    entries = sum(t.entries for t in community_months(session, COMMUNITY).values())
                if entries >= size:
                    break
                batch = []
                for _ in range(min(10_000, max(1_000, size - entries))):
                    kind, fields = rng.choice(TYPES)
                    moment = now - dt.timedelta(seconds=span * rng.random() + 3600)
                    batch.append({"id": f"r{posted}", "type": kind, "resident": f"B{rng.randrange(args.residents):05d}",
                                  "occurred_at": moment.isoformat(), "fields": fields(rng)})
                    posted += 1
                post_facts(service, COMMUNITY, batch, explain=False)
            filled = time.perf_counter() - began
            with service.db.reading() as session:
                facts = facts_counted(session, COMMUNITY)
            rows.append({"backend": backend, "entries": entries, "facts": facts, "fill_s": filled,
                         "board": timings(http, f"/communities/{COMMUNITY}/board", args.reads, pid),
                         "summary": timings(http, f"/communities/{COMMUNITY}/summary", args.reads, pid),
                         "summary_past": timings(http, f"/communities/{COMMUNITY}/summary?as_of={last_month}",
                                                 args.reads, pid),
                         "rss": rss_mb(pid)})
    service.close()
    return rows


def with_backend(backend: str, measure) -> list:
    """``measure(backend, url)`` on a fresh database of that backend."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as directory:
            return measure(backend, f"sqlite:///{directory}/bench.db")
    sys.path.insert(0, str(ROOT))  # tests.support: the one way a fresh schema is made
    from tests.support.backends import postgres_schema
    base = os.environ.get("XINZHI_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    with postgres_schema(base, prefix="xinzhi_bench") as url:
        return measure(backend, url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--facts", type=int, default=20_000)
    parser.add_argument("--residents", type=int, default=2_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--singles", type=int, default=500)
    parser.add_argument("--drafts", type=int, default=0, help="also time this many dry-runs of fresh drafts")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--phases", default="ingest,reads", help="ingest, reads or both")
    parser.add_argument("--ledger-sizes", default="10000,100000,1000000", help="reads: ledger entries to measure at")
    parser.add_argument("--reads", type=int, default=40, help="reads: requests per measurement")
    args = parser.parse_args()
    phases = args.phases.split(",")
    if "ingest" in phases:
        rows = [r for backend in args.backends.split(",")
                for r in with_backend(backend, lambda b, url: [run(b, url, args)])]
        print(f"\n{'backend':<11} {'facts':>7} {'batch':>6} {'clients':>7} {'batch facts/s':>14} "
              f"{'single p50 ms':>14} {'single p99 ms':>14} {'RSS over ingest MB':>19} {'RSS over drafts MB':>19}")
        for r in rows:
            rss = f"{r['draft_rss'][0]:.0f} → {r['draft_rss'][1]:.0f}" if r["draft_rss"] else "—"
            ingest = f"{r['ingest_rss'][0]:.0f} → {r['ingest_rss'][1]:.0f}"
            print(f"{r['backend']:<11} {r['facts']:>7} {r['batch']:>6} {r['clients']:>7} {r['batch_rate']:>14,.0f} "
                  f"{r['p50']:>14.1f} {r['p99']:>14.1f} {ingest:>19} {rss:>19}")
        if args.drafts:
            before, after = in_process_drafts(args.drafts)
            print(f"\nfor contrast, {args.drafts} fresh drafts compiled inside one process (what the server avoids): "
                  f"RSS {before:.0f} → {after:.0f} MB")
    if "reads" in phases:
        rows = [r for backend in args.backends.split(",")
                for r in with_backend(backend, lambda b, url: reads(b, url, args))]
        print(f"\nreads as the ledger grows ({args.residents:,} residents, 24 months; "
              f"p50 / p99 ms over {args.reads} GETs, and the server's CPU ms per GET)")
        print("| backend | ledger entries | facts | board | summary (today) | summary (end of last month) "
              "| server RSS MB |")
        print("|---|---|---|---|---|---|---|")
        for r in rows:
            cells = " | ".join(f"{r[k][0]:.1f} / {r[k][1]:.1f} ({r[k][2]:.1f} CPU)"
                               for k in ("board", "summary", "summary_past"))
            print(f"| {r['backend']} | {r['entries']:,} | {r['facts']:,} | {cells} | {r['rss']:.0f} |")


if __name__ == "__main__":
    main()
