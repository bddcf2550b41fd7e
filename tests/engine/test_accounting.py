"""Accounting: calendar periods in Asia/Shanghai, limits, tiers and expiry."""

from __future__ import annotations

import datetime as dt
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xinzhi.engine import (
    FactError,
    History,
    balances,
    compile_ruleset,
    evaluate,
    load_ruleset,
    period_key,
    period_window,
    tier_for,
)
from xinzhi.engine.accounting import expiry_date
from xinzhi.engine.facts import SHANGHAI
from xinzhi.engine.ruleset import Tier

UTC = dt.UTC


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


# --- periods -----------------------------------------------------------------------------------

PERIOD_CASES = [
    # month: the same instant seen from UTC is already May in Shanghai
    pytest.param("month", "2021-04-30T23:30:00+08:00", "2021-04", id="month-last-evening"),
    pytest.param("month", "2021-04-30T16:30:00+00:00", "2021-05", id="month-utc-afternoon-is-may-1"),
    pytest.param("month", "2021-04-30T15:59:59+00:00", "2021-04", id="month-utc-one-second-before"),
    pytest.param("day", "2021-05-01T23:59:59+08:00", "2021-05-01", id="day-last-second"),
    pytest.param("day", "2021-05-01T16:00:00+00:00", "2021-05-02", id="day-utc-16h-is-next-day"),
    # weeks start on Monday (ISO)
    pytest.param("week", "2021-10-10T23:59:00+08:00", "2021-W40", id="week-sunday-night"),
    pytest.param("week", "2021-10-11T00:00:00+08:00", "2021-W41", id="week-monday-midnight"),
    pytest.param("week", "2021-10-10T16:00:00+00:00", "2021-W41", id="week-utc-sunday-is-monday"),
    pytest.param("week", "2020-12-31T12:00:00+08:00", "2020-W53", id="week-iso-thursday-dec-31"),
    pytest.param("week", "2021-01-03T23:59:00+08:00", "2020-W53", id="week-iso-jan-3-belongs-to-2020"),
    pytest.param("week", "2021-01-04T00:00:00+08:00", "2021-W01", id="week-iso-first-monday"),
    pytest.param("week", "2024-12-30T09:00:00+08:00", "2025-W01", id="week-iso-dec-30-belongs-to-next-year"),
    pytest.param("quarter", "2021-03-31T23:59:00+08:00", "2021-Q1", id="quarter-march-31"),
    pytest.param("quarter", "2021-03-31T16:00:00+00:00", "2021-Q2", id="quarter-utc-is-april-1"),
    pytest.param("quarter", "2021-12-15T12:00:00+08:00", "2021-Q4", id="quarter-december"),
    pytest.param("year", "2021-12-31T23:59:59+08:00", "2021", id="year-dec-31"),
    pytest.param("year", "2021-12-31T16:30:00+00:00", "2022", id="year-utc-dec-31-is-jan-1"),
    pytest.param("month", "2021-12-31T16:30:00+00:00", "2022-01", id="month-utc-dec-31-is-jan"),
    pytest.param("day", "2024-02-29T12:00:00+08:00", "2024-02-29", id="day-leap"),
]


@pytest.mark.parametrize(("period", "moment", "key"), PERIOD_CASES)
def test_period_key(period, moment, key):
    assert period_key(period, at(moment)) == key


WINDOW_CASES = [
    pytest.param("day", "2021-04-30T16:30:00+00:00", "2021-05-01", "2021-05-02", id="day"),
    pytest.param("week", "2021-01-01T10:00:00+08:00", "2020-12-28", "2021-01-04", id="week-across-new-year"),
    pytest.param("week", "2021-10-10T23:59:00+08:00", "2021-10-04", "2021-10-11", id="week-sunday"),
    pytest.param("month", "2021-12-05T10:00:00+08:00", "2021-12-01", "2022-01-01", id="month-december"),
    pytest.param("month", "2024-02-10T10:00:00+08:00", "2024-02-01", "2024-03-01", id="month-leap-february"),
    pytest.param("quarter", "2021-11-20T10:00:00+08:00", "2021-10-01", "2022-01-01", id="quarter-q4"),
    pytest.param("quarter", "2021-03-31T16:00:00+00:00", "2021-04-01", "2021-07-01", id="quarter-utc-april"),
    pytest.param("year", "2021-12-31T16:30:00+00:00", "2022-01-01", "2023-01-01", id="year-utc-new-year"),
]


@pytest.mark.parametrize(("period", "moment", "start", "end"), WINDOW_CASES)
def test_period_window(period, moment, start, end):
    got = period_window(period, at(moment))
    assert got == (dt.datetime.combine(dt.date.fromisoformat(start), dt.time(), SHANGHAI),
                   dt.datetime.combine(dt.date.fromisoformat(end), dt.time(), SHANGHAI))
    assert got[0] <= at(moment) < got[1]


@pytest.mark.parametrize("period", ["foo", "monthly"])
def test_unknown_period_raises(period):
    with pytest.raises(ValueError, match="unknown period"):
        period_key(period, at("2021-05-01T00:00:00+08:00"))
    with pytest.raises(ValueError, match="unknown period"):
        period_window(period, at("2021-05-01T00:00:00+08:00"))


@settings(max_examples=300, deadline=None)
@given(moment=st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2040, 12, 31),
                           timezones=st.sampled_from([UTC, SHANGHAI, dt.timezone(dt.timedelta(hours=-5))])),
       period=st.sampled_from(["day", "week", "month", "quarter", "year"]))
def test_window_and_key_agree(moment, period):
    """A period's window holds exactly the moments with its key."""
    start, end = period_window(period, moment)
    key = period_key(period, moment)
    assert start <= moment < end
    assert period_key(period, start) == key
    assert period_key(period, end - dt.timedelta(microseconds=1)) == key
    assert period_key(period, end) != key


# --- limits through the engine ---------------------------------------------------------------------

HEAD = """\
id: acct
version: 1
title: 记账测试
community: 测试社区
effective_from: 2021-01-01
accounts:
  starting_index: 100
  points_expire: {after_months: 24}
tiers:
  - {id: A, title: 良好, index_from: 110}
  - {id: B, title: 一般, index_below: 110}
categories:
  - {id: plain, title: 普通}
  - {id: env, title: 环境, limits: [%(category_limits)s]}
fact_types:
  - id: act
    title: 活动
    fields:
      kind: {type: enum, values: [x, y, z]}
rules:
  - id: rx
    title: 规则 x
    category: %(category)s
    fact: act
    when: {kind: x}
    award: {points: %(points)s}
    limits: [%(rule_limits)s]
  - id: ry
    title: 规则 y
    category: env
    fact: act
    when: {kind: y}
    award: {points: 6}
  - id: rz
    title: 扣分
    category: env
    fact: act
    when: {kind: z}
    award: {points: -4}
"""


@cache
def ruleset(rule_limits: str = "", points: int = 2, category: str = "plain",
            category_limits: str = "{period: year, max: 1000}"):
    text = HEAD % {"rule_limits": rule_limits, "points": points, "category": category,
                   "category_limits": category_limits}
    return compile_ruleset(load_ruleset(text, name="acct.yaml"))


def facts(*moments: str, kinds: str | None = None, resident: str = "r1") -> list[dict]:
    kinds = kinds or "x" * len(moments)
    return [{"id": f"{resident}-{i}", "type": "act", "resident": resident, "occurred_at": moment,
             "fields": {"kind": kind}} for i, (moment, kind) in enumerate(zip(moments, kinds, strict=True))]


BOUNDARY_CASES = [
    pytest.param("month", ["2021-04-30T23:30:00+08:00", "2021-04-30T16:30:00Z"], [2, 2],
                 id="month-apr-30-local-vs-utc-may-1"),
    pytest.param("month", ["2021-04-30T15:00:00Z", "2021-04-30T23:30:00+08:00"], [2, 0],
                 id="month-same-shanghai-month"),
    pytest.param("day", ["2021-05-01T23:59:59+08:00", "2021-05-01T16:00:00Z"], [2, 2], id="day-midnight"),
    pytest.param("day", ["2021-05-01T00:00:00+08:00", "2021-05-01T15:59:59Z"], [2, 0], id="day-same-day"),
    pytest.param("week", ["2021-10-10T23:59:00+08:00", "2021-10-11T00:00:00+08:00"], [2, 2],
                 id="week-sunday-2359-vs-monday-0000"),
    pytest.param("week", ["2021-10-04T00:00:00+08:00", "2021-10-10T23:59:00+08:00"], [2, 0],
                 id="week-monday-and-sunday-same-week"),
    pytest.param("week", ["2020-12-31T10:00:00+08:00", "2021-01-03T10:00:00+08:00", "2021-01-04T10:00:00+08:00"],
                 [2, 0, 2], id="week-iso-across-new-year"),
    pytest.param("quarter", ["2021-03-31T23:59:00+08:00", "2021-04-01T00:00:00+08:00"], [2, 2],
                 id="quarter-q1-q2"),
    pytest.param("quarter", ["2021-01-01T00:00:00+08:00", "2021-03-31T15:59:00Z"], [2, 0], id="quarter-same"),
    pytest.param("year", ["2021-12-31T23:59:00+08:00", "2021-12-31T16:30:00Z"], [2, 2], id="year-dec-31-jan-1"),
    pytest.param("year", ["2021-01-01T00:00:00+08:00", "2021-12-31T15:59:00Z"], [2, 0], id="year-same"),
]


@pytest.mark.parametrize(("period", "moments", "amounts"), BOUNDARY_CASES)
def test_limit_resets_at_shanghai_period_boundary(period, moments, amounts):
    awards = evaluate(ruleset(f"{{period: {period}, max: 2}}"), facts(*moments)).awards
    assert [a.amount for a in awards] == amounts
    assert [a.raw_amount for a in awards] == [2] * len(moments)
    assert [a.limited_by for a in awards] == [None if n else f"rule:rx/{period}" for n in amounts]
    assert [a.limit_max for a in awards] == [None if n else 2 for n in amounts]


def test_limit_cuts_an_award_partly_then_to_zero():
    moments = [f"2021-05-0{d}T10:00:00+08:00" for d in (1, 2, 3, 4)]
    awards = evaluate(ruleset("{period: month, max: 8}", points=3), facts(*moments)).awards
    assert [(a.raw_amount, a.amount, a.limited_by) for a in awards] == [
        (3, 3, None), (3, 3, None), (3, 2, "rule:rx/month"), (3, 0, "rule:rx/month")]


def test_limits_are_per_resident():
    moments = ["2021-05-01T10:00:00+08:00", "2021-05-02T10:00:00+08:00"]
    both = facts(*moments, resident="a") + facts(*moments, resident="b")
    awards = evaluate(ruleset("{period: month, max: 2}"), both).awards
    assert sorted((a.resident, a.fact_id, a.amount) for a in awards) == [
        ("a", "a-0", 2), ("a", "a-1", 0), ("b", "b-0", 2), ("b", "b-1", 0)]


def test_category_limit_is_shared_by_two_rules():
    compiled = ruleset(category="env", points=6, category_limits="{period: month, max: 10}")
    moments = ["2021-05-01T10:00:00+08:00", "2021-05-02T10:00:00+08:00", "2021-05-03T10:00:00+08:00",
               "2021-06-01T10:00:00+08:00"]
    awards = evaluate(compiled, facts(*moments, kinds="xyxy")).awards
    assert [(a.rule_id, a.amount, a.limited_by) for a in awards] == [
        ("rx", 6, None), ("ry", 4, "category:env/month"), ("rx", 0, "category:env/month"), ("ry", 6, None)]


def test_deductions_neither_capped_nor_free_up_room():
    compiled = ruleset(category="env", points=6, category_limits="{period: month, max: 10}")
    moments = [f"2021-05-0{d}T10:00:00+08:00" for d in (1, 2, 3, 4)]
    awards = evaluate(compiled, facts(*moments, kinds="xzzy")).awards
    assert [(a.rule_id, a.amount, a.limited_by) for a in awards] == [
        ("rx", 6, None), ("rz", -4, None), ("rz", -4, None), ("ry", 4, "category:env/month")]


@pytest.mark.parametrize(("rule_limits", "category_limits", "amounts", "bound"), [
    pytest.param("{period: day, max: 5}", "{period: day, max: 5}", [3, 2], "rule:rx/day", id="tie-rule-first"),
    pytest.param("{period: day, max: 5}", "{period: day, max: 4}", [3, 1], "category:env/day", id="category-tighter"),
    pytest.param("{period: day, max: 4}", "{period: month, max: 5}", [3, 1], "rule:rx/day", id="rule-tighter"),
    pytest.param("{period: month, max: 5}, {period: day, max: 5}", "{period: year, max: 100}", [3, 2],
                 "rule:rx/day", id="shorter-period-first-on-tie"),
])
def test_binding_limit_is_the_one_with_least_room(rule_limits, category_limits, amounts, bound):
    compiled = ruleset(rule_limits, points=3, category="env", category_limits=category_limits)
    awards = evaluate(compiled, facts("2021-05-01T10:00:00+08:00", "2021-05-01T11:00:00+08:00")).awards
    assert [a.amount for a in awards] == amounts
    assert [a.limited_by for a in awards] == [None, bound]


def test_usage_carries_limits_across_evaluations():
    compiled = ruleset("{period: week, max: 3}")
    usage = History()
    first = evaluate(compiled, facts("2021-10-04T10:00:00+08:00"), history=usage).awards
    second = evaluate(compiled, facts("2021-10-05T10:00:00+08:00"), history=usage).awards
    fresh = evaluate(compiled, facts("2021-10-05T10:00:00+08:00")).awards
    assert [a.amount for a in first + second + fresh] == [2, 1, 2]


def test_yihe_volunteering_day_and_month_limits(yihe):
    hours = [8, 8, 3, 5, 9, 1]  # day cap 16 binds on the 5th fact; month cap 40 on the 4th
    moments = ["2021-03-01T09:00:00+08:00", "2021-03-08T09:00:00+08:00", "2021-03-15T09:00:00+08:00",
               "2021-03-22T09:00:00+08:00", "2021-04-01T09:00:00+08:00", "2021-04-01T20:00:00+08:00"]
    batch = [{"id": f"v{i}", "type": "volunteering", "resident": "v", "occurred_at": m, "fields": {"hours": h}}
             for i, (h, m) in enumerate(zip(hours, moments, strict=True))]
    awards = evaluate(yihe, batch).awards
    assert [(a.raw_amount, a.amount, a.limited_by) for a in awards] == [
        (16, 16, None), (16, 16, None), (6, 6, None), (10, 2, "rule:volunteer_hours/month"),
        (18, 16, "rule:volunteer_hours/day"), (2, 0, "rule:volunteer_hours/day")]


# --- expiry --------------------------------------------------------------------------------------

EXPIRY_CASES = [
    pytest.param("2021-05-15T10:00:00+08:00", 24, "2023-05-31", id="two-years-month-end"),
    pytest.param("2021-05-01T00:00:00+08:00", 1, "2021-06-30", id="first-of-month"),
    pytest.param("2021-01-31T10:00:00+08:00", 1, "2021-02-28", id="january-31-to-february"),
    pytest.param("2023-12-10T10:00:00+08:00", 2, "2024-02-29", id="leap-february"),
    pytest.param("2021-11-20T10:00:00+08:00", 3, "2022-02-28", id="across-year"),
    pytest.param("2021-04-30T16:30:00Z", 24, "2023-05-31", id="utc-april-30-is-may-in-shanghai"),
    pytest.param("2021-04-30T15:59:00Z", 24, "2023-04-30", id="utc-still-april-in-shanghai"),
    pytest.param("2021-12-31T16:30:00Z", 12, "2023-01-31", id="utc-new-year"),
]


@pytest.mark.parametrize(("moment", "months", "expires"), EXPIRY_CASES)
def test_expiry_date(moment, months, expires):
    assert expiry_date(at(moment.replace("Z", "+00:00")), months) == dt.date.fromisoformat(expires)


def test_awards_carry_expiry_only_for_positive_points():
    compiled = ruleset("{period: day, max: 2}")
    awards = evaluate(compiled, facts("2021-03-05T10:00:00+08:00", "2021-03-05T11:00:00+08:00",
                                      "2021-03-05T12:00:00+08:00", kinds="xxz")).awards
    assert [(a.amount, a.points_expire_on) for a in awards] == [
        (2, dt.date(2023, 3, 31)), (0, None), (-4, None)]


def test_yihe_awards_expire_after_24_months(yihe):
    [award] = evaluate(yihe, [{"id": "e1", "type": "community_activity", "resident": "r",
                               "occurred_at": "2021-03-05T19:00:00+08:00", "fields": {"activity": "邻里节"}}]).awards
    assert award.points_expire_on == dt.date(2023, 3, 31)


# --- tiers and balances ---------------------------------------------------------------------------

TIER_CASES = [(-1000, "C"), (0, "C"), (89, "C"), (90, "B"), (100, "B"), (109, "B"), (110, "A"), (129, "A"),
              (130, "AA"), (149, "AA"), (150, "AAA"), (10**6, "AAA")]


@pytest.mark.parametrize(("index", "tier"), TIER_CASES, ids=[f"{i}-{t}" for i, t in TIER_CASES])
def test_tier_for_yihe_boundaries(yihe, index, tier):
    assert tier_for(index, yihe.ruleset.tiers).id == tier


def test_tier_for_raises_when_no_band_holds_the_index():
    tiers = [Tier(id="A", title="甲", index_from=100), Tier(id="B", title="乙", index_from=0, index_below=90)]
    assert tier_for(100, tiers).id == "A"
    with pytest.raises(ValueError, match="no tier holds index 95"):
        tier_for(95, tiers)


def test_balances_start_from_the_starting_index():
    compiled = ruleset()
    awards = evaluate(compiled, facts("2021-05-01T10:00:00+08:00", "2021-05-02T10:00:00+08:00",
                                      kinds="xz")).awards
    got = balances(compiled.ruleset, awards, ["nobody"])
    assert {r: (b.index, b.points, b.tier) for r, b in got.items()} == {
        "nobody": (100, 0, "B"), "r1": (98, -2, "B")}


def test_accounts_choose_what_awards_and_deductions_move():
    text = (HEAD % {"rule_limits": "", "points": 20, "category": "plain",
                    "category_limits": "{period: year, max: 1000}"}).replace(
        "  starting_index: 100\n", "  starting_index: 100\n  awards_raise: [index]\n  deductions_lower: [points]\n")
    compiled = compile_ruleset(load_ruleset(text))
    awards = evaluate(compiled, facts("2021-05-01T10:00:00+08:00", "2021-05-02T10:00:00+08:00",
                                      kinds="xz")).awards
    assert [(a.amount, a.accounts, a.points_expire_on) for a in awards] == [
        (20, ("index",), None), (-4, ("points",), None)]
    balance = balances(compiled.ruleset, awards)["r1"]
    assert (balance.index, balance.points, balance.tier) == (120, -4, "A")


def test_the_same_fact_twice_is_scored_once_everywhere_and_other_content_under_its_id_is_a_conflict():
    """``xinzhi score``, dry-runs and tests follow the store: the first of an id stands."""
    once = facts("2021-05-01T10:00:00+08:00")
    twice = evaluate(ruleset(), once + [dict(once[0], occurred_at="2021-05-01T02:00:00Z")]).awards
    assert [(a.fact_id, a.amount) for a in twice] == [("r1-0", 2)]
    with pytest.raises(FactError) as raised:
        evaluate(ruleset(), once + [dict(once[0], resident="r2")], label="facts")
    assert [(p.code, p.path, p.fact_id) for p in raised.value.problems] == [("fact_id_conflict", "facts[1].id", "r1-0")]


def test_a_fact_of_an_unknown_type_is_refused_or_ignored_and_counted():
    given = facts("2021-05-01T10:00:00+08:00") + [{"id": "u1", "type": "bonfire", "resident": "r9",
                                                    "occurred_at": "2021-05-01T10:00:00+08:00", "fields": {}}]
    with pytest.raises(FactError) as raised:
        evaluate(ruleset(), given, label="facts")
    assert [(p.code, p.path) for p in raised.value.problems] == [("fact_unknown_type", "facts[1].type")]
    evaluation = evaluate(ruleset(), given, ignore_unknown_types=True)
    assert (evaluation.ignored, evaluation.residents, len(evaluation.awards)) == (1, ["r1"], 1)
