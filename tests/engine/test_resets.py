"""年度清零 / 逐年累计 / 未整改的带入下一年 in a committee's words: what each reset does to the balances, and why.

Each case is a standard's accounts and a few facts closed to a day; the balances and the
resets' own sentences are what a resident would be told.
"""

from __future__ import annotations

import datetime as dt

import pytest

from xinzhi.engine import FactError, RulesetError, compile_ruleset, evaluate, load_ruleset

HEAD = """\
id: {id}
version: {version}
title: 清零
community: 测试
effective_from: {start}
{end}accounts:
  starting_index: 100
  resets: {resets}
tiers: [{{id: A, title: 全部}}]
categories:
  - {{id: civic, title: 文明}}
  - {{id: violations, title: 违规}}
fact_types:
  - {{id: deed, title: 好人好事}}
  - {{id: offence, title: 违规}}
  - {{id: recheck, title: 整改复查合格}}
rules:
  - {{id: deed, title: 好人好事, category: civic, fact: deed, award: {{points: {deed}}}}}
  - {{id: offence, title: 违规未整改, category: violations, fact: offence, award: {{points: -3}},
     carries_over: {carry}}}
  - {{id: recheck, title: 整改复查合格, category: violations, fact: recheck, award: {{points: 0}}, lifts: [offence]}}
"""


def standard_text(resets: str = "[{account: index, every: year}]", *, carry: str = "true", start: str = "2021-01-01",
                  end: str | None = None, version: int = 1, deed: int = 5, ident: str = "resets") -> str:
    """The standard of these cases (deed, an offence that carries over, a recheck that lifts it) with its resets."""
    return HEAD.format(id=ident, version=version, resets=resets, carry=carry, start=start, deed=deed,
                       end=f"effective_to: {end}\n" if end else "")


def standard(resets: str = "[{account: index, every: year}]", carry: str = "true", start: str = "2021-01-01",
             end: str | None = None):
    return compile_ruleset(load_ruleset(standard_text(resets, carry=carry, start=start, end=end), name="resets.yaml"))


def facts(*items: tuple[str, str]) -> list[dict]:
    return [{"id": f"f{n}", "type": kind, "resident": "r1", "occurred_at": f"{day}T10:00:00+08:00"}
            for n, (kind, day) in enumerate(items)]


#: (what the committee wrote, resets, facts, closed until, index and points after, the resets' sentences)
CASES = [
    ("年度清零: the index is 100 again on 1 January; points carry over (逐年累计)", "[{account: index, every: year}]",
     [("deed", "2021-05-01"), ("deed", "2022-03-01")], "2022-01-01", (105, 10),
     ["年度清零（2021）：诚信指数 105 → 100"]),
    ("nothing closed yet: nothing reset", "[{account: index, every: year}]",
     [("deed", "2021-05-01")], "2021-12-31", (105, 5), []),
    ("积分每季度清零", "[{account: points, every: quarter, to: 0}]",
     [("deed", "2021-02-01"), ("deed", "2021-05-01")], "2021-07-01", (110, 0),
     ["季度清零（2021-Q1）：积分 5 → 0", "季度清零（2021-Q2）：积分 5 → 0"]),
    ("reset to a value of its own", "[{account: index, every: year, to: 60}]",
     [("deed", "2021-05-01")], "2023-01-01", (60, 5), ["年度清零（2021）：诚信指数 105 → 60"]),
    ("未整改的带入下一年", "[{account: index, every: year}]",
     [("deed", "2021-05-01"), ("offence", "2021-09-01")], "2022-01-01", (97, 2),
     ["年度清零（2021）：诚信指数 102 → 97（重置为 100，带入未整改的扣分：违规未整改 -3（f1））"]),
    ("整改后不再带入: carried once, rechecked, not carried again", "[{account: index, every: year}]",
     [("offence", "2021-09-01"), ("recheck", "2022-02-01")], "2023-01-01", (100, -3),
     ["年度清零（2022）：诚信指数 97 → 100"]),
    ("rechecked within the year: nothing carried", "[{account: index, every: year}]",
     [("offence", "2021-09-01"), ("recheck", "2021-12-31")], "2022-01-01", (100, -3),
     ["年度清零（2021）：诚信指数 97 → 100"]),
    ("both accounts reset, the deduction carried in each", "[{account: index, every: year}, "
     "{account: points, every: year}]", [("offence", "2021-09-01")], "2022-01-01", (97, -3), []),
]


@pytest.mark.parametrize(("resets", "given", "until", "after", "said"), [case[1:] for case in CASES],
                         ids=[case[0] for case in CASES])
def test_resets_in_a_committees_words(resets, given, until, after, said):
    compiled = standard(resets)
    evaluation = evaluate(compiled, facts(*given), closes_until=dt.date.fromisoformat(until))
    balance = evaluation.balances(compiled.ruleset)["r1"]
    assert (balance.index, balance.points) == after
    assert [reset.reason() for reset in evaluation.resets] == said


def test_a_period_that_began_before_the_standard_resets_at_its_end_and_none_after_the_standard_ends():
    compiled = standard(start="2021-07-01", end="2022-06-30")
    evaluation = evaluate(compiled, facts(("deed", "2021-08-01"), ("deed", "2022-08-01")),
                          closes_until=dt.date(2024, 1, 1))
    assert [(r.period.key, r.amount) for r in evaluation.resets] == [("2021", -5)]


def test_a_reset_explains_itself_as_data():
    compiled = standard()
    evaluation = evaluate(compiled, facts(("offence", "2021-09-01")), closes_until=dt.date(2022, 1, 1))
    assert evaluation.resets == []  # 97 carried is 97: nothing moves
    evaluation = evaluate(compiled, facts(("deed", "2021-03-01"), ("offence", "2021-09-01")),
                          closes_until=dt.date(2022, 1, 1))
    (reset,) = [r.as_json() for r in evaluation.resets]
    assert {k: reset[k] for k in ("account", "period", "before", "to", "after", "amount")} == \
        {"account": "index", "period": "2021", "before": 102, "to": 100, "after": 97, "amount": -5}
    assert reset["occurred_at"] == "2021-12-31T23:59:59+08:00"
    assert reset["carried"] == [{"rule_id": "offence", "rule_title": "违规未整改", "fact_id": "f1", "amount": -3}]


@pytest.mark.parametrize(("resets", "path", "says"), [
    ("[{account: index, every: year}, {account: index, every: month}]", "accounts.resets[1].account",
     "reset twice"),
    ("[]", "rules[1].carries_over", "nothing to carry over"),
    ("[{account: points, every: year}]", "rules[1].carries_over", "no account this rule lowers"),
    ("[{account: index, every: fortnight}]", "accounts.resets[0].every", "'quarter' or 'year'"),
    ("[{account: index, every: year, to: 0.5}]", "accounts.resets[0].to", "decimal places"),
])
def test_a_reset_that_could_not_be_honoured_is_refused_where_it_is_written(resets, path, says):
    text = standard_text(resets)
    if "no account this rule lowers" in says:
        text = text.replace("carries_over: true", "carries_over: true, accounts: [index]")
    with pytest.raises(RulesetError) as caught:
        load_ruleset(text, name="resets.yaml")
    assert [(p.path, says in p.message) for p in caught.value.problems] == [(path, True)]


def test_daily_resets_closed_to_2099_are_refused_before_any_work():
    """Found by review: resets were not counted in a closing's cost, so a daily reset closed to 2099 ran unbounded."""
    compiled = standard("[{account: points, every: day, to: 0}]")
    many = [{"id": f"f{n}", "type": "deed", "resident": f"r{n}", "occurred_at": "2021-05-01T10:00:00+08:00"}
            for n in range(10)]
    with pytest.raises(FactError) as refused:
        evaluate(compiled, many, closes_until=dt.date(2099, 12, 31))
    [problem] = refused.value.problems
    assert (problem.code, problem.path) == ("closing_too_large", "closes_until")
    assert len(evaluate(compiled, many, closes_until=dt.date(2022, 1, 1)).resets) == 10  # a year is fine


def test_a_thousand_carried_deductions_under_daily_resets_are_refused_before_any_work():
    """Found by attack: 500 rechecks and 500 offences under a daily reset closed to 2099 ran for minutes: each of
    28,500 ends read every carried deduction, and the cost counted residents × ends only."""
    compiled = standard("[{account: index, every: day}]")
    many = facts(*[("recheck", "2021-03-01")] * 500, *[("offence", "2021-03-02")] * 500)
    with pytest.raises(FactError) as refused:
        evaluate(compiled, many, closes_until=dt.date(2099, 12, 31))
    assert refused.value.problems[0].code == "closing_too_large"
