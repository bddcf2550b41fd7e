"""同一事项按最高一档计分: of several rows that match one fact, only the largest counts (``exclusive``)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from tests.engine.test_reference import assert_agrees, fact_streams
from xinzhi.engine import RulesetError, compile_ruleset, evaluate, load_ruleset

DONATIONS = """\
id: rows
version: 1
title: 捐款分档
community: 测试
effective_from: 2021-01-01
accounts: {starting_index: 100}
tiers: [{id: A, title: 全部}]
categories: [{id: giving, title: 公益}, {id: order, title: 秩序}]
fact_types:
  - id: donation
    title: 捐款
    fields: {amount: {type: number, min: 0, max: 100000}}
  - id: litter
    title: 乱扔垃圾
    fields: {bags: {type: int, min: 1, max: 10}}
rules:
  - {id: give_100, title: 捐款满100元, category: giving, fact: donation, when: {amount: {at_least: 100}},
     award: {points: 2}, exclusive: donation_rows}
  - {id: give_500, title: 捐款满500元, category: giving, fact: donation, when: {amount: {at_least: 500}},
     award: {points: 5}, exclusive: donation_rows}
  - {id: give_1000, title: 捐款满1000元, category: giving, fact: donation, when: {amount: {at_least: 1000}},
     award: {points: 10}, exclusive: donation_rows, limits: [{period: month, max: 15}]}
  - {id: thanks, title: 致谢, category: giving, fact: donation, award: {points: 1}}
  - {id: litter_once, title: 乱扔垃圾, category: order, fact: litter, award: {points: -3}, exclusive: litter_rows}
  - {id: litter_bags, title: 乱扔垃圾按袋, category: order, fact: litter, award: {points: -2, per: bags},
     exclusive: litter_rows}
"""


def facts(*items: tuple[str, str, dict]) -> list[dict]:
    return [{"id": f"f{i}", "type": kind, "resident": "r1", "occurred_at": f"2021-05-{1 + i:02d}T10:00:00+08:00",
             "fields": fields} for i, (kind, _, fields) in enumerate(items)]


COMPILED = compile_ruleset(load_ruleset(DONATIONS, name="rows.yaml"))


@pytest.mark.parametrize(("fields", "expected"), [
    ({"amount": 50}, [("thanks", 1)]),
    ({"amount": 600}, [("give_500", 5), ("thanks", 1)]),
    ({"amount": 1000}, [("give_1000", 10), ("thanks", 1)]),
])
def test_only_the_largest_matching_row_counts(fields, expected):
    evaluation = evaluate(COMPILED, facts(("donation", "", fields)), explain=True)
    assert [(a.rule_id, a.amount) for a in evaluation.awards] == expected


def test_a_row_that_gave_way_says_which_row_counted_instead():
    evaluation = evaluate(COMPILED, facts(("donation", "", {"amount": 600})), explain=True)
    reasons = {m.rule_id: m.reason for m in evaluation.misses}
    assert reasons["give_100"] == "only the largest row of 'donation_rows' counts: give_500 (+5) instead of +2"


def test_the_chosen_row_is_then_limited_and_a_deduction_row_is_chosen_by_its_size():
    evaluation = evaluate(COMPILED, facts(("donation", "", {"amount": 2000}), ("donation", "", {"amount": 2000}),
                                          ("litter", "", {"bags": 1}), ("litter", "", {"bags": 4})))
    assert [(a.rule_id, a.raw_amount, a.amount) for a in evaluation.awards] == [
        ("give_1000", 10, 10), ("thanks", 1, 1), ("give_1000", 10, 5), ("thanks", 1, 1),
        ("litter_once", -3, -3), ("litter_bags", -8, -8)]


@settings(max_examples=40, deadline=None)
@given(stream=fact_streams(COMPILED.ruleset.model_dump(mode="json", exclude_none=True), max_size=25))
def test_engine_equals_reference_on_exclusive_rows(stream):
    assert_agrees(COMPILED, stream)


@pytest.mark.parametrize(("old", "new", "says"), [
    ("award: {points: 1}}", "award: {points: 1}, exclusive: litter_rows}", "mixes fact types donation, litter"),
    ("     exclusive: litter_rows}", "     exclusive: bag_rows}", "has only rule 'litter_once'"),
    ("     exclusive: litter_rows}", "     exclusive: litter_rows, enabled: false}", "has only rule 'litter_once'"),
])
def test_a_group_that_could_never_choose_is_refused_where_it_is_written(old, new, says):
    with pytest.raises(RulesetError) as raised:
        compile_ruleset(load_ruleset(DONATIONS.replace(old, new), name="rows.yaml"))
    found = [p for p in raised.value.problems if p.code == "ruleset_exclusive_group"]
    assert any(says in p.message for p in found) and all(p.line and p.path.endswith(".exclusive") for p in found)


YEARLY_ROWS = DONATIONS.replace("""  - {id: thanks, title: 致谢, category: giving, fact: donation, award: {points: 1}}
""", """  - {id: thanks, title: 致谢, category: giving, fact: donation, award: {points: 1}}
  - {id: year_1000, title: 全年捐款满1000元, category: giving, fact: donation, award: {points: 3},
     reaches: {period: year, sum: amount, at_least: 1000}, exclusive: year_rows}
  - {id: year_5000, title: 全年捐款满5000元, category: giving, fact: donation, award: {points: 8},
     reaches: {period: year, sum: amount, at_least: 5000}, exclusive: year_rows}
""")


@pytest.mark.parametrize(("amounts", "expected"), [
    ([600, 600, 4000], [("f1", "year_1000", 3), ("f2", "year_5000", 5)]),  # climbs: 3, then the 5 still owed
    ([6000], [("f0", "year_5000", 8)]),  # both rows at once: the highest only
    ([6000, 100], [("f0", "year_5000", 8)]),  # nothing more once the highest row is paid
    ([900, 50], []),
])
def test_rows_of_a_periods_total_pay_the_highest_row_reached(amounts, expected):
    compiled = compile_ruleset(load_ruleset(YEARLY_ROWS, name="rows.yaml"))
    evaluation = evaluate(compiled, facts(*(("donation", "", {"amount": a}) for a in amounts)), explain=True)
    assert [(a.fact_id, a.rule_id, a.amount) for a in evaluation.awards if a.rule_id.startswith("year_")] == expected
    if amounts == [6000, 100]:
        [miss] = [m for m in evaluation.misses if m.fact_id == "f1" and m.rule_id == "year_1000"]
        assert "was reached before" in miss.reason
    assert_agrees(compiled, facts(*(("donation", "", {"amount": a}) for a in amounts)))
