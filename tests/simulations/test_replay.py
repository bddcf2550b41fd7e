"""Replays: the shop after resets, a household kept in one chunk, and what-ifs by household and by resident."""

from __future__ import annotations

import json
from decimal import Decimal

from simulations.population import SCENARIOS, Shop, ShopItem, generate_facts, generate_population, load_scenario
from simulations.replay import FactsSource, as_household_fact, household_types, score_chunk
from simulations.run import _ruleset
from simulations.shards import replay
from tests.conftest import RULESETS
from xinzhi.engine import compile_ruleset, load_ruleset
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
    facts = tuple({"id": f"d{n}", "type": "deed", "resident": member, "household": "zhang",
                   "occurred_at": f"2024-03-0{n}T10:00:00+08:00"} for n, member in enumerate(["zs", "zs2"], start=1))
    village = _ruleset(RULESETS / "xishan_2024.yaml", ())
    summary = replay(village, village, FactsSource(facts=facts, name="village.jsonl", months=("2024-03",)),
                     workers=1, chunk_size=1, matcher="python").summary
    side = summary.candidate
    assert (side.sums["index_net"], side.sums["points_net"], summary.households.count) == (10, 10, 1)  # 110, 10
    # each member's part: what their own deed earned, and the household's tier
    assert summary.residents.groups[("all", "all")][1].counts == {5: 2}
    assert summary.residents.tiers == {("ok", "ok"): 2}


def test_a_fact_type_the_candidate_defines_otherwise_is_read_again_under_it(tmp_path):
    """Facts read alike are read once for both sides; a type whose fields differ is not among them."""
    text = (RULESETS / "yihe_2021.yaml").read_text(encoding="utf-8")
    candidate = tmp_path / "candidate.yaml"
    candidate.write_text(text.replace("version: 1", "version: 2").replace(
        "count: {type: int, min: 1, max: 500, title: 清理张数}", "count: {type: int, min: 1, max: 5, title: 清理张数}"),
        encoding="utf-8")
    facts = tmp_path / "facts.jsonl"
    facts.write_text("\n".join(json.dumps({"id": f"a{n}", "type": kind, "resident": "r1", "fields": fields,
                                           "occurred_at": f"2021-03-{n:02d}T10:00:00+08:00"})
                               for n, (kind, fields) in enumerate([("small_ad_cleanup", {"count": 20}),
                                                                   ("garbage_check", {"result": "excellent"})],
                                                                  start=1)), encoding="utf-8")
    report = json.loads(simulate(RULESETS / "yihe_2021.yaml", candidate, facts=facts).json)
    assert report["rejected_facts"]["baseline"] == {}
    assert report["rejected_facts"]["candidate"] == {"small_ad_cleanup: fact_invalid": 1}


def village_files(tmp_path, points: int = 6, held_by: str = "household",
                  deeds: tuple[tuple[str, str], ...] = (("zs", "zhang"), ("zs2", "zhang"), ("ly", "li"))):
    text = (RULESETS / "xishan_2024.yaml").read_text(encoding="utf-8")
    candidate = tmp_path / "candidate.yaml"
    candidate.write_text(text.replace("version: 1", "version: 2").replace(
        "award: {points: 5}, limits: [{period: month, max: 20}]",
        f"award: {{points: {points}}}, limits: [{{period: month, max: 20}}]").replace(
        "held_by: household", f"held_by: {held_by}"), encoding="utf-8")
    facts = tmp_path / "facts.jsonl"
    facts.write_text("\n".join(json.dumps({"id": f"d{n}", "type": "deed", "resident": member, "household": home,
                                           "occurred_at": f"2024-03-{n:02d}T10:00:00+08:00"})
                               for n, (member, home) in enumerate(deeds, start=1)), encoding="utf-8")
    return candidate, facts


def test_a_what_if_between_household_standards_is_by_household_and_by_resident(tmp_path):
    candidate, facts = village_files(tmp_path)
    result = simulate(RULESETS / "xishan_2024.yaml", candidate, facts=facts, chunk_size=1)
    report = json.loads(result.json)
    net = next(t for t in report["totals"] if t["metric"] == "index_net")
    assert (net["baseline"], net["candidate"]) == (15, 18)  # three deeds, counted once each, per household
    assert report["source"]["residents"] == 3
    households = report["households"]
    assert households["households"] == 2 and households["held_by"] == {"baseline": "household",
                                                                          "candidate": "household"}
    assert [(g["id"], g["baseline"]["total"], g["candidate"]["total"]) for g in households["groups"]] == [
        ("all", 15, 18), ("unknown", 15, 18)]
    assert households["tiers"]["baseline_counts"] == [0, 2, 0]  # star, ok, suspended: both households ok
    people = {p["resident"]: p for p in report["residents"]["top_gainers"]}
    assert {rid: (p["baseline_points"], p["candidate_points"], p["candidate_index"]) for rid, p in people.items()} \
        == {"ly": (5, 6, 106), "zs": (5, 6, 112), "zs2": (5, 6, 112)}
    assert "按家庭" in result.html and "家庭等级迁移" in result.html


def test_a_switch_from_household_to_resident_accounts_shows_each_residents_tier_move(tmp_path):
    """Hand-computed. Four deeds of zs fill the household's 20 a month; zs2's deed on the 5th then earns nothing.

    Kept per resident, zs still has 20 (120, star) and zs2 5 (105, ok): zs2 falls from the household's star.
    """
    candidate, facts = village_files(tmp_path, points=5, held_by="resident",
                                     deeds=(("zs", "zhang"),) * 4 + (("zs2", "zhang"),))
    report = json.loads(simulate(RULESETS / "xishan_2024.yaml", candidate, facts=facts).json)
    net = next(t for t in report["totals"] if t["metric"] == "index_net")
    assert (net["baseline"], net["candidate"]) == (20, 25)  # one household account; two resident accounts
    tiers = report["tiers"]
    assert [t["id"] for t in tiers["tiers"]] == ["star", "ok", "suspended"]
    assert (tiers["moved_down"], tiers["unchanged"], tiers["matrix"][0]) == (1, 1, [1, 1, 0])
    people = {p["resident"]: p for p in report["residents"]["top_gainers"]}
    assert (people["zs2"]["baseline_tier"], people["zs2"]["candidate_tier"], people["zs2"]["delta_points"]) == \
        ("star", "ok", 5)
    households = report["households"]
    assert households["held_by"] == {"baseline": "household", "candidate": "resident"}
    assert (households["groups"][0]["baseline"]["total"], households["groups"][0]["candidate"]["total"]) == (20, 25)
    assert households["tiers"] is None  # a resident-held standard gives no household a tier


def test_a_synthetic_village_credits_members_and_courtyards_to_households():
    """Every household's account is its members' parts plus its own (courtyard) facts; members show its tier."""
    scenario = load_scenario(SCENARIOS / "xishan_village.yaml").model_copy(update={"residents": 120})
    compiled = _ruleset(RULESETS / "xishan_2024.yaml", ()).compile()
    population = generate_population(scenario, 7)
    homes = {r.household for r in population.residents}
    registered = {r.id: r.household for r in population.residents}
    facts = [as_household_fact(f, household_types(compiled.ruleset), registered) for f in generate_facts(population)]
    side = score_chunk(compiled, sorted(registered), facts, [f"2024-{m:02d}" for m in range(1, 13)],
                       households=registered)
    assert set(side.households) == homes and set(side.residents) == {r.id for r in population.residents}
    courtyard = 0
    for household, account in side.households.items():
        members = [r.id for r in population.residents if r.household == household]
        own = account.rule_amounts.get("courtyard_clean", 0) + account.rule_amounts.get("courtyard_dirty", 0)
        courtyard += account.rule_awards.get("courtyard_clean", 0) + account.rule_awards.get("courtyard_dirty", 0)
        assert account.points == sum(side.residents[m].points for m in members) + own
        assert {side.residents[m].tier for m in members} == {account.tier}
    assert courtyard > len(homes) * 6  # about one inspection a month, a year long
    one = simulate(RULESETS / "xishan_2024.yaml", RULESETS / "xishan_2024.yaml", scenario=scenario, seed=7, workers=1)
    two = simulate(RULESETS / "xishan_2024.yaml", RULESETS / "xishan_2024.yaml", scenario=scenario, seed=7, workers=2)
    assert one.json == two.json and json.loads(one.json)["households"]["households"] == len(homes)
