"""Conditions, awards and fact validation, each case run through the real engine.

Every case is compiled to durable-rules and evaluated with ``evaluate``; matching cases
are also checked against the Python explanation path, so the two never disagree.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

import pytest

from xinzhi.engine import ErrorCode, FactError, compile_ruleset, conditions, evaluate, load_ruleset
from xinzhi.engine._matcher import MATCHER
from xinzhi.engine.evaluator import to_message
from xinzhi.engine.factfiles import parse_facts
from xinzhi.engine.facts import SHANGHAI, Cell

HEAD = """\
id: cond
version: 1
title: 条件测试
community: 测试社区
effective_from: 2021-01-01
accounts: {starting_index: 100}
tiers: [{id: A, title: 全部}]
categories:
  - {id: misc, title: 其他}
fact_types:
  - id: act
    title: 活动
    fields:
      n: {type: int, min: 0, max: 100}
      hours: {type: number, min: 0, max: 24}
      kind: {type: enum, values: [a, b, c]}
      name: {type: string, max_length: 10}
      ok: {type: bool, required: false}
      day: {type: date, required: false}
      extra: {type: int, min: -1000, max: 1000, required: false}
      remark: {type: string, required: false}
  - id: other
    title: 其他事实
    fields:
      n: {type: int}
rules:
"""

DEFAULTS = {"n": 5, "hours": 2.5, "kind": "a", "name": "张三"}
MISSING = object()


def fields(**changes):
    """The default fields with ``changes`` applied (``MISSING`` drops a field)."""
    out = {**DEFAULTS, **changes}
    return {k: v for k, v in out.items() if v is not MISSING}


def fact(values: dict, *, fact_id: str = "f1", type_: str = "act", at: str = "2021-05-01T10:00:00+08:00") -> dict:
    return {"id": fact_id, "type": type_, "resident": "r1", "occurred_at": at, "fields": values}


def rule(rule_id: str, award: str, when: str | None = None, limits: str | None = None, fact_type: str = "act") -> str:
    text = f"  - id: {rule_id}\n    title: 规则 {rule_id}\n    category: misc\n    fact: {fact_type}\n"
    if when is not None:
        text += f"    when: {when}\n"
    text += f"    award: {award}\n"
    if limits is not None:
        text += f"    limits: {limits}\n"
    return text


@cache
def compiled(*rules: str):
    return compile_ruleset(load_ruleset(HEAD + "".join(rules), name="cond.yaml"))


# --- conditions ------------------------------------------------------------------------------

MATCH_CASES = [
    # equality and is_not
    pytest.param("{kind: a}", fields(), True, id="eq-enum-match"),
    pytest.param("{kind: a}", fields(kind="b"), False, id="eq-enum-miss"),
    pytest.param("{kind: {is: b}}", fields(kind="b"), True, id="is-keyword"),
    pytest.param("{name: 张三}", fields(), True, id="eq-string-chinese"),
    pytest.param("{name: 张三}", fields(name="张三丰"), False, id="eq-string-is-whole-string"),
    pytest.param("{n: 5}", fields(n=5), True, id="eq-int"),
    pytest.param("{hours: 2.5}", fields(hours=2.5), True, id="eq-number"),
    pytest.param("{kind: {is_not: a}}", fields(kind="b"), True, id="is_not-match"),
    pytest.param("{kind: {is_not: a}}", fields(kind="a"), False, id="is_not-miss"),
    pytest.param("{extra: {is_not: 3}}", fields(), False, id="is_not-on-missing-field-is-false"),
    pytest.param("{extra: {is_not: 3}}", fields(extra=4), True, id="is_not-on-present-field"),
    # ordering, at each boundary
    pytest.param("{n: {above: 5}}", fields(n=5), False, id="above-boundary"),
    pytest.param("{n: {above: 5}}", fields(n=6), True, id="above-over"),
    pytest.param("{n: {at_least: 5}}", fields(n=5), True, id="at_least-boundary"),
    pytest.param("{n: {at_least: 5}}", fields(n=4), False, id="at_least-under"),
    pytest.param("{n: {below: 5}}", fields(n=5), False, id="below-boundary"),
    pytest.param("{n: {below: 5}}", fields(n=4), True, id="below-under"),
    pytest.param("{n: {at_most: 5}}", fields(n=5), True, id="at_most-boundary"),
    pytest.param("{n: {at_most: 5}}", fields(n=6), False, id="at_most-over"),
    pytest.param("{hours: {above: 2.4}}", fields(hours=2.5), True, id="above-fractional"),
    pytest.param("{hours: {above: 0}}", fields(hours=0), False, id="above-zero-number"),
    pytest.param("{n: {at_least: 2, below: 6}}", fields(n=5), True, id="range-inside"),
    pytest.param("{n: {at_least: 2, below: 6}}", fields(n=6), False, id="range-upper-end"),
    pytest.param("{extra: {at_most: 100}}", fields(), False, id="ordering-on-missing-field-is-false"),
    # membership
    pytest.param("{kind: {in: [a, b]}}", fields(kind="b"), True, id="in-match"),
    pytest.param("{kind: {in: [a, b]}}", fields(kind="c"), False, id="in-miss"),
    pytest.param("{n: {in: [1, 5]}}", fields(n=5), True, id="in-ints"),
    pytest.param("{kind: {in: [c]}}", fields(kind="c"), True, id="in-single"),
    pytest.param("{kind: {not_in: [a, b]}}", fields(kind="c"), True, id="not_in-match"),
    pytest.param("{kind: {not_in: [a, b]}}", fields(kind="a"), False, id="not_in-miss"),
    pytest.param("{extra: {not_in: [1]}}", fields(), False, id="not_in-on-missing-field-is-false"),
    # presence
    pytest.param("{remark: {present: true}}", fields(remark="好"), True, id="present-true"),
    pytest.param("{remark: {present: true}}", fields(), False, id="present-true-missing"),
    pytest.param("{kind: a, remark: {present: false}}", fields(), True, id="present-false-missing"),
    pytest.param("{kind: a, remark: {present: false}}", fields(remark="好"), False, id="present-false-given"),
    # all / any / not
    pytest.param("{all: [{kind: a}, {n: {at_least: 5}}]}", fields(), True, id="all-both"),
    pytest.param("{all: [{kind: a}, {n: {at_least: 6}}]}", fields(), False, id="all-one-fails"),
    pytest.param("{any: [{kind: b}, {n: {at_least: 5}}]}", fields(), True, id="any-second"),
    pytest.param("{any: [{kind: b}, {n: {at_least: 6}}]}", fields(), False, id="any-none"),
    pytest.param("{kind: a, any: [{extra: 1}, {remark: {present: true}}]}", fields(remark="x"), True,
                 id="fields-and-any"),
    pytest.param("{not: {kind: a}}", fields(kind="b"), True, id="not-eq"),
    pytest.param("{not: {kind: a}}", fields(kind="a"), False, id="not-eq-miss"),
    pytest.param("{not: {any: [{kind: a}, {kind: b}]}}", fields(kind="c"), True, id="not-any-de-morgan"),
    pytest.param("{not: {any: [{kind: a}, {kind: b}]}}", fields(kind="b"), False, id="not-any-de-morgan-miss"),
    pytest.param("{not: {all: [{kind: a}, {n: 5}]}}", fields(n=6), True, id="not-all-de-morgan"),
    pytest.param("{not: {all: [{kind: a}, {n: 5}]}}", fields(), False, id="not-all-de-morgan-miss"),
    pytest.param("{not: {not: {kind: a}}}", fields(), True, id="double-not"),
    pytest.param("{not: {n: {in: [1, 2]}}}", fields(n=5), True, id="not-in"),
    pytest.param("{kind: a, not: {extra: {at_least: 3}}}", fields(), True, id="not-on-optional-missing-matches"),
    pytest.param("{kind: a, not: {extra: {at_least: 3}}}", fields(extra=1), True, id="not-on-optional-low"),
    pytest.param("{kind: a, not: {extra: {at_least: 3}}}", fields(extra=3), False, id="not-on-optional-high"),
    pytest.param("{kind: a, not: {remark: {present: true}}}", fields(), True, id="not-present-missing"),
    pytest.param("{kind: a, not: {remark: {present: true}}}", fields(remark="x"), False, id="not-present-given"),
    # bool and date fields
    pytest.param("{ok: true}", fields(ok=True), True, id="bool-true"),
    pytest.param("{ok: true}", fields(ok=False), False, id="bool-true-vs-false"),
    pytest.param("{ok: false}", fields(ok=False), True, id="bool-false"),
    pytest.param("{ok: false}", fields(), False, id="bool-false-vs-missing"),
    pytest.param("{ok: true}", fields(ok=Cell("yes")), True, id="bool-from-a-csv-cell-yes"),
    pytest.param("{ok: false}", fields(ok=Cell("否")), True, id="bool-from-a-csv-cell-fou"),
    pytest.param("{kind: a, not: {ok: true}}", fields(), True, id="not-bool-on-missing"),
    pytest.param("{day: 2021-05-01}", fields(day="2021-05-01"), True, id="date-eq"),
    pytest.param("{day: {at_least: 2021-05-01}}", fields(day=dt.date(2021, 5, 1)), True, id="date-at_least-boundary"),
    pytest.param("{day: {at_least: 2021-05-01}}", fields(day="2021-04-30"), False, id="date-at_least-day-before"),
    pytest.param("{day: {below: 2022-01-01}}", fields(day="2021-12-31"), True, id="date-below-year-end"),
    pytest.param("{day: {above: 2021-09-30}}", fields(day="2021-10-01"), True, id="date-above-month-change"),
    pytest.param("{day: {in: [2021-05-01, 2021-10-01]}}", fields(day="2021-10-01"), True, id="date-in"),
    # values coerced before the engine sees them
    pytest.param("{n: {at_least: 9}}", fields(n="10"), True, id="string-10-is-number-10"),
    pytest.param("{hours: {at_least: 9}}", fields(hours="10"), True, id="string-10-is-number-10-float"),
    pytest.param("{n: {below: 9}}", fields(n="10"), False, id="string-10-not-below-9"),
    pytest.param("{hours: 3}", fields(hours=3.0), True, id="three-equals-three-point-zero"),
]


@pytest.mark.parametrize(("when", "values", "matches"), MATCH_CASES)
def test_condition(when, values, matches):
    ruleset = compiled(rule("r", "{points: 1}", when))
    evaluation = evaluate(ruleset, [fact(values)], explain=True)
    assert [a.rule_id for a in evaluation.awards] == (["r"] if matches else [])
    # the Python explanation path agrees with durable-rules
    fact_ = ruleset.validator.validate(fact(values))
    assert (conditions.first_failure(ruleset.rules["r"].condition, to_message(fact_)) is None) == matches
    if not matches:
        [miss] = evaluation.misses
        assert miss.rule_id == "r" and miss.field is not None
        assert miss.field in miss.reason and miss.field in when


def test_durable_rules_alone_compares_a_string_as_a_string():
    """Why facts are coerced: the raw message "10" fails ``>= 9`` inside durable-rules."""
    ruleset = compiled(rule("r", "{points: 1}", "{n: {at_least: 9}}"))
    assert MATCHER.match(ruleset.name, ruleset.definition, {"type": "act", "n": "10"}) == []
    assert MATCHER.match(ruleset.name, ruleset.definition, {"type": "act", "n": 10}) == ["r"]


def test_rule_without_condition_matches_every_fact_of_its_type_only():
    ruleset = compiled(rule("r", "{points: 1}"))
    evaluation = evaluate(ruleset, [fact(fields(), fact_id="a"), fact({"n": 1}, fact_id="b", type_="other")])
    assert [(a.fact_id, a.rule_id) for a in evaluation.awards] == [("a", "r")]


# --- awards ----------------------------------------------------------------------------------

AWARD_CASES = [
    pytest.param("{points: 3}", fields(), 3, id="fixed"),
    pytest.param("{points: 2, per: hours}", fields(hours=2.5), 5, id="per-2.5h-x2"),
    pytest.param("{points: 2, per: hours}", fields(hours=2.7), 5, id="per-rounds-down"),
    pytest.param("{points: 3, per: hours}", fields(hours=0.5), 1, id="per-1.5-rounds-down"),
    pytest.param("{points: 3, per: hours}", fields(hours=0.3), 0, id="per-under-one-point-gives-nothing"),
    pytest.param("{points: 100, per: hours}", fields(hours=0.57), 57, id="per-no-float-shortfall"),
    pytest.param("{points: 10, per: hours}", fields(hours=2.3), 23, id="per-2.3h-x10"),
    pytest.param("{points: 100, per: hours}", fields(hours=1.13), 113, id="per-no-float-shortfall-2"),
    pytest.param("{points: -1, per: hours}", fields(hours=2.5), -2, id="per-negative-toward-zero"),
    pytest.param("{points: -100, per: hours}", fields(hours=0.57), -57, id="per-negative-no-float-excess"),
    pytest.param("{points: 1, per: n}", fields(n=4), 4, id="per-int-field"),
    pytest.param("{points: 1, per: n}", fields(n=0), 0, id="per-zero-units"),
    pytest.param("{points: 1, per: extra}", fields(), 0, id="per-missing-optional"),
    pytest.param("{table: {field: kind, values: {a: 3, b: 1}}}", fields(kind="a"), 3, id="table-hit"),
    pytest.param("{table: {field: kind, values: {a: 3, b: 1}}}", fields(kind="c"), 0, id="table-miss-default-0"),
    pytest.param("{table: {field: kind, values: {a: 3}, else: 1}}", fields(kind="c"), 1, id="table-else"),
    pytest.param("{table: {field: n, values: {5: 10, 4: 6}}}", fields(n=5), 10, id="table-int-keys"),
    pytest.param("{table: {field: n, values: {5: 10, 4: 6}}}", fields(n="4"), 6, id="table-int-key-coerced"),
    pytest.param("{table: {field: extra, values: {1: 9}, else: 2}}", fields(), 2, id="table-missing-field-else"),
    pytest.param("{table: {field: kind, values: {a: -4}, else: 0}}", fields(kind="a"), -4, id="table-deduction"),
    pytest.param("{points: -2}", fields(), -2, id="fixed-deduction"),
]


@pytest.mark.parametrize(("award", "values", "amount"), AWARD_CASES)
def test_award(award, values, amount):
    ruleset = compiled(rule("r", award))
    evaluation = evaluate(ruleset, [fact(values)], explain=True)
    if amount == 0:
        assert evaluation.awards == []
        assert [(m.rule_id, m.reason) for m in evaluation.misses] == [("r", "the award for this fact is 0")]
    else:
        [award_] = evaluation.awards
        assert (award_.raw_amount, award_.amount, award_.limited_by) == (amount, amount, None)


def test_a_limit_on_a_deduction_caps_its_size_and_deductions_lower_both_accounts():
    ruleset = compiled(rule("fine", "{points: -5}", "{kind: c}", "[{period: day, max: 7}]"))
    facts = [fact(fields(kind="c"), fact_id=f"f{i}", at=f"2021-05-01T1{i}:00:00+08:00") for i in range(3)]
    awards = evaluate(ruleset, facts).awards
    assert [(a.amount, a.limited_by, a.accounts) for a in awards] == [
        (-5, None, ("index", "points")), (-2, "rule:fine/day/deductions", ("index", "points")),
        (0, "rule:fine/day/deductions", ("index", "points"))]


def test_one_fact_fires_every_matching_rule_in_ruleset_order():
    ruleset = compiled(
        rule("base", "{points: 1}"),
        rule("per_hour", "{points: 2, per: hours}", "{hours: {above: 0}}"),
        rule("kind_b", "{points: 7}", "{kind: b}"),
        rule("long", "{points: 3}", "{hours: {at_least: 2}}"),
        rule("penalty", "{points: -1}", "{n: {below: 10}}"),
    )
    awards = evaluate(ruleset, [fact(fields())]).awards
    assert [(a.rule_id, a.amount) for a in awards] == [("base", 1), ("per_hour", 5), ("long", 3), ("penalty", -1)]


def test_facts_are_scored_in_time_order_whatever_the_input_order():
    ruleset = compiled(rule("r", "{points: 4}", limits="[{period: day, max: 6}]"))
    late = fact(fields(), fact_id="late", at="2021-05-01T20:00:00+08:00")
    early = fact(fields(), fact_id="early", at="2021-05-01T08:00:00+08:00")
    forward = evaluate(ruleset, [early, late]).awards
    backward = evaluate(ruleset, [late, early]).awards
    assert forward == backward
    assert [(a.fact_id, a.amount) for a in forward] == [("early", 4), ("late", 2)]


def test_fact_time_is_kept_in_shanghai():
    ruleset = compiled(rule("r", "{points: 1}"))
    [award] = evaluate(ruleset, [fact(fields(), at="2021-04-30T16:30:00Z")]).awards
    assert award.occurred_at == dt.datetime(2021, 5, 1, 0, 30, tzinfo=SHANGHAI)
    assert award.occurred_at.utcoffset() == dt.timedelta(hours=8)


# --- facts rejected before evaluation ----------------------------------------------------------

REJECT_CASES = [
    pytest.param(fact(fields(), fact_id="bad-1", type_="acts"), ErrorCode.FACT_UNKNOWN_TYPE, "type", "'acts'",
                 id="unknown-type"),
    pytest.param(fact(fields(colour="red"), fact_id="bad-2"), ErrorCode.FACT_INVALID, "fields.colour",
                 "not a field", id="unknown-field"),
    pytest.param(fact(fields(hours="ten"), fact_id="bad-3"), ErrorCode.FACT_INVALID, "fields.hours", "number",
                 id="number-not-a-number"),
    pytest.param(fact(fields(hours=25), fact_id="bad-4"), ErrorCode.FACT_INVALID, "fields.hours", "24",
                 id="number-over-max"),
    pytest.param(fact(fields(hours=True), fact_id="bad-4b"), ErrorCode.FACT_INVALID, "fields.hours",
                 "not true or false", id="number-given-true"),
    pytest.param(fact(fields(n=False), fact_id="bad-4c"), ErrorCode.FACT_INVALID, "fields.n", "not true or false",
                 id="int-given-false"),
    pytest.param(fact(fields(hours="1_0"), fact_id="bad-4d"), ErrorCode.FACT_INVALID, "fields.hours",
                 "without '_'", id="number-with-an-underscore"),
    pytest.param(fact(fields(n=Cell("1_0")), fact_id="bad-4e"), ErrorCode.FACT_INVALID, "fields.n", "without '_'",
                 id="int-cell-with-an-underscore"),
    pytest.param(fact(fields(n=2.5), fact_id="bad-5"), ErrorCode.FACT_INVALID, "fields.n", "fractional",
                 id="int-with-fraction"),
    pytest.param(fact(fields(kind="d"), fact_id="bad-6"), ErrorCode.FACT_INVALID, "fields.kind", "'a'",
                 id="enum-value-not-in-enum"),
    pytest.param(fact(fields(name=MISSING), fact_id="bad-7"), ErrorCode.FACT_INVALID, "fields.name",
                 "required field is missing", id="required-field-missing"),
    pytest.param(fact(fields(day="yesterday"), fact_id="bad-8"), ErrorCode.FACT_INVALID, "fields.day", "date",
                 id="bad-date"),
    pytest.param(fact(fields(ok=Cell("maybe")), fact_id="bad-9"), ErrorCode.FACT_INVALID, "fields.ok",
                 "is not yes or no", id="bad-bool-cell"),
    pytest.param(fact(fields(ok="yes"), fact_id="bad-9j"), ErrorCode.FACT_INVALID, "fields.ok",
                 "true or false is expected", id="json-bool-is-strict"),
    pytest.param(fact(fields(ok=1), fact_id="bad-9k"), ErrorCode.FACT_INVALID, "fields.ok",
                 "true or false is expected", id="json-bool-not-one"),
    pytest.param(fact(fields(name="一二三四五六七八九十十"), fact_id="bad-10"), ErrorCode.FACT_INVALID,
                 "fields.name", "10 characters", id="string-too-long"),
    pytest.param({"id": "bad-11", "type": "act", "resident": "r1", "fields": fields()}, ErrorCode.FACT_INVALID,
                 "occurred_at", "required", id="no-occurred-at"),
    pytest.param(fact(fields(), fact_id="bad-12", at="last tuesday"), ErrorCode.FACT_INVALID, "occurred_at",
                 "datetime", id="bad-occurred-at"),
]


@pytest.mark.parametrize(("raw", "code", "path", "word"), REJECT_CASES)
def test_bad_fact_is_rejected_naming_fact_and_field(raw, code, path, word):
    ruleset = compiled(rule("r", "{points: 1}"))
    with pytest.raises(FactError) as caught:
        evaluate(ruleset, [raw])
    [problem] = caught.value.problems
    assert (problem.code, problem.path) == (code, path)
    assert f"'{raw['id']}'" in problem.message
    assert path.split(".")[-1] in problem.message
    assert word in problem.message


def test_one_bad_fact_rejects_the_whole_batch_listing_every_problem():
    ruleset = compiled(rule("r", "{points: 1}"))
    batch = [fact(fields(), fact_id="good"), fact(fields(hours="ten"), fact_id="bad-a"),
             fact(fields(kind="z", colour="red"), fact_id="bad-b")]
    with pytest.raises(FactError) as caught:
        evaluate(ruleset, batch)
    got = sorted((p.path, p.message.split("'")[1]) for p in caught.value.problems)
    assert got == [("fields.colour", "bad-b"), ("fields.hours", "bad-a"), ("fields.kind", "bad-b")]


def test_coerced_values_are_what_the_award_sees():
    ruleset = compiled(rule("r", "{points: 2, per: hours}"))
    [award] = evaluate(ruleset, [fact(fields(hours="2.5"))]).awards
    assert award.amount == 5


def test_a_csv_file_is_read_by_each_fields_type_while_json_stays_strict():
    csv_text = ("id,type,resident,occurred_at,n,hours,kind,name,ok\n"
                "c1,act,r1,2021-05-01T10:00:00+08:00,3,1.5,a,修路,是\n"
                "c2,act,r1,2021-05-02T10:00:00+08:00,3,1.5,a,修路,No\n")
    ruleset = compiled(rule("r", "{points: 1}", "{ok: true}"))
    csv_facts = [ruleset.validator.validate(raw) for raw in parse_facts(csv_text, fmt="csv")]
    assert [(f.fields["n"], f.fields["hours"], f.fields["ok"]) for f in csv_facts] == [(3, 1.5, True), (3, 1.5, False)]
    json_line = '{"id": "j1", "type": "act", "resident": "r1", "occurred_at": "2021-05-01T10:00:00+08:00", ' \
                '"fields": {"n": 3, "hours": 1.5, "kind": "a", "name": "修路", "ok": "是"}}'
    with pytest.raises(FactError) as raised:
        ruleset.validator.validate(parse_facts(json_line, fmt="jsonl")[0])
    assert [p.path for p in raised.value.problems] == ["fields.ok"]
