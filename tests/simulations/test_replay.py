"""A replay's shop sees what the resets leave: points set back at a month's end are not there to spend next month."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from simulations.population import Shop, ShopItem
from simulations.replay import FactsSource, _run_side, score_chunk
from simulations.run import _ruleset
from tests.conftest import RULESETS
from tests.simulations.conftest import small_scenario
from xinzhi.engine import FactError, RulesetError, compile_ruleset, load_ruleset
from xinzhi.simulations.run import simulate

STANDARD = """\
id: monthly
version: 1
title: 积分每月清零
community: 测试
effective_from: 2021-01-01
accounts: {starting_index: 100, resets: [{account: points, every: month, to: 5}]}
tiers: [{id: A, title: 全部}]
categories: [{id: civic, title: 文明}]
fact_types: [{id: deed, title: 好人好事}]
rules: [{id: deed, title: 好人好事, category: civic, fact: deed, award: {points: 5}}]
"""


def test_the_shop_spends_only_what_each_months_reset_leaves():
    compiled = compile_ruleset(load_ruleset(STANDARD, name="monthly.yaml"))
    shop = Shop(items=[ShopItem(id="soap", title="肥皂", price_points=5, cost_yuan=3)],
                redeem_probability_per_month=1, max_items_per_visit=3)
    deeds = [{"id": f"d{m}", "type": "deed", "resident": "r1", "occurred_at": f"2021-0{m}-10T10:00:00+08:00"}
             for m in (1, 2)]
    chunk = score_chunk(compiled, ["r1"], deeds, ["2021-01", "2021-02", "2021-03"], shop=shop)
    # January: 5 earned, which the reset leaves as it is (it moves nothing), and 5 spent: the reset gives back 5.
    # February: 5 + 5 earned, 10 spent, back to 5. March: nothing earned, 5 spent, back to 5.
    assert [chunk.monthly[m][2] for m in ("2021-01", "2021-02", "2021-03")] == [5, 10, 5]
    assert [chunk.monthly[m][3] for m in ("2021-01", "2021-02", "2021-03")] == [5, 5, 5]
    outcome = chunk.residents["r1"]
    assert (outcome.points, outcome.redeemed) == (Decimal(5), 20)


def test_a_households_members_are_replayed_in_one_chunk_however_small_the_chunks():
    """Found by attack: chunked by member, each chunk scored the household alone and the last one won (105, not 110)."""
    side = _run_side("candidate", _ruleset(RULESETS / "xishan_2024.yaml", ()), FactsSource(facts=tuple(
        {"id": f"d{n}", "type": "deed", "resident": member, "household": "zhang",
         "occurred_at": f"2024-03-0{n}T10:00:00+08:00"} for n, member in enumerate(["zs", "zs2"], start=1)),
        name="village.jsonl"), ["zs", "zs2"], ["2024-03"], workers=1, chunk_size=1, progress=None, matcher="python")
    assert {account: (o.index, o.points) for account, o in side.residents.items()} == {"zhang": (110, 10)}


def village_files(tmp_path, points: int = 6):
    text = (RULESETS / "xishan_2024.yaml").read_text(encoding="utf-8")
    candidate = tmp_path / "candidate.yaml"
    candidate.write_text(text.replace("version: 1", "version: 2").replace(
        "award: {points: 5}, limits: [{period: month, max: 20}]",
        f"award: {{points: {points}}}, limits: [{{period: month, max: 20}}]"), encoding="utf-8")
    facts = tmp_path / "facts.jsonl"
    facts.write_text("\n".join(json.dumps({"id": f"d{n}", "type": "deed", "resident": member, "household": home,
                                           "occurred_at": f"2024-03-0{n}T10:00:00+08:00"})
                               for n, (member, home) in enumerate([("zs", "zhang"), ("zs2", "zhang"), ("ly", "li")],
                                                                  start=1)), encoding="utf-8")
    return candidate, facts


def test_a_what_if_between_household_standards_is_by_household(tmp_path):
    candidate, facts = village_files(tmp_path)
    report = json.loads(simulate(RULESETS / "xishan_2024.yaml", candidate, facts=facts, chunk_size=1).json)
    net = next(t for t in report["totals"] if t["metric"] == "index_net")
    assert (net["baseline"], net["candidate"]) == (15, 18)  # three deeds, counted once each, per household
    assert report["source"]["residents"] == 2  # the two households are the accounts compared


def test_a_what_if_between_a_resident_and_a_household_standard_is_refused_where_it_differs(tmp_path):
    candidate, facts = village_files(tmp_path)
    candidate.write_text(candidate.read_text(encoding="utf-8").replace("held_by: household", "held_by: resident"),
                         encoding="utf-8")
    with pytest.raises(RulesetError) as refused:
        simulate(RULESETS / "xishan_2024.yaml", candidate, facts=facts)
    assert refused.value.problems[0].path == "accounts.held_by"
    with pytest.raises(FactError) as synthetic:
        simulate(RULESETS / "xishan_2024.yaml", RULESETS / "xishan_2024.yaml",
                 scenario=small_scenario(residents=20, months=1))
    assert synthetic.value.problems[0].path == "source" and "household" in synthetic.value.problems[0].message
