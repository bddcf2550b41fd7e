"""Exact decimal points: 捐款每 100 元计 0.1 分 adds up to exactly what a committee member would add by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xinzhi.engine import RulesetError, balances, compile_ruleset, evaluate, load_ruleset
from xinzhi.engine.amounts import exact, round_down, signed, text, to_json

#: A standard in tenths of a point: 1019 plus ten awards of 0.1 is 1020, the first index of tier A.
TENTHS = """\
id: tenths
version: 1
title: 十分之一分
community: 测试
effective_from: 2021-01-01
accounts: {{starting_index: 1019, decimals: {decimals}}}
tiers:
  - {{id: A, title: 好, index_from: 1020}}
  - {{id: B, title: 中, index_below: 1020}}
categories: [{{id: giving, title: 捐助}}]
fact_types:
  - id: gift
    title: 捐款
    fields:
      yuan: {{type: number, min: 0, max: 100000}}
      hours: {{type: number, min: 0, max: 24, required: false}}
rules:
  - {{id: gift, title: 捐款每 100 元计 0.1 分, category: giving, fact: gift, when: {{yuan: {{above: 0}}}},
     award: {award}}}
"""


def tenths(award: str = "{points: 0.1, per: yuan, every: 100}", decimals: int = 1) -> str:
    return TENTHS.format(award=award, decimals=decimals)


def gift(n: int, yuan: float, **fields) -> dict:
    return {"id": f"g{n}", "type": "gift", "resident": "r1", "occurred_at": f"2021-03-{n % 28 + 1:02d}T09:00:00+08:00",
            "fields": {"yuan": yuan, **fields}}


def scored(text_: str, facts: list[dict]):
    compiled = compile_ruleset(load_ruleset(text_))
    evaluation = evaluate(compiled, facts)
    return evaluation.awards, balances(compiled.ruleset, evaluation.awards, {f["resident"] for f in facts})


def test_ten_tenths_make_exactly_one_and_reach_the_tier_boundary():
    floating = 1019.0
    for _ in range(10):
        floating += 0.1
    assert floating != 1020  # what binary floats make of it (and 109 + ten 0.1 stays below 110: dongshan's test)
    awards, totals = scored(tenths(), [gift(n, 100) for n in range(10)])
    assert [a.amount for a in awards] == [Decimal("0.1")] * 10
    assert (totals["r1"].index, totals["r1"].points, totals["r1"].tier) == (Decimal(1020), Decimal(1), "A")


@pytest.mark.parametrize(("award", "fields", "amount"), [
    ("{points: 0.1, per: yuan, every: 100}", {"yuan": 250}, "0.2"),  # whole hundreds only
    ("{points: 0.1, per: yuan, every: 100}", {"yuan": 99.99}, None),  # not one hundred: nothing
    ("{points: 0.5, per: hours}", {"yuan": 1, "hours": 2.57}, "1.2"),  # 1.285 cut toward zero to one place
    ("{points: -0.5, per: hours}", {"yuan": 1, "hours": 2.57}, "-1.2"),  # a deduction too: toward zero
    ("{points: 1.5}", {"yuan": 1}, "1.5"),
    ("{table: {field: yuan, values: {100: 0.3}, else: 0.1}}", {"yuan": 100}, "0.3"),
])
def test_amounts_are_exact_and_cut_toward_zero_to_the_rulesets_decimals(award, fields, amount):
    awards, _ = scored(tenths(award), [{**gift(1, 0), "fields": fields}])
    assert [a.amount for a in awards] == ([Decimal(amount)] if amount else [])


@pytest.mark.parametrize(("award", "decimals", "code", "where"), [
    ("{points: 0.15}", 1, "ruleset_bad_value", "more decimal places"),  # finer than the ruleset says
    ("{points: 0.5}", 0, "ruleset_bad_value", "more decimal places"),
    ("{points: 0.001, per: yuan}", 2, "ruleset_bad_value", "decimal places"),  # finer than the ledger keeps
    ("{points: '0.1'}", 1, "ruleset_wrong_type", "not text"),
    ("{points: true}", 1, "ruleset_wrong_type", "not text"),
    ("{points: .nan}", 1, "ruleset_wrong_type", "finite"),
    ("{points: 0.1, every: 100}", 1, "ruleset_bad_value", "'every' needs 'per'"),
    ("{points: 100, per: yuan}", 1, "ruleset_bad_value", "one award stays within"),  # 100000 × 100 too big
])
def test_an_amount_the_ledger_could_not_keep_is_refused_where_it_is_written(award, decimals, code, where):
    with pytest.raises(RulesetError) as caught:
        load_ruleset(tenths(award, decimals))
    problems = caught.value.problems
    assert [(p.code, p.line) for p in problems][:1] == [(code, 19)], problems
    assert where in problems[0].message


def test_a_per_unit_award_needs_a_bounded_field():
    unbounded = tenths().replace("yuan: {type: number, min: 0, max: 100000}", "yuan: {type: number}")
    with pytest.raises(RulesetError) as caught:
        load_ruleset(unbounded)
    assert any("needs 'min' and 'max'" in p.message for p in caught.value.problems)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=5000), min_size=1, max_size=40))
def test_a_balance_is_the_exact_sum_of_its_awards(yuan):
    awards, totals = scored(tenths(), [gift(n, y) for n, y in enumerate(yuan)])
    expected = sum((Decimal(y // 100) / 10 for y in yuan), Decimal(1019))
    assert totals["r1"].index == expected and sum(a.amount for a in awards) == expected - 1019


@pytest.mark.parametrize(("value", "written", "with_sign", "json_value"), [
    (Decimal("1020"), "1020", "+1020", 1020),
    (Decimal("102000") / 100, "1020", "+1020", 1020),
    (Decimal("0.10"), "0.1", "+0.1", 0.1),
    (Decimal("-2.50"), "-2.5", "-2.5", -2.5),
    (Decimal("-0"), "0", "+0", 0),
    (Decimal("1E+3"), "1000", "+1000", 1000),
])
def test_an_amount_is_written_with_its_exact_digits(value, written, with_sign, json_value):
    assert (text(value), signed(value), to_json(value)) == (written, with_sign, json_value)
    assert type(to_json(value)) is type(json_value)


@given(st.decimals(min_value=-10**9, max_value=10**9, places=2), st.integers(min_value=0, max_value=3))
def test_equal_amounts_are_written_alike_whichever_was_written_first(amount, zeros):
    """``text`` remembers what it wrote: 2.5 written first must not make 2.50 (equal, other digits) differ."""
    padded = amount.quantize(Decimal(1).scaleb(-2 - zeros))
    assert padded == amount
    assert text(padded) == text.__wrapped__(padded) == text(amount) == text.__wrapped__(amount)


def test_a_float_from_yaml_or_json_is_read_as_the_digits_it_was_written_with():
    assert exact(0.1) == Decimal("0.1") and exact(1019) == Decimal(1019)
    assert exact(0.30000000000000004) != Decimal("0.3")
    assert round_down(Decimal("1.285"), 1) == Decimal("1.2") and round_down(Decimal("-1.285"), 2) == Decimal("-1.28")
