"""What-ifs that let points expire and hold awards for the committee's review, hand-computed on a tiny standard."""

from __future__ import annotations

import json

import pytest

from simulations.population import Shop, ShopItem
from simulations.replay import EXPIRED, OUTSTANDING, REDEEMED, score_chunk
from tests.simulations.conftest import YIHE, small_scenario
from xinzhi.engine import compile_ruleset, load_ruleset
from xinzhi.simulations.run import simulate

MONTHS = ["2021-01", "2021-02", "2021-03"]


def standard(name: str, *, expire: int | None = None, review: bool = False, publicity: int | None = None) -> str:
    """Deeds earn 5, a major deed 20 (at most 20 a month), litter costs 3; optionally expiry, review and 公示."""
    return (f"id: {name}\nversion: 1\ntitle: 测试标准 {name}\ncommunity: 测试\neffective_from: 2021-01-01\n"
            f"accounts: {{starting_index: 100{f', points_expire: {{after_months: {expire}}}' if expire else ''}}}\n"
            + (f"publicity_days: {publicity}\n" if publicity is not None else "")
            + "tiers: [{id: A, title: 全部}]\n"
            "categories: [{id: civic, title: 文明}]\n"
            "fact_types: [{id: deed, title: 好人好事}, {id: major_deed, title: 重大好人好事},\n"
            "             {id: litter, title: 乱扔垃圾}]\n"
            "rules:\n"
            "  - {id: deed, title: 好人好事, category: civic, fact: deed, award: {points: 5}}\n"
            "  - {id: major_deed, title: 重大好人好事, category: civic, fact: major_deed, award: {points: 20},\n"
            f"     limits: [{{period: month, max: 20}}]{', review: committee' if review else ''}}}\n"
            "  - {id: litter, title: 乱扔垃圾, category: civic, fact: litter, award: {points: -3}}\n")


def fact(n: int, kind: str, day: str, resident: str = "r1") -> dict:
    return {"id": f"f{n}", "type": kind, "resident": resident, "occurred_at": f"2021-{day}T10:00:00+08:00"}


def write(tmp_path, name: str, text: str):
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def facts_file(tmp_path, facts: list[dict]):
    path = tmp_path / "facts.jsonl"
    path.write_text("\n".join(json.dumps(f) for f in facts) + "\n", encoding="utf-8")
    return path


def test_the_shop_spends_the_earliest_expiring_points_first_and_the_rest_expire():
    """Points expire at the end of the month after the award. Each month's visit buys one item of 4 if it can.

    January: 5 earned (expiring end of February), 4 spent: 1 left. February: 5 more (end of March); the
    visit spends the 1 expiring first, then 3 of February's: nothing is left to expire in February and
    2 expire in March. Spending the newest first would have let 1 expire in February and 1 in March.
    """
    compiled = compile_ruleset(load_ruleset(standard("short", expire=1), name="short.yaml"))
    shop = Shop(items=[ShopItem(id="soap", title="肥皂", price_points=4, cost_yuan=3)],
                redeem_probability_per_month=1, max_items_per_visit=1)
    chunk = score_chunk(compiled, ["r1"], [fact(1, "deed", "01-10"), fact(2, "deed", "02-10")], MONTHS, shop=shop)
    assert [chunk.monthly[m][REDEEMED] for m in MONTHS] == [4, 4, 0]
    assert [chunk.monthly[m][EXPIRED] for m in MONTHS] == [0, 0, 2]
    assert [chunk.monthly[m][OUTSTANDING] for m in MONTHS] == [1, 2, 0]
    out = chunk.residents["r1"]
    assert (out.points, out.redeemed, out.expired, out.balance) == (10, 8, 2, 0)


def test_a_standard_without_expiry_keeps_every_point():
    compiled = compile_ruleset(load_ruleset(standard("keeps"), name="keeps.yaml"))
    chunk = score_chunk(compiled, ["r1"], [fact(1, "deed", "01-10"), fact(2, "deed", "02-10")], MONTHS)
    assert [chunk.monthly[m][OUTSTANDING] for m in MONTHS] == [5, 10, 10]
    assert chunk.residents["r1"].expired == 0


@pytest.fixture(scope="module")
def expiring(tmp_path_factory):
    """r1: +5 in January, +5 and −3 in February, +5 in March; r2: +5 in March. Only the candidate expires points.

    Under the candidate (1 month): the deduction takes 3 of January's 5, whose other 2 expire at the end
    of February; February's 5 expire at the end of March. r1 keeps 5 (March's), r2 5: 10 outstanding,
    7 expired. Nothing else moves: the same 17 points are awarded under both.
    """
    tmp = tmp_path_factory.mktemp("expiry")
    facts = facts_file(tmp, [fact(1, "deed", "01-10"), fact(2, "deed", "02-10"), fact(3, "litter", "02-20"),
                             fact(4, "deed", "03-10"), fact(5, "deed", "03-12", resident="r2")])
    baseline, candidate = write(tmp, "keeps", standard("keeps")), write(tmp, "short", standard("short", expire=1))
    one = simulate(baseline, candidate, facts=facts, workers=1)
    two = simulate(baseline, candidate, facts=facts, workers=2, chunk_size=1)
    return one, two


def test_expired_points_leave_the_liability_not_the_points_awarded(expiring):
    one, _ = expiring
    report = json.loads(one.json)
    totals = {t["metric"]: t for t in report["totals"]}
    assert (totals["points_net"]["baseline"], totals["points_net"]["candidate"]) == (17, 17)
    assert (totals["points_expired"]["baseline"], totals["points_expired"]["candidate"]) == (0, 7)
    assert (totals["points_outstanding"]["baseline"], totals["points_outstanding"]["candidate"]) == (17, 10)
    assert totals["points_expired"]["title"] == "到期作废积分"
    assert report["attribution"]["total_delta"] == 0  # expiry is not a rule's change
    liability = report["liability"]
    assert (liability["baseline"]["points_expire_after_months"], liability["candidate"]["points_expire_after_months"]) \
        == (None, 1)
    assert (liability["candidate"]["points_expired"], liability["delta_outstanding_points"]) == (7, -7)
    assert [(m["candidate_expired"], m["candidate_outstanding"]) for m in liability["monthly"]] == [
        (0, 5), (2, 5), (5, 10)]
    assert [m["baseline_outstanding"] for m in liability["monthly"]] == [5, 7, 17]
    assert "到期作废积分：候选 7，基线 0（积分有效期：候选 1 个月，基线不过期）" in one.html


def test_expiry_gives_the_same_report_for_any_worker_count(expiring):
    one, two = expiring
    assert one.json == two.json and one.html == two.html


def test_a_long_synthetic_what_if_expires_points_from_the_first_months_expiry_on():
    """Yihe's points expire 24 months after the award: January 2021's unspent go at the end of January 2023.

    Nobody shops here, so what is not expired is outstanding (no balance is negative).
    """
    scenario = small_scenario(residents=30, months=26)
    closed = scenario.shop.model_copy(update={"redeem_probability_per_month": 0})
    scenario = scenario.model_copy(update={"shop": closed})
    report = simulate(YIHE, YIHE, scenario=scenario, seed=3, workers=1).report
    liability = report.liability
    expired = [m.baseline_expired for m in liability.monthly]
    assert expired[:24] == [0] * 24
    assert 0 < expired[24] <= liability.monthly[0].baseline_outstanding  # at most what January 2021 left
    assert [m.candidate_expired for m in liability.monthly] == expired  # the same standard: the same expiry
    totals = {t.metric: t for t in report.totals}
    assert totals["points_expired"].baseline == sum(expired) == liability.baseline.points_expired
    assert liability.baseline.negative_balances == 0
    assert totals["points_outstanding"].baseline == totals["points_net"].baseline - sum(expired) \
        == liability.monthly[-1].baseline_outstanding


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory):
    """Only the candidate sends major deeds to the committee (公示 5 days).

    r1: a major deed on 5 January (20), another on the 6th (cut to 0 by the month's 20: nothing to
    review), one on 3 February (20) and a deed (5, not reviewed); r2: a major deed on 7 January (20).
    The committee would decide 3 awards, 60 points: 2 (40) in January, 1 (20) in February.
    """
    tmp = tmp_path_factory.mktemp("review")
    facts = facts_file(tmp, [fact(1, "major_deed", "01-05"), fact(2, "major_deed", "01-06"),
                             fact(3, "major_deed", "01-07", resident="r2"), fact(4, "major_deed", "02-03"),
                             fact(5, "deed", "02-04")])
    baseline = write(tmp, "plain", standard("plain"))
    candidate = write(tmp, "committee", standard("committee", review=True, publicity=5))
    return simulate(baseline, candidate, facts=facts, workers=1)


def test_awards_held_for_review_are_counted_for_the_committee(reviewed):
    report = json.loads(reviewed.json)
    review = report["review"]
    assert review["counted_in_totals"] is True
    assert review["baseline"] == {"rules": 0, "awards": 0, "points": 0, "publicity_days": None}
    assert review["candidate"] == {"rules": 1, "awards": 3, "points": 60, "publicity_days": 5}
    assert review["rules"] == [{"rule_id": "major_deed", "title": "重大好人好事", "baseline_awards": 0,
                                "candidate_awards": 3, "baseline_points": 0, "candidate_points": 60}]
    assert [(m["month"], m["candidate_awards"], m["candidate_points"]) for m in review["monthly"]] == [
        ("2021-01", 2, 40), ("2021-02", 1, 20)]
    totals = {t["metric"]: t for t in report["totals"]}
    assert (totals["review_awards"]["candidate"], totals["review_points"]["candidate"]) == (3, 60)
    # counted as approved: the totals are the same under both standards
    assert (totals["points_net"]["baseline"], totals["points_net"]["candidate"]) == (65, 65)
    assert "全部获批计入" in review["note"]


def test_the_review_section_reads_in_chinese_with_titles(reviewed):
    html = reviewed.html
    assert "<h2>委员会审核与公示</h2>" in html
    assert "候选：1 条规则需委员会审核，待审核奖励 3 条 / 60 分（批准后公示 5 天）" in html
    assert "<td>重大好人好事</td>" in html and "major_deed" not in html
    assert "待委员会审核的奖励：候选 3 条 / 60 分，基线 0 条 / 0 分（总量按全部获批计入）" in html


def test_a_what_if_without_review_shows_no_review_section(expiring):
    one, _ = expiring
    assert "委员会审核与公示" not in one.html and "待审核积分" not in one.html
    assert json.loads(one.json)["review"]["candidate"]["awards"] == 0

