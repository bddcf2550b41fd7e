"""Period rules (连续 12 个月无违规加 10 分 / 每季度积分满 10 分加 2 分): paid when a period closes.

Examples in the committees' phrasing, the edges of a standard's dates, and the located
refusals of what a period rule or its test could get wrong.
"""

from __future__ import annotations

import datetime as dt

import pytest

from xinzhi.engine import FactError, RulesetError, compile_ruleset, evaluate, load_ruleset, period_awards, run_tests
from xinzhi.simulations.replay import score_chunk

STANDARD = """\
id: periods
version: 1
title: 期末规则
community: 测试
effective_from: EFFECTIVE_FROM
accounts: {starting_index: 100}
tiers: [{id: A, title: 全部}]
categories:
  - {id: civic, title: 文明}
  - {id: violations, title: 违规}
  - {id: honours, title: 表彰}
fact_types:
  - id: deed
    title: 好人好事
    fields: {points: {type: int, min: 1, max: 20}}
  - id: offence
    title: 违规
rules:
  - {id: deed, title: 好人好事, category: civic, fact: deed, award: {points: 1, per: points}}
  - {id: offence, title: 违规, category: violations, fact: offence, award: {points: -2},
     limits: [{period: month, times: 1}]}
period_rules:
PERIOD_RULES
"""

CLEAN_YEAR = ("  - {id: clean, title: 连续 12 个月无违规, category: honours, period: month, without: [violations], "
              "streak: 12, award: 10}")
GOOD_QUARTER = ("  - {id: good_quarter, title: 每季度文明积分满 10 分, category: honours, period: quarter, "
                "points: {category: civic, at_least: 10}, award: 2}")
IDLE_QUARTER = ("  - {id: idle, title: 连续两个季度无好人好事扣分, category: honours, period: quarter, "
                "points: {category: civic, at_most: 0}, streak: 2, award: -1}")


def compiled(period_rules: str, effective_from: str = "2021-01-01", tests: str = ""):
    text = STANDARD.replace("EFFECTIVE_FROM", effective_from).replace("PERIOD_RULES", period_rules) + tests
    return compile_ruleset(load_ruleset(text, name="periods.yaml"))


def fact(fact_id: str, kind: str, day: str, resident: str = "r1", **fields) -> dict:
    return {"id": fact_id, "type": kind, "resident": resident, "occurred_at": f"{day}T10:00:00+08:00",
            "fields": fields}


def paid(period_rules: str, facts: list[dict], until: str, effective_from: str = "2021-01-01") -> list[tuple]:
    evaluation = evaluate(compiled(period_rules, effective_from), facts, closes_until=dt.date.fromisoformat(until))
    return [(a.resident, a.rule_id, a.period, a.amount) for a in evaluation.awards if a.period is not None]


CASES = [
    pytest.param(CLEAN_YEAR, [fact("d1", "deed", "2021-03-01", points=1)], "2022-01-01",
                 [("r1", "clean", "2021-12", 10)], id="12 clean months pay at the end of the 12th"),
    pytest.param(CLEAN_YEAR, [fact("d1", "deed", "2021-03-01", points=1)], "2021-12-31", [],
                 id="not before the 12th month has closed"),
    pytest.param(CLEAN_YEAR, [fact("d1", "deed", "2021-03-01", points=1)], "2024-01-01",
                 [("r1", "clean", "2021-12", 10), ("r1", "clean", "2022-12", 10), ("r1", "clean", "2023-12", 10)],
                 id="every 12th month of a longer run"),
    pytest.param(CLEAN_YEAR, [fact("o1", "offence", "2021-05-31"), fact("o2", "offence", "2021-05-31")],
                 "2022-06-01", [("r1", "clean", "2022-05", 10)],
                 id="an offence (even one capped to nothing) restarts the run the month after"),
    pytest.param(CLEAN_YEAR, [{"id": "o1", "type": "offence", "resident": "r1", "occurred_at": "2021-01-31T16:30:00Z",
                               "fields": {}}], "2022-03-01", [("r1", "clean", "2022-02", 10)],
                 id="Shanghai months: 16:30 UTC on 31 January is February there"),
    pytest.param(GOOD_QUARTER, [fact("d1", "deed", "2021-02-01", points=6), fact("d2", "deed", "2021-03-31", points=4),
                                fact("d3", "deed", "2021-04-01", points=9),
                                fact("d4", "deed", "2021-07-01", points=20)],
                 "2021-10-01", [("r1", "good_quarter", "2021-Q1", 2), ("r1", "good_quarter", "2021-Q3", 2)],
                 id="a quarter's points of a category at least"),
    pytest.param(IDLE_QUARTER, [fact("d1", "deed", "2021-02-01", points=6)], "2022-01-01",
                 [("r1", "idle", "2021-Q3", -1)], id="two idle quarters in a row deduct"),
]


@pytest.mark.parametrize(("period_rules", "facts", "until", "expected"), CASES)
def test_period_rules_in_a_committees_words(period_rules, facts, until, expected):
    assert paid(period_rules, facts, until) == expected


def test_a_month_begun_before_the_standard_never_counts():
    assert paid(CLEAN_YEAR, [fact("d1", "deed", "2021-03-01", points=1)], "2022-03-01", "2021-01-15") == \
        [("r1", "clean", "2022-01", 10)]


@pytest.mark.parametrize(("moved_in", "expected"), [
    (None, [("r1", "clean", "2021-12", 10), ("r2", "clean", "2021-12", 10)]),
    ("2021-01-01", [("r1", "clean", "2021-12", 10), ("r2", "clean", "2021-12", 10)]),
    ("2021-01-02", [("r2", "clean", "2021-12", 10)]),  # January began before: its streak starts in February
    ("2021-02-01", [("r2", "clean", "2021-12", 10)]),
])
def test_no_month_before_a_family_moved_in_counts_as_a_clean_month_here(moved_in, expected):
    """Found by review: closing paid 连续 12 个月无违规 for the years before a resident was registered."""
    rules = compiled(CLEAN_YEAR)
    awards = period_awards(rules, [], ["r1", "r2"], dt.date(2021, 1, 1), dt.date(2022, 1, 1),
                           moved_in={"r1": dt.date.fromisoformat(moved_in)} if moved_in else None)
    assert [(a.resident, a.rule_id, a.period, a.amount) for a in awards] == expected
    later = period_awards(rules, [], ["r1"], dt.date(2021, 1, 1), dt.date(2023, 2, 1),
                          moved_in={"r1": dt.date.fromisoformat(moved_in)} if moved_in else None)
    assert [a.period for a in later] == (["2021-12", "2022-12"] if moved_in in (None, "2021-01-01") else
                                        ["2022-01", "2023-01"])


def test_a_period_award_is_dated_at_the_periods_end_and_says_what_qualified():
    evaluation = evaluate(compiled(CLEAN_YEAR), [fact("d1", "deed", "2021-03-01", points=1)],
                          closes_until=dt.date(2022, 1, 1))
    award = next(a for a in evaluation.awards if a.period)
    assert award.fact_id is None and award.occurred_at == dt.datetime(2021, 12, 31, 23, 59, 59,
                                                                      tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert award.qualified == tuple(f"2021-{m:02d}" for m in range(1, 13))
    assert "for 2021-12 (12 periods in a row from 2021-01)" in award.summary()
    assert evaluation.balances(compiled(CLEAN_YEAR).ruleset)["r1"].index == 100 + 1 + 10


def test_without_closing_no_period_rule_pays():
    assert paid(CLEAN_YEAR, [fact("d1", "deed", "2021-03-01", points=1)], "2021-01-01") == []
    assert [a for a in evaluate(compiled(CLEAN_YEAR), [fact("d1", "deed", "2021-03-01", points=1)]).awards
            if a.period] == []


@pytest.mark.parametrize(("period_rules", "path", "says"), [
    ("  - {id: x, title: x, category: honours, period: month, without: [violation], award: 1}",
     "period_rules[0].without[0]", "did you mean 'violations'"),
    ("  - {id: x, title: x, category: honour, period: month, without: [violations], award: 1}",
     "period_rules[0].category", "unknown category 'honour'"),
    ("  - {id: x, title: x, category: honours, period: month, points: {category: civics, at_least: 1}, award: 1}",
     "period_rules[0].points.category", "unknown category 'civics'"),
    ("  - {id: x, title: x, category: honours, period: month, award: 1}", "period_rules[0]", "'without'"),
    ("  - {id: x, title: x, category: honours, period: month, points: {category: civic}, award: 1}",
     "period_rules[0].points", "at_least"),
    ("  - {id: deed, title: x, category: honours, period: month, without: [violations], award: 1}",
     "period_rules[0].id", "rule 'deed' is defined twice"),
    ("  - {id: x, title: x, category: honours, period: month, without: [violations], award: 1, streak: 0}",
     "period_rules[0].streak", "greater than or equal to 1"),
])
def test_a_malformed_period_rule_is_refused_where_it_is_written(period_rules, path, says):
    with pytest.raises(RulesetError) as raised:
        compiled(period_rules)
    assert any(p.path == path and says in p.message for p in raised.value.problems), raised.value.problems


@pytest.mark.parametrize(("test", "path", "says"), [
    ("{name: t, facts: [{id: a, type: deed, resident: r1, occurred_at: 2021-03-01T10:00:00+08:00, "
     "fields: {points: 1}}], expect: {awards: [{period: 2021-12, rule: clean, amount: 10}]}}",
     "tests[0].closes_until", "closes_until"),
    ("{name: t, facts: [{id: a, type: deed, resident: r1, occurred_at: 2021-03-01T10:00:00+08:00, "
     "fields: {points: 1}}], closes_until: 2022-01-01, expect: {awards: [{fact: a, rule: clean, amount: 10}]}}",
     "tests[0].expect.awards[0].fact", "closed period"),
    ("{name: t, facts: [{id: a, type: deed, resident: r1, occurred_at: 2021-03-01T10:00:00+08:00, "
     "fields: {points: 1}}], closes_until: 2022-01-01, expect: {awards: [{period: 2021-12, rule: deed, amount: 1}]}}",
     "tests[0].expect.awards[0].period", "pays for a fact"),
])
def test_a_test_of_period_rules_must_close_periods_and_name_them(test, path, says):
    with pytest.raises(RulesetError) as raised:
        compiled(CLEAN_YEAR, tests=f"tests:\n  - {test}\n")
    assert any(p.path == path and says in p.message for p in raised.value.problems), raised.value.problems


TWELVE_MONTHS_TEST = """\
tests:
  - name: 满 12 个月
    facts: [{id: a, type: deed, resident: r1, occurred_at: 2021-03-01T10:00:00+08:00, fields: {points: 1}}]
    closes_until: 2022-01-01
    expect:
      awards: [{fact: a, rule: deed, amount: 1}, {period: 2021-12, rule: clean, amount: AMOUNT}]
"""


def test_an_embedded_test_closes_periods_and_checks_their_awards():
    text = STANDARD.replace("EFFECTIVE_FROM", "2021-01-01").replace("PERIOD_RULES", CLEAN_YEAR) + TWELVE_MONTHS_TEST
    assert [o.passed for o in run_tests(compile_ruleset(load_ruleset(text.replace("AMOUNT", "10"), name="t.yaml")))] \
        == [True]
    failed = run_tests(compile_ruleset(load_ruleset(text.replace("AMOUNT", "9"), name="t.yaml")))[0]
    assert failed.failures == ["expected award clean +9 for period 2021-12 was not given",
                               "unexpected award clean +10 for period 2021-12"]


DAILY = ("  - {id: clean_day, title: 连续 120 天无违规, category: honours, period: day, without: [violations], "
         "streak: 120, award: 1}")


def test_closing_more_periods_than_a_request_may_is_refused_before_any_work():
    """Found by attack: a daily rule closed to 2099 for ten residents took 7 s (365,240 awards); a thousand, minutes."""
    residents = [fact(f"o{n}", "offence", "2021-01-05", resident=f"r{n}") for n in range(10)]
    with pytest.raises(FactError) as refused:
        evaluate(compiled(DAILY, "2000-01-01"), residents, closes_until=dt.date(2099, 12, 31))
    [problem] = refused.value.problems
    assert (problem.code, problem.path) == ("closing_too_large", "closes_until") and "365,250" in problem.message
    # a year is fine: 120 clean days after the offence end on 05-05, 09-02 and 12-31
    assert {row[2] for row in paid(DAILY, residents, "2022-01-01", "2021-01-01")} == {"2021-05-05", "2021-09-02",
                                                                                       "2021-12-31"}
    offences = ", ".join(f"{{id: o{n}, type: offence, resident: r{n}, occurred_at: 2021-01-05T10:00:00+08:00}}"
                         for n in range(10))
    test = f"{{name: 到 2099 年, facts: [{offences}], closes_until: 2099-12-31, expect: {{awards: []}}}}"
    [outcome] = run_tests(compiled(DAILY, "2000-01-01", tests=f"tests:\n  - {test}\n"))
    assert not outcome.passed and "more than 200,000" in outcome.failures[0]


def test_a_simulation_closes_the_periods_of_its_own_months_only():
    """Found by attack: replaying 2021 under a standard in force since 2015 paid seven clean years (70 points)
    to a resident with no facts, dated before the replay, and the 2021 streak on its first month."""
    outcome = score_chunk(compiled(CLEAN_YEAR, "2015-01-01"), ["r1"], [], [f"2021-{m:02d}" for m in range(1, 13)])
    assert (outcome.residents["r1"].index, outcome.residents["r1"].rule_awards) == (110, {"clean": 1})
    assert [month for month, sums in outcome.monthly.items() if sums[0]] == ["2021-12"]


def test_a_version_copied_for_a_later_year_keeps_passing_its_period_tests():
    """The console's new draft takes today's date; its tests' facts then predate it, and still count from their year."""
    text = STANDARD.replace("EFFECTIVE_FROM", "2024-01-01").replace("PERIOD_RULES", CLEAN_YEAR) + \
        TWELVE_MONTHS_TEST.replace("AMOUNT", "10")
    assert [o.failures for o in run_tests(compile_ruleset(load_ruleset(text, name="t.yaml")))] == [[]]
