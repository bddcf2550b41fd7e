"""Households as accounts (户): every member's facts credit one account that starts once at the base score.

A village's standard (村规民约积分): the household holds the account, members' deeds are
credited to it and still name the member, a courtyard inspection is a fact of the household
as a whole, and limits and tiers apply to the household.
"""

from __future__ import annotations

import pytest

from tests.engine.test_reference import assert_agrees
from xinzhi.engine import FactError, RulesetError, compile_ruleset, evaluate, load_ruleset

VILLAGE = """\
id: village
version: 1
title: 村规民约积分（户）
community: 示例村
effective_from: 2024-01-01
accounts:
  held_by: household
  starting_index: 100
tiers:
  - {id: star, title: 星级文明户, index_from: 120}
  - {id: ok, title: 合格户, index_from: 70, index_below: 120}
  - {id: low, title: 待改进户, index_below: 70}
categories:
  - {id: civic, title: 文明}
  - {id: hygiene, title: 庭院卫生}
fact_types:
  - {id: deed, title: 好人好事}
  - id: courtyard_check
    title: 庭院卫生检查
    names: household
    fields: {result: {type: enum, values: [clean, dirty]}}
rules:
  - {id: deed, title: 好人好事, category: civic, fact: deed, award: {points: 5}, limits: [{period: month, max: 10}]}
  - {id: courtyard_clean, title: 庭院整洁, category: hygiene, fact: courtyard_check, when: {result: clean},
     award: {points: 3}}
  - {id: courtyard_dirty, title: 庭院脏乱, category: hygiene, fact: courtyard_check, when: {result: dirty},
     award: {points: -5}}
"""


def compiled():
    return compile_ruleset(load_ruleset(VILLAGE, name="village.yaml"))


def deed(fact_id: str, member: str, household: str, day: str = "2024-03-01") -> dict:
    return {"id": fact_id, "type": "deed", "resident": member, "household": household,
            "occurred_at": f"{day}T10:00:00+08:00"}


def check(fact_id: str, household: str, result: str) -> dict:
    return {"id": fact_id, "type": "courtyard_check", "household": household,
            "occurred_at": "2024-03-05T10:00:00+08:00", "fields": {"result": result}}


def test_members_credit_one_household_account_that_starts_once_and_is_limited_as_one():
    standard = compiled()
    evaluation = evaluate(standard, [deed("d1", "zhang_san", "h1"), deed("d2", "zhang_si", "h1"),
                                     deed("d3", "zhang_wu", "h1"), check("c1", "h1", "clean"),
                                     deed("d4", "li_yi", "h2"), check("c2", "h2", "dirty")])
    assert [(a.fact_id, a.resident, a.member, a.amount) for a in evaluation.awards] == [
        ("d1", "h1", "zhang_san", 5), ("d2", "h1", "zhang_si", 5), ("d3", "h1", "zhang_wu", 0),  # the month's 10
        ("d4", "h2", "li_yi", 5), ("c1", "h1", None, 3), ("c2", "h2", None, -5)]
    balances = evaluation.balances(standard.ruleset)
    assert {h: (b.index, b.points, b.tier) for h, b in balances.items()} == {
        "h1": (113, 13, "ok"), "h2": (100, 0, "ok")}  # one base of 100 per household, not one per member


@pytest.mark.parametrize(("fact", "path", "says"), [
    ({"id": "d1", "type": "deed", "resident": "zhang_san", "occurred_at": "2024-03-01T10:00:00+08:00"},
     "household", "keeps accounts per household"),
    ({"id": "c1", "type": "courtyard_check", "occurred_at": "2024-03-01T10:00:00+08:00",
      "fields": {"result": "clean"}}, "resident", "its household"),
    ({"id": "d2", "type": "deed", "household": "h1", "occurred_at": "2024-03-01T10:00:00+08:00"},
     "resident", "the member the fact is about"),
])
def test_a_fact_that_does_not_say_whose_account_it_moves_is_refused_at_the_missing_key(fact, path, says):
    with pytest.raises(FactError) as refused:
        evaluate(compiled(), [fact])
    [problem] = refused.value.problems
    assert problem.path == path and says in problem.message and "Value error" not in problem.message


def test_where_residents_hold_the_accounts_a_household_fact_is_charged_to_the_resident_it_names():
    standard = compile_ruleset(load_ruleset(VILLAGE.replace("held_by: household", "held_by: resident"),
                                            name="village.yaml"))
    evaluation = evaluate(standard, [{**check("c1", "h1", "dirty"), "resident": "zhang_san"}])
    assert [(a.resident, a.member, a.amount) for a in evaluation.awards] == [("zhang_san", "zhang_san", -5)]
    with pytest.raises(FactError) as refused:
        evaluate(standard, [check("c2", "h1", "dirty")])
    assert refused.value.problems[0].path == "resident" and "charged to" in refused.value.problems[0].message


PER_MEMBER = VILLAGE.replace("limits: [{period: month, max: 10}]",
                             "limits: [{period: month, max: 15}, {period: month, max: 10, per: member}]")


def test_a_limit_per_member_counts_each_members_deeds_within_the_households_limit():
    standard = compile_ruleset(load_ruleset(PER_MEMBER, name="village.yaml"))
    facts = [deed("d1", "zhang_san", "h1"), deed("d2", "zhang_san", "h1"), deed("d3", "zhang_san", "h1"),
             deed("d4", "zhang_si", "h1"), deed("d5", "zhang_si", "h1")]
    awards = evaluate(standard, facts).awards
    assert [(a.fact_id, a.member, a.amount, a.limited_by) for a in awards] == [
        ("d1", "zhang_san", 5, None), ("d2", "zhang_san", 5, None),
        ("d3", "zhang_san", 0, "rule:deed/month/member"),  # zhang_san's 10
        ("d4", "zhang_si", 5, None), ("d5", "zhang_si", 0, "rule:deed/month")]  # the household's 15
    assert_agrees(standard, facts)


def test_a_limit_per_member_where_residents_hold_the_accounts_is_refused_where_it_is_written():
    with pytest.raises(RulesetError) as refused:
        load_ruleset(PER_MEMBER.replace("held_by: household", "held_by: resident"), name="village.yaml")
    assert [(p.path, "each member" in p.message) for p in refused.value.problems] == [("rules[0].limits[1].per", True)]
