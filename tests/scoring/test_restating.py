"""Order does not change the result: a late fact restates what later facts earned, with explained entries.

A paper form typed in weeks later, last month's spreadsheet: facts reach the store out of
time order. Whatever the order and the batches, every fact's amounts, and every balance as
of any day, are those of scoring all facts in time order in one go; the ledger gets there
by ``restatement`` entries, never by edits.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.engine.test_history import history_rulesets
from tests.engine.test_reference import SETTINGS, as_dict, fact_streams
from tests.support.fixtures import granted, new_community
from xinzhi.db.tables import LedgerEntry, ReviewItem
from xinzhi.engine import SHANGHAI, closing_awards, closing_resets, compile_ruleset, evaluate, load_ruleset, read_fact
from xinzhi.ledger import expire_points, resident_score, resident_totals
from xinzhi.registry import publish_ruleset, upload_ruleset
from xinzhi.review import AppealCreate, file_appeal
from xinzhi.scoring import close_periods, post_fact, post_facts

STANDARD = """\
id: late
version: 1
title: 补录测试
community: 测试
effective_from: 2021-01-01
accounts: {starting_index: 100}
tiers: [{id: A, title: 全部}]
categories:
  - {id: civic, title: 文明}
  - {id: good, title: 好事}
fact_types:
  - id: mediation
    title: 调解
  - id: noise
    title: 夜间扰民
  - id: arrears
    title: 欠缴物业费
  - id: volunteer
    title: 志愿服务
    fields: {hours: {type: int, min: 1, max: 24}}
  - id: rescue
    title: 见义勇为
rules:
  - {id: noise_after_mediation, title: 调解后再次扰民, category: civic, fact: noise, award: {points: -10},
     after: {fact: mediation, within_days: 90}}
  - {id: arrears, title: 欠缴物业费, category: civic, fact: arrears, award: {points: -10},
     limits: [{period: month, times: 1}]}
  - {id: volunteer_10_hours, title: 每月志愿服务满 10 小时, category: good, fact: volunteer, award: {points: 5},
     reaches: {period: month, sum: hours, at_least: 10}}
  - {id: rescue, title: 见义勇为, category: good, fact: rescue, award: {points: 8}, review: committee,
     limits: [{period: year, times: 1}]}
"""


def fact(fact_id: str, kind: str, day: str, resident: str = "r1", **fields) -> dict:
    return {"id": fact_id, "type": kind, "resident": resident, "occurred_at": f"2021-{day}T10:00:00+08:00",
            "fields": fields}


def restatements(service, community: str) -> list[LedgerEntry]:
    with service.db.reading() as session:
        return list(session.scalars(select(LedgerEntry).where(LedgerEntry.community == community,
                                                              LedgerEntry.kind == "restatement")
                                    .order_by(LedgerEntry.seq)))


LATE_CASES = [
    pytest.param([fact("n1", "noise", "03-20")], fact("m1", "mediation", "03-01"),
                 [("n1", "noise_after_mediation", 0, -10)], id="a sequence now met"),
    pytest.param([fact("a2", "arrears", "03-20")], fact("a1", "arrears", "03-02"),
                 [("a2", "arrears", -10, 0)], id="a monthly count cap moves to the earlier fact"),
    pytest.param([fact("v1", "volunteer", "05-03", hours=6), fact("v2", "volunteer", "05-20", hours=6)],
                 fact("v0", "volunteer", "05-01", hours=6),
                 [("v1", "volunteer_10_hours", 0, 5), ("v2", "volunteer_10_hours", 5, 0)],
                 id="a threshold is reached on an earlier fact"),
]


@pytest.mark.parametrize(("stored", "late", "expected"), LATE_CASES)
def test_a_late_fact_restates_what_later_facts_earned_and_says_why(service, stored, late, expected):
    community = new_community(service, ruleset=STANDARD)
    post_facts(service, community, stored)
    result = post_fact(service, community, late)
    entries = restatements(service, community)
    assert [(e.fact_id, e.rule_id, e.explanation["restates"]["amount_before"],
             e.explanation["restates"]["amount_after"]) for e in entries] == expected
    assert [(r.fact_id, r.rule_id, r.amount_before, r.amount_after, r.because) for r in result.restated] == \
        [(*item, late["id"]) for item in expected]
    for entry in entries:
        assert entry.explanation["because"]["fact_id"] == late["id"]
        assert f"补录事实 {late['id']}" in entry.explanation["summary"]
        assert entry.occurred_at == next(dt.datetime.fromisoformat(f["occurred_at"]) for f in stored
                                         if f["id"] == entry.fact_id)  # dated at the fact it restates
    in_order = new_community(service, ruleset=STANDARD)
    post_facts(service, in_order, [*stored, late])
    assert granted(service, community) == granted(service, in_order)
    assert resident_score(service, community, "r1").index == resident_score(service, in_order, "r1").index
    posted_again = post_fact(service, community, late)  # a duplicate restates nothing more
    assert posted_again.duplicate and posted_again.restated == []
    assert len(restatements(service, community)) == len(expected)


def test_facts_in_time_order_are_never_restated(service):
    community = new_community(service, ruleset=STANDARD)
    result = post_facts(service, community, [fact("m1", "mediation", "03-01"), fact("n1", "noise", "03-20")])
    assert result.restated == []
    post_fact(service, community, fact("n2", "noise", "03-25"))
    assert restatements(service, community) == []


def test_an_award_the_committee_decided_on_appeal_keeps_its_decision(service):
    community = new_community(service, ruleset=STANDARD)
    post_fact(service, community, fact("a2", "arrears", "03-20"))
    with service.db.reading() as session:
        seq = session.scalar(select(LedgerEntry.seq).where(LedgerEntry.community == community,
                                                           LedgerEntry.fact_id == "a2"))
    file_appeal(service, community, AppealCreate(action="correct", entry=seq, amount=-5, reason="已部分缴清"))
    result = post_fact(service, community, fact("a1", "arrears", "03-02"))
    assert result.restated == [] and restatements(service, community) == []
    assert resident_score(service, community, "r1").index == 100 - 5 - 10


def test_a_restated_award_under_committee_review_is_held_and_queued_like_an_award(service):
    community = new_community(service, ruleset=STANDARD)
    post_fact(service, community, fact("x2", "rescue", "06-20"))
    post_fact(service, community, fact("x1", "rescue", "06-02"))  # the year's one award moves to x1
    with service.db.reading() as session:
        queued = session.execute(select(ReviewItem.fact_id, ReviewItem.amount).where(
            ReviewItem.community == community).order_by(ReviewItem.seq)).all()
        held = session.scalar(select(func.sum(LedgerEntry.index_delta)).where(LedgerEntry.community == community))
    assert [tuple(q) for q in queued] == [("x2", 0), ("x1", 8)]  # x2's pending award is now nothing
    assert held == 0  # nothing counts before the committee decides


def time_order(raw: dict) -> tuple[dt.datetime, str]:
    moment = read_fact(raw).occurred_at
    return (moment.replace(tzinfo=SHANGHAI) if moment.tzinfo is None else moment), raw["id"]


@settings(max_examples=30, **SETTINGS)
@given(data=st.data())
def test_any_order_and_any_batches_give_the_balances_of_time_order(service, data):
    """Acceptance: random facts posted in random order and random batches = scored in time order in one go."""
    text = data.draw(history_rulesets())
    stream = [{**f, "occurred_at": str(f["occurred_at"]).replace(" ", "T")}  # as JSON carries it
              for f in data.draw(fact_streams(as_dict(compile_ruleset(load_ruleset(text, name="generated.yaml"))),
                                              max_size=25, residents=("r1", "r2")))]
    shuffled = data.draw(st.permutations(stream))
    cuts = sorted(data.draw(st.sets(st.integers(1, max(1, len(shuffled) - 1)), max_size=6)))
    in_order, any_order = new_community(service, residents=2, ruleset=text), \
        new_community(service, residents=2, ruleset=text)
    post_facts(service, in_order, sorted(stream, key=time_order))
    for start, end in zip([0, *cuts], [*cuts, len(shuffled)], strict=True):
        if start < end:
            post_facts(service, any_order, shuffled[start:end])
    assert granted(service, any_order) == granted(service, in_order)
    for resident in ("r1", "r2"):
        ours, theirs = resident_score(service, any_order, resident), resident_score(service, in_order, resident)
        assert (ours.index, ours.points) == (theirs.index, theirs.points)


@settings(max_examples=20, **SETTINGS)
@given(data=st.data())
def test_closing_between_late_batches_ends_with_the_period_awards_and_resets_of_time_order(service, data):
    """The closing job runs while facts still arrive out of order: what it paid and reset is brought up to date."""
    text = data.draw(history_rulesets())
    compiled = compile_ruleset(load_ruleset(text, name="generated.yaml"))
    stream = [{**f, "occurred_at": str(f["occurred_at"]).replace(" ", "T")}
              for f in data.draw(fact_streams(as_dict(compiled), max_size=20, residents=("r1", "r2")))]
    shuffled = data.draw(st.permutations(stream))
    cuts = sorted(data.draw(st.sets(st.integers(1, max(1, len(shuffled) - 1)), max_size=3)))
    community = new_community(service, residents=2, ruleset=text)
    until = dt.date(2022, 1, 1)
    for start, end in zip([0, *cuts], [*cuts, len(shuffled)], strict=True):
        post_facts(service, community, shuffled[start:end])
        close_periods(service, community, until, since=dt.date(2021, 1, 1))
    awards = evaluate(compiled, stream).awards  # then closed for every resident, as the store closes
    awards += closing_awards(compiled, awards, ["r1", "r2"], compiled.ruleset.effective_from, until)
    resets = closing_resets(compiled, awards, ["r1", "r2"], compiled.ruleset.effective_from, until)
    start = compiled.ruleset.accounts.starting_index
    for resident in ("r1", "r2"):
        index = start + sum(a.amount for a in awards if a.resident == resident and "index" in a.accounts) \
            + sum(r.amount for r in resets if r.resident == resident and r.account == "index")
        points = sum(a.amount for a in awards if a.resident == resident and "points" in a.accounts) \
            + sum(r.amount for r in resets if r.resident == resident and r.account == "points")
        with service.db.reading() as session:
            stored = resident_totals(session, community, resident)
        assert (start + stored.index, stored.points) == (index, points), resident


def test_a_year_of_one_residents_facts_in_reverse_order_ends_as_in_time_order(service):
    """Each post is the earliest yet, so each restates all that came before it."""
    rng = random.Random(7)
    facts = [fact(f"f{i:03d}", kind, f"{1 + i // 28:02d}-{1 + i % 28:02d}", **({"hours": rng.randint(1, 6)}
                                                                             if kind == "volunteer" else {}))
             for i, kind in enumerate(rng.choice(["noise", "mediation", "arrears", "volunteer"]) for _ in range(120))]
    in_order, reversed_ = new_community(service, ruleset=STANDARD), new_community(service, ruleset=STANDARD)
    post_facts(service, in_order, facts)
    for item in reversed(facts):
        post_fact(service, reversed_, item)
    assert granted(service, reversed_) == granted(service, in_order)
    assert resident_score(service, reversed_, "r1").index == resident_score(service, in_order, "r1").index


def switching(service, first_limits: str, second_limits: str) -> str:
    """A community whose standard changes on 2021-07-01: the one rule keeps its id, its limits change."""
    community = new_community(service, ruleset=None)
    for version, start, end, limits in ((1, "2021-01-01", "effective_to: 2021-06-30", first_limits),
                                        (2, "2021-07-01", "", second_limits)):
        uploaded = upload_ruleset(service, community, f"""\
id: switch
version: {version}
title: 换版
community: 测试
effective_from: {start}
{end}
accounts: {{starting_index: 100}}
tiers: [{{id: A, title: 全部}}]
categories: [{{id: good, title: 好事}}]
fact_types: [{{id: deed, title: 好事}}]
rules:
  - {{id: deed, title: 好事, category: good, fact: deed, award: {{points: 5}}{limits and ", " + limits}}}
""")
        publish_ruleset(service, community, uploaded.id, uploaded.version)
    return community


def test_a_late_fact_finds_no_room_taken_by_a_later_fact_of_a_version_that_reads_no_history(service):
    """Found by attack: v1 gives one award a year, v2 (from July) any number. An August fact
    stored first, then a March one: only the March fact's version reads history, and the
    August award took its year's room (0 instead of 5). The new fact's version now counts."""
    facts = [fact("d8", "deed", "08-01"), fact("d3", "deed", "03-01")]
    late = switching(service, "limits: [{period: year, times: 1}]", "")
    for item in facts:
        post_fact(service, late, item)
    in_order = switching(service, "limits: [{period: year, times: 1}]", "")
    post_facts(service, in_order, facts)
    assert granted(service, late) == granted(service, in_order) == [("d3", "deed", 5, 5), ("d8", "deed", 5, 5)]


EXPIRING = """\
id: expiring
version: 1
title: 积分过期
community: 测试
effective_from: 2021-01-01
accounts: {starting_index: 100, points_expire: {after_months: 3}}
tiers: [{id: A, title: 全部}]
categories: [{id: good, title: 好事}, {id: civic, title: 文明}]
fact_types: [{id: deed, title: 好事}, {id: warn, title: 提醒}, {id: litter, title: 乱扔垃圾}]
rules:
  - {id: deed, title: 好事, category: good, fact: deed, award: {points: 5}, limits: [{period: month, times: 1}]}
  - {id: litter, title: 乱扔垃圾, category: civic, fact: litter, award: {points: -3}}
"""


def test_points_a_restatement_takes_back_are_the_awards_own_not_the_earliest_expiring(service):
    """Found by attack: a restatement cutting a March award replayed as a deduction and spent
    January's points (expiring April) instead, so after April the resident held 10 points
    where time order leaves 5."""
    facts = [fact("jan", "deed", "01-10"), fact("m2", "deed", "03-20"), fact("m1", "deed", "03-02")]
    late, in_order = new_community(service, ruleset=EXPIRING), new_community(service, ruleset=EXPIRING)
    for item in facts:
        post_fact(service, late, item)
    post_facts(service, in_order, facts)
    for community in (late, in_order):
        assert expire_points(service, community, dt.date(2021, 5, 1)).points_expired == 5
    after_april = dt.date(2021, 5, 1)  # today the rest has expired too (a score shows it so, job or not)
    assert resident_score(service, late, "r1", after_april).points == \
        resident_score(service, in_order, "r1", after_april).points == 5


@pytest.mark.parametrize("late", [
    pytest.param(fact("w", "warn", "03-18"), id="an award restated away"),
    pytest.param(fact("x", "litter", "03-25"), id="a deduction"),
])
def test_points_expired_before_a_late_fact_took_them_are_given_back(service, late):
    """Found by attack: the expiry job had taken March's 5 unspent points; a late fact then took
    them again (the award restated to nothing, or a deduction dated before the expiry), and
    the resident was left below time order's balance for good. The excess comes back at once."""
    standard = EXPIRING.replace("points: 5}, limits: [{period: month, times: 1}]",
                                "points: 5}, not_after: {fact: warn, within_days: 5}")
    stored, in_order = new_community(service, ruleset=standard), new_community(service, ruleset=standard)
    post_fact(service, stored, fact("m", "deed", "03-20"))
    assert expire_points(service, stored, dt.date(2021, 8, 1)).points_expired == 5
    post_fact(service, stored, late)
    post_facts(service, in_order, [fact("m", "deed", "03-20"), late])
    expire_points(service, in_order, dt.date(2021, 8, 1))
    assert resident_score(service, stored, "r1").points == resident_score(service, in_order, "r1").points == 0
    assert expire_points(service, stored, dt.date(2021, 8, 1)).entries_written == 0  # nothing left to do
