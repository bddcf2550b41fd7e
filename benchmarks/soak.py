"""Soak: mixed ingest, reads and redemptions against a real server; RSS and p99 every minute.

    .venv/bin/python benchmarks/soak.py                                  # 10 minutes, SQLite, 8 clients
    .venv/bin/python benchmarks/soak.py --minutes 3 --backend postgres   # XINZHI_TEST_POSTGRES_URL

Starts ``xinzhi serve`` with tokens on, registers residents, puts items in the shop, takes a
staff token and resident tokens, seeds facts so residents have points to spend, then runs
``--clients`` threads, each a closed loop of one request after another (``--think`` ms apart):

* ingest: one fact (``POST /facts``, 1 in 5 a repost of a fact already sent: 200, not 201)
  and small batches of 2-20 facts (``POST /facts/batch``, sometimes with a repost inside);
* reads: a resident's score and ledger (with the resident's own token), the public board
  (no token) and the community summary (staff);
* redemptions by residents for themselves: cheap items that mostly succeed and dear ones
  refused with 409 ``insufficient_points`` (expected, not an error); and cancellations by
  staff (1 in 5 repeats one already cancelled: 409 ``redemption_already_cancelled``, expected).

Each minute prints one row: requests, unexpected 4xx, 5xx (and requests that failed outright),
p50 and p99 over all requests and the p99 of the slowest kind, the server's RSS (psutil; its
child processes included), the ledger's size, the server's CPU use and the machine's load
average (the machine may be shared); at the end, one row per kind of request. The verdict
compares the RSS at the end of minute 2 (warm-up) with the end: flat if it grew by at most
20 MB or 10 % (whichever is larger); it also prints the growth over the second half, which
a bounded cache still filling keeps small and a leak does not. Exit 1 if anything answered
5xx or a request failed outright; exit 2 if the RSS was not flat. Results: benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import datetime as dt
import os
import random
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # ``benchmarks.api`` when run as ``python benchmarks/soak.py``

from benchmarks.api import COMMUNITY, TYPES, postgres_url, server  # noqa: E402

CST = dt.timezone(dt.timedelta(hours=8))
WARM_UP_MINUTES = 2
FLAT_MB, FLAT_SHARE = 20.0, 0.10
ITEMS = [  # id, price, weight among redemptions: cheap ones mostly succeed, dear ones mostly refused
    ("soap", 5, 5), ("oil", 30, 3), ("course", 150, 2), ("physio", 800, 1)]
KINDS = {  # kind: weight in the mix
    "fact": 25, "batch": 10, "score": 14, "ledger": 10, "board": 10, "summary": 5, "redeem": 20, "cancel": 6}
EXPECTED_409 = {"insufficient_points", "out_of_stock", "redemption_already_cancelled"}


@dataclass
class Shared:
    """What the client threads share: tokens, redemptions to cancel, and the records of requests."""

    base: str
    staff: str
    holders: dict[str, str]  # resident id -> that resident's token
    residents: list[str]
    lock: threading.Lock = field(default_factory=threading.Lock)
    records: list[tuple[str, float, int, bool]] = field(default_factory=list)  # kind, ms, status, expected
    surprises: list[str] = field(default_factory=list)  # a few unexpected answers, for the report
    to_cancel: collections.deque = field(default_factory=collections.deque)
    cancelled: collections.deque = field(default_factory=lambda: collections.deque(maxlen=200))

    def record(self, kind: str, ms: float, status: int, expected: bool, note: str = "") -> None:
        with self.lock:
            self.records.append((kind, ms, status, expected))
            if not expected and len(self.surprises) < 20:
                self.surprises.append(f"{kind} {status} {note[:300]}")

    def take(self) -> list[tuple[str, float, int, bool]]:
        with self.lock:
            taken, self.records = self.records, []
        return taken


def fact(rng: random.Random, fact_id: str, resident: str, now: dt.datetime) -> dict:
    """A valid yihe_2021 fact dated within the last 330 days (never ahead of now)."""
    kind, fields = rng.choice(TYPES)
    moment = now - dt.timedelta(minutes=rng.randrange(60, 330 * 24 * 60))
    return {"id": fact_id, "type": kind, "resident": resident, "occurred_at": moment.isoformat(timespec="seconds"),
            "fields": fields(rng)}


def set_up(base: str, url: str, args) -> Shared:
    """Residents, shop items, tokens and seed facts; returns what the clients need."""
    from xinzhi.access import create_token
    from xinzhi.service import open_service
    from xinzhi.settings import Settings

    service = open_service(Settings(database_url=url, rulesets_dir=None), load_rulesets=False)
    try:
        admin = create_token(service, ["committee", "staff"], label="soak setup").token
        auth = {"Authorization": f"Bearer {admin}"}
        residents = [f"S{i:05d}" for i in range(args.residents)]
        with httpx.Client(base_url=base, timeout=120, headers=auth) as http:
            rulesets = http.get(f"/communities/{COMMUNITY}/rulesets", params={"status": "published"})
            rulesets.raise_for_status()
            if not rulesets.json():
                raise SystemExit(f"no published ruleset in community '{COMMUNITY}'")
            people = [{"id": r, "name": f"居民{i}", "zone": "north" if i % 2 else "south",
                       "household": f"SH{i // 3:05d}"} for i, r in enumerate(residents)]
            for begin in range(0, len(people), 5000):
                http.post(f"/communities/{COMMUNITY}/residents", json=people[begin:begin + 5000]).raise_for_status()
            http.put(f"/communities/{COMMUNITY}/shop/items", json=[
                {"id": item, "kind": "goods", "title": item, "price": price, "stock": 1_000_000}
                for item, price, _ in ITEMS]).raise_for_status()
            rng = random.Random(args.seed)
            now = dt.datetime.now(CST)
            seed = [fact(rng, f"seed-{i}", residents[i % len(residents)], now)
                    for i in range(args.residents * args.seed_facts)]
            for begin in range(0, len(seed), 1000):
                http.post(f"/communities/{COMMUNITY}/facts/batch", json={"facts": seed[begin:begin + 1000]},
                          ).raise_for_status()
        staff = create_token(service, ["staff"], community=COMMUNITY, label="soak staff").token
        holders = {r: create_token(service, ["resident"], community=COMMUNITY, resident=r).token
                   for r in residents[:args.holders]}
    finally:
        service.close()
    return Shared(base=base, staff=staff, holders=holders, residents=residents)


def client(number: int, shared: Shared, stop_at: float, args) -> None:
    """One closed loop of requests until ``stop_at``; every answer is recorded."""
    rng = random.Random(args.seed * 1000 + number)
    kinds, weights = list(KINDS), list(KINDS.values())
    items, item_weights = [i[0] for i in ITEMS], [i[2] for i in ITEMS]
    holders = list(shared.holders)
    staff = {"Authorization": f"Bearer {shared.staff}"}
    sent: collections.deque = collections.deque(maxlen=500)  # facts this client posted, to repost some
    serial = 0
    c = f"/communities/{COMMUNITY}"

    def resident() -> str:  # half the facts go to token holders, who spend the points
        return rng.choice(holders) if rng.random() < 0.5 else rng.choice(shared.residents)

    with httpx.Client(base_url=shared.base, timeout=60) as http:
        while time.monotonic() < stop_at:
            kind = rng.choices(kinds, weights)[0]
            holder = rng.choice(holders)
            mine = {"Authorization": f"Bearer {shared.holders[holder]}"}
            ok_codes: tuple[int, ...] = (200,)
            redemption = None
            now = dt.datetime.now(CST)
            if kind == "cancel" and not shared.to_cancel:
                kind = "redeem"
            if kind == "fact":
                if sent and rng.random() < 0.2:
                    body = rng.choice(sent)
                    ok_codes = (200,)
                else:
                    serial += 1
                    body = fact(rng, f"soak-{args.seed}-{number}-{serial}", resident(), now)
                    sent.append(body)
                    ok_codes = (201,)
                request = ("POST", f"{c}/facts", {"json": body, "headers": staff})
            elif kind == "batch":
                batch = []
                for _ in range(rng.randint(2, 20)):
                    serial += 1
                    batch.append(fact(rng, f"soak-{args.seed}-{number}-{serial}", resident(), now))
                sent.extend(batch)
                if rng.random() < 0.3:
                    batch.append(rng.choice(sent))  # one seen before: counted as a duplicate
                request = ("POST", f"{c}/facts/batch", {"json": {"facts": batch}, "headers": staff})
            elif kind == "score":
                request = ("GET", f"{c}/residents/{holder}/score", {"headers": mine})
            elif kind == "ledger":
                request = ("GET", f"{c}/residents/{holder}/ledger",
                           {"params": {"newest_first": "true", "limit": 20}, "headers": mine})
            elif kind == "board":
                request = ("GET", f"{c}/board", {})
            elif kind == "summary":
                request = ("GET", f"{c}/summary", {"headers": staff})
            elif kind == "redeem":
                item = rng.choices(items, item_weights)[0]
                request = ("POST", f"{c}/shop/redemptions", {"json": {"id": f"soak-{rng.getrandbits(64):x}",
                                                                      "resident": holder, "item": item},
                                                             "headers": mine})
                ok_codes = (201,)
            else:  # cancel: mostly one not cancelled yet; 1 in 5 one cancelled before (expected 409)
                again = bool(shared.cancelled) and rng.random() < 0.2
                try:
                    redemption = shared.cancelled[0] if again else shared.to_cancel.popleft()
                except IndexError:
                    continue
                request = ("POST", f"{c}/shop/redemptions/{redemption}/cancel",
                           {"json": {"reason": "soak"}, "headers": staff})
            method, path, options = request
            began = time.perf_counter()
            try:
                response = http.request(method, path, **options)
            except httpx.HTTPError as exc:
                shared.record(kind, (time.perf_counter() - began) * 1000, 0, False, f"{type(exc).__name__}: {exc}")
                continue
            ms = (time.perf_counter() - began) * 1000
            status = response.status_code
            expected = status in ok_codes
            if status == 409 and kind in ("redeem", "cancel"):
                expected = response.json().get("code") in EXPECTED_409
            shared.record(kind, ms, status, expected, f"{method} {path}: {response.text}")
            if kind == "redeem" and status == 201 and rng.random() < 0.3:
                shared.to_cancel.append(response.json()["id"])
            elif kind == "cancel" and status == 200:
                shared.cancelled.append(redemption)
            if args.think:
                time.sleep(args.think / 1000)


def cpu_seconds(pid: int) -> float:
    """CPU time used so far by the server process (user + system), its children left out."""
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def rss_mb(pid: int) -> tuple[float, float, int]:
    """RSS of the server process and of its children (draft workers), in MB, and how many children."""
    process = psutil.Process(pid)
    children = process.children(recursive=True)
    own = process.memory_info().rss / 1e6
    others = 0.0
    for child in children:
        with contextlib.suppress(psutil.NoSuchProcess):
            others += child.memory_info().rss / 1e6
    return own, others, len(children)


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * share))]


def soak(backend: str, url: str, args) -> int:
    ledger = create_engine(url)

    def ledger_size() -> int:
        with ledger.connect() as connection:
            return connection.execute(text("SELECT count(*) FROM ledger_entries")).scalar_one()

    with server(url, auth=True) as (base, pid):
        began = time.monotonic()
        shared = set_up(base, url, args)
        own, others, children = rss_mb(pid)
        print(f"soak on {backend}: {args.residents:,} residents ({len(shared.holders)} with their own token), "
              f"{args.residents * args.seed_facts:,} seed facts, {args.clients} clients, {args.minutes} minutes; "
              f"set-up {time.monotonic() - began:.0f} s, ledger {ledger_size():,} entries, "
              f"RSS {own:.0f} MB + {others:.0f} MB in {children} child process(es)", flush=True)
        print(f"\n| min | requests | req/s | unexpected 4xx | 5xx | p50 ms | p99 ms | slowest p99 ms | "
              f"RSS MB (server + children) | ledger entries | server CPU % | load |\n|{'---|' * 12}", flush=True)
        start, cpu = time.monotonic(), cpu_seconds(pid)
        stop_at = start + args.minutes * 60
        threads = [threading.Thread(target=client, args=(i, shared, stop_at, args), daemon=True)
                   for i in range(args.clients)]
        for thread in threads:
            thread.start()
        everything: list[tuple[str, float, int, bool]] = []
        rss = [own + others]  # after set-up, then at the end of each minute
        for minute in range(1, args.minutes + 1):
            time.sleep(max(0.0, start + minute * 60 - time.monotonic()))
            if minute == args.minutes:
                for thread in threads:
                    thread.join()
            records = shared.take()
            everything += records
            cpu, used = cpu_seconds(pid), cpu_seconds(pid) - cpu
            own, others, children = rss_mb(pid)
            rss.append(own + others)
            by_kind: dict[str, list[float]] = collections.defaultdict(list)
            for kind, ms, _, _ in records:
                by_kind[kind].append(ms)
            slowest = max(by_kind, key=lambda k: percentile(by_kind[k], 0.99)) if by_kind else "—"
            latencies = [r[1] for r in records]
            unexpected = sum(1 for r in records if not r[3] and 400 <= r[2] < 500)
            errors = sum(1 for r in records if r[2] >= 500 or r[2] == 0)
            print(f"| {minute} | {len(records):,} | {len(records) / 60:.0f} | {unexpected} | {errors} | "
                  f"{percentile(latencies, 0.5):.1f} | {percentile(latencies, 0.99):.1f} | "
                  f"{percentile(by_kind.get(slowest, []), 0.99):.1f} ({slowest}) | "
                  f"{own + others:.0f} ({own:.0f} + {others:.0f}) | {ledger_size():,} | {used / 60:.0%} | "
                  f"{os.getloadavg()[0]:.1f} |", flush=True)
    ledger.dispose()

    print(f"\n| kind | requests | expected refusals (409) | unexpected | p50 ms | p99 ms | max ms |\n|{'---|' * 7}")
    for kind in KINDS:
        rows = [r for r in everything if r[0] == kind]
        ms = [r[1] for r in rows]
        print(f"| {kind} | {len(rows):,} | {sum(1 for r in rows if r[2] == 409 and r[3]):,} | "
              f"{sum(1 for r in rows if not r[3]):,} | {percentile(ms, 0.5):.1f} | {percentile(ms, 0.99):.1f} | "
              f"{max(ms, default=float('nan')):.1f} |")
    for surprise in shared.surprises:
        print(f"unexpected: {surprise}")

    warm = min(WARM_UP_MINUTES, args.minutes - 1)  # a run of one minute compares with the RSS after set-up
    base_rss, end_rss = rss[warm], rss[-1]
    growth = end_rss - base_rss
    allowed = max(FLAT_MB, FLAT_SHARE * base_rss)
    flat = growth <= allowed
    five = sum(1 for r in everything if r[2] >= 500)
    failed = sum(1 for r in everything if r[2] == 0)
    since = f"at the end of minute {warm}" if warm else "after set-up"
    half = args.minutes // 2  # a bounded cache still filling shows here as much smaller growth than above
    print(f"\nverdict: RSS {base_rss:.0f} MB {since} → {end_rss:.0f} MB at the end: "
          f"{growth:+.1f} MB ({growth / base_rss:+.1%}); {'flat' if flat else 'NOT flat'} "
          f"(tolerance {allowed:.0f} MB = max({FLAT_MB:.0f} MB, {FLAT_SHARE:.0%})); "
          f"over the second half ({f'end of minute {half}' if half else 'set-up'} → end) "
          f"{end_rss - rss[half]:+.1f} MB;\n"
          f"5xx: {five}; failed requests: {failed}; unexpected 4xx: "
          f"{sum(1 for r in everything if not r[3] and 400 <= r[2] < 500)}")
    if five or failed:
        return 1
    return 0 if flat else 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=int, default=10)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--residents", type=int, default=1_000)
    parser.add_argument("--holders", type=int, default=100, help="residents who get a token and redeem")
    parser.add_argument("--seed-facts", type=int, default=15, help="facts per resident before the soak")
    parser.add_argument("--think", type=float, default=0, help="ms each client waits between requests")
    args = parser.parse_args()
    if args.minutes < 1 or args.holders > args.residents:
        parser.error("--minutes must be at least 1 and --holders at most --residents")
    if args.backend == "sqlite":
        with tempfile.TemporaryDirectory() as directory:
            code = soak("sqlite", f"sqlite:///{directory}/soak.db", args)
    else:
        with postgres_url() as url:
            code = soak("postgresql", url, args)
    sys.exit(code)


if __name__ == "__main__":
    main()
