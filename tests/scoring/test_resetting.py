"""年度清零 in the store: the closing job sets accounts back as the engine does, once, and follows late facts.

A reset is a ``reset`` entry at the period's last second that says from what to what, and
which unrectified deductions it carried over (未整改的带入下一年); run again, the job writes
nothing; a fact of a reset period that arrives late brings the reset up to date with one more
``reset`` entry, so the balances are those of scoring everything in time order.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import select

from tests.support.fixtures import new_community
from xinzhi.db.tables import LedgerEntry
from xinzhi.engine import compile_ruleset, evaluate, load_ruleset
from xinzhi.ledger import resident_score
from xinzhi.scoring import close_periods, post_facts

STANDARD = """\
id: resetting
version: 1
title: 年度清零
community: 测试
effective_from: 2021-01-01
accounts:
  starting_index: 100
  resets: [{account: index, every: year}, {account: points, every: quarter, to: 5}]
tiers: [{id: A, title: 全部}]
categories:
  - {id: civic, title: 文明}
  - {id: violations, title: 违规}
fact_types:
  - {id: deed, title: 好人好事}
  - {id: offence, title: 违规}
  - {id: recheck, title: 整改复查合格}
rules:
  - {id: deed, title: 好人好事, category: civic, fact: deed, award: {points: 2}}
  - {id: offence, title: 违规未整改, category: violations, fact: offence, award: {points: -3}, carries_over: true}
  - {id: recheck, title: 整改复查合格, category: violations, fact: recheck, award: {points: 0}, lifts: [offence]}
"""

FACTS = [
    {"id": "d1", "type": "deed", "resident": "r1", "occurred_at": "2021-03-01T10:00:00+08:00"},
    {"id": "o1", "type": "offence", "resident": "r1", "occurred_at": "2021-06-01T10:00:00+08:00"},
    {"id": "o2", "type": "offence", "resident": "r2", "occurred_at": "2021-05-01T10:00:00+08:00"},
    {"id": "c2", "type": "recheck", "resident": "r2", "occurred_at": "2021-11-01T10:00:00+08:00"},
    {"id": "d3", "type": "deed", "resident": "r3", "occurred_at": "2022-02-01T10:00:00+08:00"},
    {"id": "c1", "type": "recheck", "resident": "r1", "occurred_at": "2022-03-01T10:00:00+08:00"},
]
UNTIL = dt.date(2023, 1, 1)


def engine(facts: list[dict]):
    return evaluate(compile_ruleset(load_ruleset(STANDARD, name="resetting.yaml")), facts, closes_until=UNTIL)


def resets(service, community: str, residents: tuple[str, ...] = ("r1", "r2", "r3")) -> dict:
    """What the reset entries of ``residents`` sum to, per (resident, account, period's last second)."""
    with service.db.reading() as session:
        found: Counter = Counter()
        for entry in session.scalars(select(LedgerEntry).where(LedgerEntry.community == community,
                                                               LedgerEntry.kind == "reset",
                                                               LedgerEntry.resident.in_(residents))):
            found[(entry.resident, entry.accounts, entry.occurred_at)] += entry.amount
        return {key: amount for key, amount in found.items() if amount}


def expected_resets(facts: list[dict]) -> dict:
    return {(r.resident, r.account, r.occurred_at): r.amount for r in engine(facts).resets}


def test_the_store_resets_as_the_engine_does_once_and_says_why(service):
    community = new_community(service, residents=4, ruleset=STANDARD)
    post_facts(service, community, FACTS)
    run = close_periods(service, community, UNTIL, since=dt.date(2021, 1, 1))
    assert resets(service, community) == expected_resets(FACTS)
    # r4 has no facts, and is reset all the same: its points start the first quarter's end at 0, and stay at 5
    assert list(resets(service, community, ("r4",)).values()) == [5] and run.resets_written >= 1
    again = close_periods(service, community, UNTIL, since=dt.date(2021, 1, 1))
    assert (again.awards_written, again.restated, again.resets_written) == (0, 0, 0)
    balances = engine(FACTS).balances(compile_ruleset(load_ruleset(STANDARD, name="resetting.yaml")).ruleset)
    for resident in ("r1", "r2", "r3"):
        score = resident_score(service, community, resident, as_of=dt.date(2022, 12, 31))
        assert (score.index, score.points) == (balances[resident].index, balances[resident].points), resident
    assert (balances["r1"].index, balances["r2"].index) == (100, 100)  # r1's −3 carried into 2022, then rechecked
    with service.db.reading() as session:
        said = {e.explanation["summary"] for e in session.scalars(select(LedgerEntry).where(
            LedgerEntry.community == community, LedgerEntry.kind == "reset", LedgerEntry.resident == "r1"))}
    assert "年度清零（2021）：诚信指数 99 → 97（重置为 100，带入未整改的扣分：违规未整改 -3（o1））" in said
    assert "季度清零（2021-Q1）：积分 2 → 5" in said


def test_a_run_as_of_a_past_day_leaves_the_resets_of_later_periods_alone(service):
    """Found by attack: closing as of a past day took back every later year's reset (index 100 → 120)."""
    community = new_community(service, residents=4, ruleset=STANDARD)
    post_facts(service, community, FACTS)
    close_periods(service, community, UNTIL, since=dt.date(2021, 1, 1))
    written = resets(service, community)
    assert close_periods(service, community, dt.date(2021, 6, 1), since=dt.date(2021, 1, 1)).resets_written == 0
    assert resets(service, community) == written == expected_resets(FACTS)


def test_a_late_fact_of_a_reset_period_brings_the_reset_up_to_date(service):
    community = new_community(service, residents=4, ruleset=STANDARD)
    post_facts(service, community, FACTS)
    close_periods(service, community, UNTIL, since=dt.date(2021, 1, 1))
    late = [{"id": "o9", "type": "offence", "resident": "r3", "occurred_at": "2021-12-31T23:59:59.500000+08:00"},
            {"id": "d9", "type": "deed", "resident": "r1", "occurred_at": "2021-12-20T10:00:00+08:00"}]
    post_facts(service, community, late)  # the resets they change are brought up to date at once, as expiry is
    assert resets(service, community) == expected_resets(FACTS + late)
    run = close_periods(service, community, UNTIL, since=dt.date(2021, 1, 1))
    assert (run.resets_written, resets(service, community)) == (0, expected_resets(FACTS + late))
    compiled = compile_ruleset(load_ruleset(STANDARD, name="resetting.yaml"))
    balances = engine(FACTS + late).balances(compiled.ruleset)
    for resident in ("r1", "r2", "r3"):
        score = resident_score(service, community, resident, as_of=dt.date(2022, 12, 31))
        assert (score.index, score.points) == (balances[resident].index, balances[resident].points), resident
    with service.db.reading() as session:
        redone = [e.explanation for e in session.scalars(select(LedgerEntry).where(
            LedgerEntry.community == community, LedgerEntry.kind == "reset", LedgerEntry.resident == "r1"))]
    assert any(e["amount_before"] == -2 and e["summary"].endswith("调整由 -2 改为 -4") for e in redone)
