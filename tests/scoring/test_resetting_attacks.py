"""Attacks on 年度清零 / 未整改的带入下一年 in the store: late facts at the edges of a period, appeals,
versions that change a reset, the credit supermarket, concurrency and hostile standards.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.engine.test_resets import standard_text
from tests.support.fixtures import new_community
from xinzhi.db.tables import LedgerEntry
from xinzhi.engine import compile_ruleset, evaluate, load_ruleset
from xinzhi.ledger import resident_score
from xinzhi.scoring import close_periods, post_facts


def standard(resets: str = "[{account: index, every: year}]", *, carry: str = "true", start: str = "2021-01-01",
             end: str | None = None, version: int = 1, deed: int = 2) -> str:
    return standard_text(resets, carry=carry, start=start, end=end, version=version, deed=deed, ident="attacks")


def fact(fid: str, kind: str, resident: str, when: str) -> dict:
    return {"id": fid, "type": kind, "resident": resident, "occurred_at": when}


def reset_entries(service, community: str) -> list[LedgerEntry]:
    with service.db.reading() as session:
        return list(session.scalars(select(LedgerEntry).where(LedgerEntry.community == community,
                                                              LedgerEntry.kind == "reset")
                                    .order_by(LedgerEntry.seq)))


def reset_sums(service, community: str) -> dict:
    found: Counter = Counter()
    for entry in reset_entries(service, community):
        found[(entry.resident, entry.accounts, entry.occurred_at)] += entry.amount
    return {key: amount for key, amount in found.items() if amount}


def engine_resets(text: str, facts: list[dict], until: dt.date) -> dict:
    compiled = compile_ruleset(load_ruleset(text, name="attacks.yaml"))
    return {(r.resident, r.account, r.occurred_at): r.amount
            for r in evaluate(compiled, facts, closes_until=until).resets}


def engine_balances(text: str, facts: list[dict], until: dt.date) -> dict:
    compiled = compile_ruleset(load_ruleset(text, name="attacks.yaml"))
    return {resident: (b.index, b.points)
            for resident, b in evaluate(compiled, facts, closes_until=until).balances(compiled.ruleset).items()}


def score(service, community: str, resident: str, day: dt.date) -> tuple[Decimal, Decimal]:
    found = resident_score(service, community, resident, as_of=day)
    return found.index, found.points


# ---------------------------------------------------------------- late facts at the edges of a year

EDGE = [
    fact("o1", "offence", "r1", "2021-06-01T10:00:00+08:00"),
    fact("d1", "deed", "r2", "2021-03-01T10:00:00+08:00"),
    fact("o3", "offence", "r3", "2021-06-01T10:00:00+08:00"),
]
LATE_EDGE = [
    # rectified in the very last half-second of 2021: nothing is carried into 2022
    fact("c1", "recheck", "r1", "2021-12-31T23:59:59.900000+08:00"),
    # a deed at 00:00 on 1 January is 2022's, untouched by 2021's reset
    fact("d2", "deed", "r2", "2022-01-01T00:00:00+08:00"),
    # an offence dated at the reset's own second, and one at the year's first instant
    fact("o4", "offence", "r3", "2021-12-31T23:59:59+08:00"),
    fact("o5", "offence", "r4", "2022-01-01T00:00:00+08:00"),
    # the same moment, written in UTC
    fact("d6", "deed", "r5", "2021-12-31T15:59:59.999999+00:00"),
]


def test_late_facts_at_the_edges_of_a_year_give_the_resets_and_balances_of_time_order(service):
    text = standard("[{account: index, every: year}, {account: points, every: year}]")
    community = new_community(service, residents=5, ruleset=text)
    until = dt.date(2023, 1, 1)
    post_facts(service, community, EDGE)
    close_periods(service, community, until, since=dt.date(2021, 1, 1))
    post_facts(service, community, LATE_EDGE)
    close_periods(service, community, until, since=dt.date(2021, 1, 1))
    assert reset_sums(service, community) == engine_resets(text, EDGE + LATE_EDGE, until)
    expected = engine_balances(text, EDGE + LATE_EDGE, until)
    for resident in ("r1", "r2", "r3", "r4", "r5"):
        assert score(service, community, resident, dt.date(2022, 12, 31)) == expected.get(resident, (100, 0)), \
            resident
    again = close_periods(service, community, until, since=dt.date(2021, 1, 1))
    assert (again.awards_written, again.restated, again.resets_written) == (0, 0, 0)


# ---------------------------------------------------------------- the credit supermarket

def test_points_spent_after_a_year_ended_but_before_its_reset_was_written_are_not_overdrawn(service):
    """积分每年清零: the points of 2025 are gone at 2025's last second, whether or not the job has run yet.

    A resident who spends them on the morning of 1 January, before the daily closing job, must be
    refused; otherwise the reset written afterwards (dated 2025-12-31 23:59:59) leaves the points
    negative: the redemption overdrew.
    """
    from xinzhi.errors import ServiceError
    from xinzhi.shop import ItemCreate, RedemptionCreate, put_items, redeem

    text = standard("[{account: points, every: year}]", start="2025-01-01", deed=10)
    community = new_community(service, residents=1, ruleset=text)
    put_items(service, community, [ItemCreate(id="rice", kind="goods", title="大米", price=10, stock=10)])
    post_facts(service, community, [fact("d1", "deed", "r1", "2025-06-01T10:00:00+08:00")])
    try:
        redeem(service, community, RedemptionCreate(id="rd1", resident="r1", item="rice",
                                                     redeemed_at=dt.datetime(2026, 1, 1, 8, 0, tzinfo=dt.UTC)))
    except ServiceError:
        refused = True
    else:
        refused = False
    close_periods(service, community, dt.date(2026, 1, 1), since=dt.date(2025, 1, 1))
    points = score(service, community, "r1", dt.date(2026, 1, 1))[1]
    assert refused or points >= 0, f"the redemption went through and the reset left {points} points"



def test_points_of_a_late_fact_of_a_reset_year_cannot_be_spent_before_the_next_closing(service):
    """积分每年清零, 2025 closed. A fact of 2025 posted today adds 10 points that 2025's reset takes back at
    the next closing; until then they show in today's balance and the shop lets them be spent, and the
    closing then leaves the resident at -10 points.
    """
    from xinzhi.errors import ServiceError
    from xinzhi.shop import ItemCreate, RedemptionCreate, put_items, redeem

    text = standard("[{account: points, every: year}]", start="2025-01-01", deed=10)
    community = new_community(service, residents=1, ruleset=text)
    put_items(service, community, [ItemCreate(id="rice", kind="goods", title="大米", price=10, stock=10)])
    post_facts(service, community, [fact("d1", "deed", "r1", "2025-03-01T10:00:00+08:00")])
    close_periods(service, community, dt.date(2026, 1, 1), since=dt.date(2025, 1, 1))
    assert score(service, community, "r1", dt.date(2026, 1, 1))[1] == 0
    post_facts(service, community, [fact("d2", "deed", "r1", "2025-06-01T10:00:00+08:00")])  # late
    try:
        redeem(service, community, RedemptionCreate(id="rd1", resident="r1", item="rice"))
    except ServiceError:
        refused = True
    else:
        refused = False
    from xinzhi.clock import today
    close_periods(service, community, today(), since=dt.date(2025, 1, 1))
    points = score(service, community, "r1", today())[1]
    assert refused or points >= 0, f"the redemption went through and the reset left {points} points"

# ---------------------------------------------------------------- two versions

def publish(service, community: str, text: str) -> None:
    from xinzhi.registry import publish_ruleset, upload_ruleset
    summary = upload_ruleset(service, community, text)
    publish_ruleset(service, community, summary.id, summary.version)


def test_a_later_version_that_changes_to_resets_its_own_years_to_its_own_value(service):
    first = standard(end="2021-12-31")
    community = new_community(service, residents=2, ruleset=first)
    publish(service, community, standard("[{account: index, every: year, to: 80}]", version=2, start="2022-01-01"))
    post_facts(service, community, [fact("d1", "deed", "r1", "2021-05-01T10:00:00+08:00"),
                                    fact("o1", "offence", "r1", "2021-09-01T10:00:00+08:00"),
                                    fact("d2", "deed", "r1", "2022-05-01T10:00:00+08:00")])
    close_periods(service, community, dt.date(2023, 1, 1), since=dt.date(2021, 1, 1))
    said = [e.explanation["summary"] for e in reset_entries(service, community) if e.resident == "r1"]
    assert said == ["年度清零（2021）：诚信指数 99 → 97（重置为 100，带入未整改的扣分：违规未整改 -3（o1））",
                    "年度清零（2022）：诚信指数 99 → 77（重置为 80，带入未整改的扣分：违规未整改 -3（o1））"]
    assert score(service, community, "r1", dt.date(2023, 1, 1)) == (77, 1)
    assert score(service, community, "r2", dt.date(2023, 1, 1)) == (80, 0)


def test_a_version_published_later_that_drops_the_reset_withdraws_the_reset_of_its_period(service):
    """v1 (open-ended) resets the index yearly; 2021 is closed; v2 from 2021-07-01 resets nothing.

    The end of 2021 is v2's (a version without effective_to closes nothing after the next one
    starts), so the reset v1 wrote there no longer stands and the next closing should take it back,
    as it would bring a reset whose `to` changed up to date.
    """
    community = new_community(service, residents=1, ruleset=standard(carry="false").replace(
        ", lifts: [offence]", ""))
    post_facts(service, community, [fact("d1", "deed", "r1", "2021-03-01T10:00:00+08:00")])
    close_periods(service, community, dt.date(2022, 1, 1), since=dt.date(2021, 1, 1))
    assert score(service, community, "r1", dt.date(2022, 1, 1)) == (100, 2)
    publish(service, community, standard("[]", carry="false", version=2, start="2021-07-01").replace(
        ", lifts: [offence]", ""))
    close_periods(service, community, dt.date(2022, 1, 1), since=dt.date(2021, 1, 1))
    assert score(service, community, "r1", dt.date(2022, 1, 1)) == (102, 2)


# ---------------------------------------------------------------- appeals on a carried deduction

def entry_of(service, community: str, fact_id: str) -> LedgerEntry:
    with service.db.reading() as session:
        return session.scalars(select(LedgerEntry).where(LedgerEntry.community == community,
                                                         LedgerEntry.fact_id == fact_id)).one()


@pytest.mark.parametrize(("action", "amount", "now", "carried_2026"), [
    ("reverse", None, 100, 100), ("correct", Decimal(-5), 95, 95), ("correct", Decimal(0), 100, 100)])
def test_an_appeal_on_a_carried_deduction_counts_from_its_own_day(service, monkeypatch, action, amount, now,
                                                                   carried_2026):
    """An offence of 2024 is carried into 2025 and 2026; the committee's decision (today) counts from today.

    The resets already written stay as they were (the appeal is dated today, after them), and
    closing again writes nothing; the index today is the carried 97 moved by the decision.
    """
    from xinzhi.review import AppealCreate, file_appeal

    community = new_community(service, residents=1, ruleset=standard(start="2024-01-01"))
    post_facts(service, community, [fact("d1", "deed", "r1", "2024-03-01T10:00:00+08:00"),
                                    fact("o1", "offence", "r1", "2024-09-01T10:00:00+08:00")])
    close_periods(service, community, dt.date(2026, 1, 1), since=dt.date(2024, 1, 1))
    assert score(service, community, "r1", dt.date(2026, 1, 1))[0] == 97
    file_appeal(service, community, AppealCreate(action=action, entry=entry_of(service, community, "o1").seq,
                                                 amount=amount, reason="复查认定不成立"))
    again = close_periods(service, community, dt.date(2026, 1, 1), since=dt.date(2024, 1, 1))
    assert again.resets_written == 0
    from xinzhi.clock import today
    assert score(service, community, "r1", today())[0] == now
    # the end of 2026 (closed as if it were 2027): what the decision left is carried, or nothing
    monkeypatch.setattr("xinzhi.scoring.closing.today", lambda: dt.date(2027, 1, 2))
    close_periods(service, community, dt.date(2027, 1, 1))
    assert score(service, community, "r1", dt.date(2027, 1, 1))[0] == carried_2026


# ---------------------------------------------------------------- the closing job racing facts

def test_closing_while_facts_arrive_settles_to_time_order(service):
    import threading
    import traceback

    text = standard("[{account: index, every: year}, {account: points, every: quarter, to: 1}]")
    community = new_community(service, residents=6, ruleset=text)
    kinds = ["deed", "offence", "recheck", "deed"]
    facts = [fact(f"f{n}", kinds[n % 4], f"r{n % 6 + 1}",
                  (dt.datetime(2021, 1, 1, 10) + dt.timedelta(days=(n * 37) % 730, seconds=n)).isoformat() + "+08:00")
             for n in range(120)]
    until = dt.date(2023, 1, 1)
    errors: list[BaseException] = []

    def closing() -> None:
        try:
            for _ in range(8):
                close_periods(service, community, until, since=dt.date(2021, 1, 1))
        except BaseException as exc:  # noqa: BLE001
            traceback.print_exc()
            errors.append(exc)

    def posting() -> None:
        try:
            for first in range(0, len(facts), 5):
                post_facts(service, community, facts[first:first + 5])
        except BaseException as exc:  # noqa: BLE001
            traceback.print_exc()
            errors.append(exc)

    threads = [threading.Thread(target=closing), threading.Thread(target=posting), threading.Thread(target=closing)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    close_periods(service, community, until, since=dt.date(2021, 1, 1))
    again = close_periods(service, community, until, since=dt.date(2021, 1, 1))
    assert (again.awards_written, again.restated, again.resets_written) == (0, 0, 0)
    assert reset_sums(service, community) == engine_resets(text, facts, until)
    expected = engine_balances(text, facts, until)
    for resident in expected:
        assert score(service, community, resident, dt.date(2022, 12, 31)) == expected[resident], resident


# ---------------------------------------------------------------- expiry of one version, reset of the next

PLAIN = """\
id: plain
version: {version}
title: 积分
community: 测试
effective_from: {start}
{end}accounts:
  starting_index: 100
{accounts}
tiers: [{{id: A, title: 全部}}]
categories:
  - {{id: civic, title: 文明}}
fact_types:
  - {{id: deed, title: 好人好事}}
rules:
  - {{id: deed, title: 好人好事, category: civic, fact: deed, award: {{points: 10}}}}
"""


@pytest.mark.parametrize("expiry_first", [False, True], ids=["closing-then-expiry", "expiry-then-closing"])
def test_points_expiring_at_the_instant_a_later_version_resets_them_are_taken_once(service, expiry_first):
    """v1 (2025) lets points expire a month on; v2 (2026) sets them to 0 at each month's end.

    The 10 points of 2025-12-10 expire at the end of 2026-01-31, the very instant v2's first
    reset ends January: they are taken once, by one or the other, whichever daily job runs first.
    """
    from xinzhi.ledger import expire_points

    v1 = PLAIN.format(version=1, start="2025-01-01", end="effective_to: 2025-12-31\n",
                      accounts="  points_expire: {after_months: 1}")
    v2 = PLAIN.format(version=2, start="2026-01-01", end="",
                      accounts="  resets: [{account: points, every: month}]")
    community = new_community(service, residents=1, ruleset=v1)
    publish(service, community, v2)
    post_facts(service, community, [fact("d1", "deed", "r1", "2025-12-10T10:00:00+08:00")])
    day = dt.date(2026, 2, 1)
    jobs = [lambda: expire_points(service, community, day),
            lambda: close_periods(service, community, day, since=dt.date(2025, 12, 1))]
    for job in (jobs if expiry_first else jobs[::-1]):
        job()
    for job in jobs:  # the next day's run changes nothing
        job()
    assert score(service, community, "r1", day)[1] == 0


# ---------------------------------------------------------------- bounded work

def test_a_dry_run_of_carried_deductions_under_daily_resets_is_bounded():
    """A dry-run of a published version runs in the server's own thread, with no task timeout.

    One resident, 500 rechecks then 500 offences (1000 facts: the default batch), a standard
    that resets the index daily, closed to 2099: about 28,500 period ends, well under
    MAX_CLOSINGS, so it is not refused, yet each end re-sorts and re-scans every carried
    deduction against every lift. It must be refused up front or finish quickly; it runs
    for many minutes (killed here after 30 s).
    """
    import subprocess
    import sys

    text = standard("[{account: index, every: day}]")
    code = f"""
import datetime as dt
from xinzhi.engine import FactError, compile_ruleset, evaluate, load_ruleset
compiled = compile_ruleset(load_ruleset({text!r}, name="daily.yaml"))
facts = []
for i in range(500):
    facts.append({{"id": f"c{{i}}", "type": "recheck", "resident": "r1",
                  "occurred_at": (dt.datetime(2021, 1, 1, 8) + dt.timedelta(minutes=i)).isoformat() + "+08:00"}})
    facts.append({{"id": f"o{{i}}", "type": "offence", "resident": "r1",
                  "occurred_at": (dt.datetime(2021, 6, 1, 8) + dt.timedelta(minutes=i)).isoformat() + "+08:00"}})
try:
    evaluate(compiled, facts, closes_until=dt.date(2099, 12, 31))
except FactError:
    pass
"""
    try:
        subprocess.run([sys.executable, "-c", code], check=True, timeout=30, capture_output=True)
    except subprocess.TimeoutExpired:
        pytest.fail("a 1000-fact dry-run closed to 2099 under daily resets ran for more than 30 s")
