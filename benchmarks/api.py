"""HTTP benchmark of the scoring API on SQLite and PostgreSQL.

Starts a real ``xinzhi serve`` process per backend on a free port, registers residents,
then measures over HTTP:

* batch ingest: facts/s posting ``--facts`` facts in batches of ``--batch`` (``--clients`` at
  a time), overall and over the first and the last ``--window`` facts (by default a tenth of
  the run: 100,000 of 1M): ingest should stay flat as the store grows. The server's CPU per 1,000
  facts over those two windows says whether its work grows, apart from a machine whose speed
  drifts. Facts come one a minute from 2024-01-01 in time order (1M facts reach late 2025), civic kinds spread over
  ``--residents`` residents; the server's CPU per 1,000 facts is shown too, which a busy
  machine inflates less than the rate;
* single-fact latency: p50 / p99 of one ``POST /facts`` at a time;
* draft dry-runs: RSS of the server before and after ``--drafts`` dry-runs of fresh drafts;
* reads as the ledger grows (``--ledger-sizes``): p50 / p99 of the public board, the
  community summary today, and the summary as of the end of last month, at 10k, 100k and 1M
  ledger entries over ``--residents`` residents and 24 months. They should stay flat.

    .venv/bin/python benchmarks/api.py                      # SQLite, and PostgreSQL if configured
    .venv/bin/python benchmarks/api.py --facts 50000 --backends sqlite
    .venv/bin/python benchmarks/api.py --phases reads --ledger-sizes 10000,100000 --backends sqlite

Acceptance of batch ingest (issue 15: ≥ 8,000 facts/s on SQLite, ≥ 5,000 on PostgreSQL over
1M facts stored, the last 100k no slower than 0.8× the first 100k), one command:

    .venv/bin/python benchmarks/api.py --phases ingest --facts 1000000 --clients 2 --singles 100

PostgreSQL comes from ``XINZHI_TEST_POSTGRES_URL`` (a fresh schema, dropped afterwards).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psutil

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
def server(database_url: str, *, auth: bool = False, workers: int = 1):
    """A ``xinzhi serve`` process on a free port: yields its base URL and pid.

    Tokens are off by default (this benchmark measures scoring, not tokens); the soak turns them on.
    """
    port = free_port()
    xinzhi = Path(sys.executable).parent / "xinzhi"
    process = subprocess.Popen([str(xinzhi), "serve", "--port", str(port), "--log-level", "warning",
                                "--database-url", database_url, "--workers", str(workers)],
                               cwd=ROOT, stdout=subprocess.DEVNULL,
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


START = dt.datetime(2024, 1, 1, 8, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def make_facts(n: int, residents: int, prefix: str, *, first: int = 0, seed: int = 7) -> list[dict]:
    """Facts ``first`` … ``first + n - 1`` of one stream: one a minute from ``START``, the same on every run."""
    rng = random.Random(seed * 1_000_003 + first)
    facts = []
    for i in range(first, first + n):
        kind, fields = rng.choice(TYPES)
        facts.append({"id": f"{prefix}{i}", "type": kind, "resident": f"B{rng.randrange(residents):05d}",
                      "occurred_at": (START + dt.timedelta(minutes=i)).isoformat(), "fields": fields(rng)})
    return facts


def window_rates(done: list[tuple[float, int]], began: float, window: int) -> tuple[float, float]:
    """Facts/s over the first and the last ``window`` facts, from (moment, facts) of each batch completed."""
    done = sorted(done)
    moments, counts = [began] + [moment for moment, _ in done], [0]
    for _, n in done:
        counts.append(counts[-1] + n)
    total = counts[-1]
    first = next(i for i, count in enumerate(counts) if count >= window)
    last = max(i for i, count in enumerate(counts) if count <= total - window)
    return (counts[first] / (moments[first] - began),
            (total - counts[last]) / (moments[-1] - moments[last]))


def _tree(pid: int, read: Callable[[psutil.Process], float]) -> float:
    """``read`` summed over the server and every process it started (``--server-workers``', a dry-run pool)."""
    root = psutil.Process(pid)
    total = read(root)
    for child in root.children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):  # a worker may end between the listing and the read
            total += read(child)
    return total


def file_io(pid: int) -> tuple[float, ...]:
    """Bytes and calls the server's processes read and wrote (``/proc/<pid>/io``): a store's page reads and log writes.

    Unlike the rates, these do not move with the machine's speed: what a change to the store's
    work does shows here even on a run the machine slowed.
    """
    fields = ("read_chars", "write_chars", "read_count", "write_count")
    return tuple(_tree(pid, lambda process, f=f: getattr(process.io_counters(), f)) for f in fields)


def rss_mb(pid: int) -> float:
    """Resident memory of the server's processes together."""
    return _tree(pid, lambda process: process.memory_info().rss) / 1e6


def run(backend: str, url: str, args) -> dict:
    with server(url, workers=args.server_workers) as (base, pid), httpx.Client(base_url=base, timeout=120) as http:
        residents = [{"id": f"B{i:05d}", "name": f"居民{i}", "zone": "north" if i % 2 else "south",
                      "household": f"H{i // 3:05d}"} for i in range(args.residents)]
        for begin in range(0, len(residents), 5000):
            http.post(f"/communities/{COMMUNITY}/residents", json=residents[begin:begin + 5000]).raise_for_status()
        warm = 50
        http.post(f"/communities/{COMMUNITY}/facts/batch", json={"facts": make_facts(warm, args.residents, "warm-")})
        # The bodies are made before the clock starts: on two cores, making and encoding facts
        # while posting them would take CPU the server is measured on.
        bodies = [(json.dumps({"facts": batch}).encode(), len(batch)) for batch in (
            make_facts(min(args.batch, warm + args.facts - first), args.residents, "b-", first=first)
            for first in range(warm, warm + args.facts, args.batch))]
        done: list[tuple[float, int]] = []
        clients = threading.local()
        window = args.window or max(args.batch, args.facts // 10)
        # The server's CPU as the first window ends and as the last begins (to a batch): whether its work
        # per fact grows with the store, apart from a machine whose speed drifts during a long run.
        marks, cpu_at, posted, counting = (window, args.facts - window), {}, [0], threading.Lock()

        def post_batch(body: tuple[bytes, int]) -> None:
            if not hasattr(clients, "http"):
                clients.http = httpx.Client(base_url=base, timeout=300, headers={"content-type": "application/json"})
            clients.http.post(f"/communities/{COMMUNITY}/facts/batch", content=body[0]).raise_for_status()
            with counting:
                done.append((time.perf_counter(), body[1]))
                posted[0] += body[1]
                for mark in marks:
                    if posted[0] >= mark and mark not in cpu_at:
                        cpu_at[mark] = (cpu_ms(pid), posted[0])

        ingest_rss = [rss_mb(pid)]
        io_before = file_io(pid)
        cpu, own_cpu = cpu_ms(pid), time.process_time()
        began = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            list(pool.map(post_batch, bodies))
        batch_rate = args.facts / (time.perf_counter() - began)
        ended = cpu_ms(pid)
        io_per_fact = [(after - before) / args.facts for before, after in zip(io_before, file_io(pid), strict=True)]
        cpu_per_1000 = (ended - cpu) / args.facts * 1000
        client_per_1000 = (time.process_time() - own_cpu) / args.facts * 1_000_000
        first_rate, last_rate = window_rates(done, began, window)
        (first_cpu, first_posted), (last_cpu, last_posted) = (cpu_at[mark] for mark in marks)
        window_cpu = ((first_cpu - cpu) / first_posted * 1000, (ended - last_cpu) / (args.facts - last_posted) * 1000)

        singles = make_facts(args.singles, args.residents, "s-", first=warm + args.facts, seed=11)
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
        return {"backend": backend, "facts": args.facts, "batch": args.batch, "clients": args.clients,
                "batch_rate": batch_rate, "window": window, "first_rate": first_rate, "last_rate": last_rate,
                "cpu_per_1000": cpu_per_1000, "window_cpu": window_cpu, "client_per_1000": client_per_1000,
                "p50": statistics.median(latencies),
                "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], "draft_rss": draft_rss,
                "ingest_rss": ingest_rss, "io": io_per_fact}


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
    """CPU ms (user + system) the server's processes have used: unlike latency, not inflated by a busy machine."""
    return _tree(pid, lambda process: sum(process.cpu_times()[:2])) * 1000


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
    parser.add_argument("--server-workers", type=int, default=1, help="ingest: server processes (serve --workers)")
    parser.add_argument("--window", type=int, default=0,
                        help="ingest: facts in the first and last windows compared (default: a tenth of --facts)")
    parser.add_argument("--singles", type=int, default=500)
    parser.add_argument("--drafts", type=int, default=0, help="also time this many dry-runs of fresh drafts")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--phases", default="ingest,reads", help="ingest, reads or both")
    parser.add_argument("--ledger-sizes", default="10000,100000,1000000", help="reads: ledger entries to measure at")
    parser.add_argument("--reads", type=int, default=40, help="reads: requests per measurement")
    args = parser.parse_args()
    if args.singles < 1:
        parser.error("--singles must be at least 1: the single-fact latency is part of every ingest row")
    sys.path.insert(0, str(ROOT))  # the benchmarks package (and the engine package, not engine.py beside this)
    from benchmarks.machine import describe
    print(describe(), flush=True)
    phases = args.phases.split(",")
    if "ingest" in phases:
        rows = [r for backend in args.backends.split(",")
                for r in with_backend(backend, lambda b, url: [run(b, url, args)])]
        print(f"\nbatch ingest over HTTP ({args.residents:,} residents, one fact a minute in time order; "
              "first and last window in facts/s; server and client CPU ms per 1,000 facts)")
        print("| backend | server workers | facts | batch | clients | facts/s | window | first window | last window "
              "| last / first | server / client CPU | server CPU first / last window | single p50 / p99 ms "
              "| RSS over ingest MB | RSS over drafts MB | server file I/O per fact: read / written KB (calls) |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for r in rows:
            rss = f"{r['draft_rss'][0]:.0f} → {r['draft_rss'][1]:.0f}" if r["draft_rss"] else "—"
            print(f"| {r['backend']} | {args.server_workers} | {r['facts']:,} | {r['batch']} | {r['clients']} "
                  f"| {r['batch_rate']:,.0f} "
                  f"| {r['window']:,} | {r['first_rate']:,.0f} | {r['last_rate']:,.0f} "
                  f"| {r['last_rate'] / r['first_rate']:.2f} | {r['cpu_per_1000']:,.0f} / {r['client_per_1000']:,.0f} "
                  f"| {r['window_cpu'][0]:,.0f} / {r['window_cpu'][1]:,.0f} "
                  f"| {r['p50']:.1f} / {r['p99']:.1f} | {r['ingest_rss'][0]:.0f} → {r['ingest_rss'][1]:.0f} | {rss} "
                  f"| {r['io'][0] / 1024:.1f} ({r['io'][2]:.1f}) / {r['io'][1] / 1024:.1f} ({r['io'][3]:.1f}) |")
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
