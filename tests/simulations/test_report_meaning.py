"""A what-if report a committee can act on: what it could not measure, colours by meaning, limits in words."""

from __future__ import annotations

import json
import re

import pytest

from tests.simulations.conftest import YIHE, small_scenario, write_draft
from xinzhi.simulations.html_report import DOWN, UP
from xinzhi.simulations.run import simulate

NEW_RULE = """\
fact_types:
  - {id: tree_planting, title: 义务植树}
rules:
  - {id: tree_planting, title: 义务植树, category: environment, fact: tree_planting, award: {points: 10}}
overrides:
  - rule: owners_meeting_attendance
    award: {points: 5}
"""


@pytest.fixture(scope="module")
def outcome(tmp_path_factory):
    draft = write_draft(tmp_path_factory.mktemp("drafts"), "trees", NEW_RULE)
    return simulate(YIHE, draft, scenario=small_scenario(residents=150, months=3), seed=3, workers=1)


def test_a_new_rule_no_fact_reached_is_a_warning_not_a_zero(outcome):
    report = json.loads(outcome.json)
    warned = {u["rule_id"]: u for u in report["unexercised"]}
    assert warned["tree_planting"]["side"] == "candidate" and warned["tree_planting"]["fact_type"] == "tree_planting"
    assert "不是 0" in warned["tree_planting"]["message"]
    rule = next(r for r in report["rules"] if r["rule_id"] == "tree_planting")
    assert (rule["status"], rule["candidate"]["awards"]) == ("added", 0)  # what the committee would read as free
    assert warned["tree_planting"]["fact_type_title"] == "义务植树"
    assert "义务植树（事实类型「义务植树」；仅候选有此规则）" in outcome.html  # titles, not ids
    assert "owners_meeting_attendance" not in warned  # a rule the scenario does reach is not listed


def delta_colour(html: str, title: str) -> str:
    row = re.search(rf"<td>{re.escape(title)}</td>.*?</tr>", html, re.S)
    assert row, title
    return re.findall(r'color:(#[0-9a-f]{3,6})', row.group(0))[-1]


def test_a_rising_liability_is_red_and_a_rising_cost_is_never_green(outcome):
    report = json.loads(outcome.json)
    totals = {t["metric"]: t for t in report["totals"]}
    assert totals["points_outstanding"]["rise_is"] == "bad" and totals["points_outstanding"]["delta"] > 0
    assert delta_colour(outcome.html, "未兑换积分（负债）") == DOWN
    assert totals["points_net"]["rise_is"] == "neutral"
    assert delta_colour(outcome.html, "净发放积分") not in (UP, DOWN)


def test_limits_and_yuan_are_said_in_words(outcome):
    report = json.loads(outcome.json)
    titles = [limit["title"] for limit in report["limits"]]
    assert titles and all("上限" in t and ":" not in t for t in titles)
    assert any(t.startswith("类别「") or t.startswith("规则「") for t in titles)
    basis = report["liability"]["yuan_basis"]
    assert basis and "元/分" in basis and str(report["liability"]["yuan_per_point"]) in basis
    assert "元/分估算" in outcome.html


def test_a_changed_period_rule_is_in_the_rules_table_and_the_rules_add_up_to_the_total(tmp_path):
    """Found by use: period rules (streaks) were left out of the per-rule table, so raising one was attributed to
    nothing ("变化来自：无") while the report said the rules' changes add up to the total."""
    text = YIHE.read_text(encoding="utf-8")
    assert text.count("    streak: 12\n    award: 10\n") == 1
    candidate = tmp_path / "streak.yaml"
    candidate.write_text(text.replace("version: 1", "version: 9", 1).replace(
        "    streak: 12\n    award: 10\n", "    streak: 12\n    award: 20\n"), encoding="utf-8")
    report = json.loads(simulate(YIHE, candidate, scenario=small_scenario(residents=120, months=12), seed=5,
                                 workers=1).json)
    net = next(t for t in report["totals"] if t["metric"] == "points_net")
    assert net["delta"] > 0
    assert sum(r["delta_net"] for r in report["rules"]) == net["delta"]
    assert sum(r["baseline"]["net"] for r in report["rules"]) == net["baseline"]
    assert report["attribution"]["causes"] == ["twelve_months_without_violations"]
