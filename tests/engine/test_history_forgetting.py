"""A history scoring a long stream in time order holds the periods still running, not every period it saw.

A limit reads only the period holding the fact, so a period that has ended is forgotten, for
every resident at once, while a rolling window, a repeat, a sequence and a threshold keep what
their spans can still read. Counted in entries (``History.held``), never in bytes or seconds;
and the awards are those of scoring in memory, with a history that forgets later.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xinzhi.engine import History, LimitRef, compile_ruleset, evaluate, load_ruleset, score_fact, validate_facts
from xinzhi.engine import history as history_module
from xinzhi.engine.history import PERIOD_DAYS

RULESET = """\
id: forgetting
version: 1
title: 遗忘测试
community: 测试
effective_from: 2020-01-01
accounts: {starting_index: 100}
tiers: [{id: A, title: 全部}]
categories:
  - {id: civic, title: 文明, limits: [{period: quarter, max: 20}]}
  - {id: good, title: 好人, limits: [{period: year, max: 50}]}
fact_types:
  - id: deed
    title: 好人好事
    fields: {hours: {type: int, min: 0, max: 10}}
  - id: litter
    title: 乱扔垃圾
rules:
  - {id: deed, title: 好人好事, category: good, fact: deed, award: {points: 2},
     limits: [{period: day, max: 4}, {period: week, times: 5}, {period: month, max: 12}, {days: 30, times: 8}]}
  - {id: hours, title: 累计时长, category: good, fact: deed, award: {points: 5},
     reaches: {period: year, sum: hours, at_least: 40}}
  - {id: litter, title: 乱扔垃圾, category: civic, fact: litter, award: {points: -2},
     repeats: {period: year, amounts: [-2, -4]}, limits: [{period: month, times: 3}]}
  - {id: deed_after, title: 改过, category: good, fact: deed, award: {points: 1},
     after: {fact: litter, within_days: 30}}
"""
CALENDAR_LIMITS = 6  # deed: day, week, month; good: year; civic: quarter; litter: month
START = dt.datetime(2021, 1, 1, 8, tzinfo=dt.timezone(dt.timedelta(hours=8)))
STEADY, QUIET = 20, 20  # residents scored for three years, and residents scored in 2021 only


def stream() -> list[dict]:
    """A fact every five days per resident (deeds, a litter in four), the quiet ones stopping after 2021."""
    facts = []
    for number in range(STEADY + QUIET):
        days = 3 * 365 if number < STEADY else 365
        for step, day in enumerate(range(number % 5, days, 5)):
            kind = "litter" if step % 4 == 3 else "deed"
            facts.append({"id": f"r{number}-{step}", "type": kind, "resident": f"r{number}",
                          "occurred_at": (START + dt.timedelta(days=day, hours=number % 9)).isoformat(),
                          "fields": {"hours": step % 7} if kind == "deed" else {}})
    return facts


def explained(awards) -> list[tuple]:
    return [(a.fact_id, a.rule_id, a.amount, a.limited_by, a.occurrence, a.earlier, a.after_fact, a.reached,
             a.reached_total) for a in awards]


@pytest.fixture(scope="module")
def scored() -> dict:
    """The stream scored fact by fact by a history told how far the ruleset reads (as ``xinzhi score`` makes
    it): its awards, and what it held as each month ended."""
    compiled = compile_ruleset(load_ruleset(RULESET, name="forgetting.yaml"))
    raws = stream()
    history = History(keep_days=compiled.lookback_days)
    awards, held, month = [], {}, None
    for fact in sorted(validate_facts(compiled, raws), key=lambda f: f.sort_key):
        local = fact.occurred_at.astimezone(START.tzinfo)
        if (local.year, local.month) != month and month is not None:
            held[month] = history.held()  # before the next month's first fact is scored
        month = (local.year, local.month)
        awards += score_fact(compiled, fact, history)[0]
    held[month] = history.held()
    return {"compiled": compiled, "raws": raws, "awards": awards, "held": held}


def test_forgetting_changes_no_award(scored):
    expected = explained(evaluate(scored["compiled"], scored["raws"]).awards)
    assert explained(scored["awards"]) == expected
    assert {a[1] for a in expected} == {"deed", "hours", "litter", "deed_after"}
    assert any(a[3] for a in expected) and any(a[8] for a in expected)  # limits bound, thresholds reached


@pytest.mark.parametrize("days", [1, 3, 30])
def test_trimming_a_residents_past_more_or_less_often_changes_no_award(scored, monkeypatch, days):
    """What a trim leaves is never read: trimming at every fact, or once a month, gives the weekly trim's awards."""
    monkeypatch.setattr(history_module, "SWEEP_DAYS", days)
    compiled = scored["compiled"]
    history = History(keep_days=compiled.lookback_days)
    awards = []
    for fact in sorted(validate_facts(compiled, scored["raws"]), key=lambda f: f.sort_key):
        awards += score_fact(compiled, fact, history)[0]
    assert explained(awards) == explained(scored["awards"])


def test_a_stream_in_time_order_holds_at_most_one_running_period_per_limit_and_resident(scored):
    held = scored["held"]
    for (year, _), counts in held.items():
        residents = STEADY + QUIET if year == 2021 else STEADY
        assert counts["limit counters"] <= CALENDAR_LIMITS * residents, (year, counts)


def test_residents_gone_quiet_hold_no_limit_or_threshold_counts_and_a_third_year_no_more(scored):
    held = scored["held"]
    assert held[(2023, 12)]["limit counters"] <= CALENDAR_LIMITS * STEADY
    deeds_of_2023 = sum(1 for f in scored["raws"] if f["type"] == "deed" and f["occurred_at"].startswith("2023"))
    assert held[(2023, 12)]["threshold counts"] <= deeds_of_2023  # 2021's gone with their period
    for part in ("limit counters", "window entries", "occurrences", "kept facts", "threshold counts"):
        assert max(held[(2023, month)][part] for month in range(1, 13)) <= \
            max(held[(2022, month)][part] for month in range(1, 13)), part  # a third year holds no more


def test_one_residents_history_keeps_only_the_running_periods_once_it_knows_the_span():
    """``keep_days`` tells the history how far the ruleset reads: a month's counter goes when the month ends,
    not a year later (the year limit's span)."""
    compiled = compile_ruleset(load_ruleset(RULESET, name="forgetting.yaml"))
    facts = sorted(validate_facts(compiled, [f for f in stream() if f["resident"] == "r0"]),
                   key=lambda f: f.sort_key)
    history = History(keep_days=compiled.lookback_days)
    most = 0
    for fact in facts:
        score_fact(compiled, fact, history)
        most = max(most, history.held()["limit counters"])
    assert most <= CALENDAR_LIMITS


FIRST_DAY = dt.date(2023, 12, 1).toordinal()
CALENDAR = st.sampled_from(sorted(PERIOD_DAYS))
STEPS = st.lists(st.one_of(
    st.tuples(st.just("use"), CALENDAR, st.integers(0, 800)),  # a limit's room used on day FIRST_DAY + n
    st.tuples(st.just("forget"), st.just(""), st.integers(-400, 800))), max_size=60)


@given(keep_days=st.sampled_from([0, 1, 30, 400]), steps=STEPS)
def test_a_limit_period_goes_exactly_when_no_later_fact_can_read_it(keep_days, steps):
    """``forget_before`` sweeps only once a period can have ended; it keeps and drops what a sweep every call would.

    The rule written out: a period is dropped once the day given is past its last day less the
    longer of its length and ``keep_days``, at the first call given a later day than before.
    """
    history = History(keep_days=keep_days)
    expected: dict[tuple, int] = {}  # the periods a sweep on every call keeps, with their last days
    swept = None
    for action, period, offset in steps:
        day = FIRST_DAY + offset
        if action == "use":
            limit = LimitRef(scope="rule", id="r", period=period, max=Decimal(10))
            history.use("r1", limit, dt.date.fromordinal(day), Decimal(1))
            for key, counted in history.used.items():
                expected.setdefault(key, counted.last)
        else:
            history.forget_before("r1", day)
            if swept is None or day > swept:
                swept = day
                expected = {key: last for key, last in expected.items()
                            if last >= day + max(keep_days, PERIOD_DAYS[key[3]])}
        assert set(history.used) == set(expected)
