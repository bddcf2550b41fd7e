"""Parameter sweeps: one draft and one comparison row per value."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import RULESETS
from tests.simulations.conftest import YIHE, small_scenario
from xinzhi.engine import DirectorySource, load_ruleset
from xinzhi.simulations.population import generate_facts, generate_population
from xinzhi.simulations.sweep import SweepSpec, draft_text, parse_sweep, run_sweep


def test_parse_sweep():
    assert parse_sweep("owners_meeting_attendance.award=1..5") == SweepSpec(
        "owners_meeting_attendance", "award", None, (1, 2, 3, 4, 5))
    assert parse_sweep("community_activity_join.limit.month=5..20:5").values == (5, 10, 15, 20)
    assert parse_sweep("volunteer_hours.award=1,3").values == (1, 3)
    for bad in ("x.award=a..b", "x.limit=1..3", "x.bonus=1", "x.limit.month=0..2", "x.award=5..1"):
        with pytest.raises(ValueError):
            parse_sweep(bad)


def test_drafts_change_only_the_swept_parameter():
    from xinzhi.engine import load_ruleset_file
    yihe = load_ruleset_file(YIHE)
    draft = load_ruleset(draft_text(yihe, parse_sweep("volunteer_hours.limit.month=60"), 60),
                         parents=DirectorySource(RULESETS))
    rule = next(r for r in draft.rules if r.id == "volunteer_hours")
    assert [(lim.period, lim.max) for lim in rule.limits] == [("day", 16), ("month", 60)]
    assert rule.award == next(r for r in yihe.rules if r.id == "volunteer_hours").award
    others = [r.model_dump() for r in draft.rules if r.id != "volunteer_hours"]
    assert others == [r.model_dump() for r in yihe.rules if r.id != "volunteer_hours"]
    with pytest.raises(ValueError, match="table"):
        draft_text(yihe, parse_sweep("garbage_sorting_check.award=1..2"), 1)
    with pytest.raises(ValueError, match="no rule"):
        draft_text(yihe, parse_sweep("nope.award=1"), 1)


def test_award_sweep_gives_one_row_per_value(tmp_path):
    scenario = small_scenario(residents=80, months=2)
    sweep = run_sweep(YIHE, parse_sweep("owners_meeting_attendance.award=1..3"), tmp_path, scenario=scenario,
                      seed=8, workers=1)
    meetings = [f for f in generate_facts(generate_population(scenario, 8)) if f["type"] == "owners_meeting"]
    assert [r.value for r in sweep.rows] == [1, 2, 3]
    assert [r.rule_points for r in sweep.rows] == [len(meetings) * v for v in (1, 2, 3)]
    assert [r.delta_points_net for r in sweep.rows] == [len(meetings) * (v - 2) for v in (1, 2, 3)]
    assert len({r.rule_residents_reached for r in sweep.rows}) == 1
    saved = json.loads((tmp_path / "sweep.json").read_text(encoding="utf-8"))
    assert saved["kind"] == "xinzhi.sweep" and len(saved["rows"]) == 3
    html = (tmp_path / "sweep.html").read_text(encoding="utf-8")
    assert html.count("<svg") >= 3 and "参数扫描" in html
    assert (tmp_path / "value_2" / "report.json").exists() and len(list((tmp_path / "drafts").glob("*.yaml"))) == 3


def test_a_small_change_is_drawn_on_an_axis_that_fits_it_and_says_it_does_not_start_at_0():
    """Net points 1,000 → 1,040 (+4%): the axis runs 980–1,060 in steps of 20, the two points half the plot apart."""
    from xinzhi.simulations.html_report import fitted_axis, lines
    from xinzhi.simulations.sweep import SweepReport, SweepRow, render_sweep_html

    assert fitted_axis([1000, 1040]) == (980, 1060, 20)
    assert fitted_axis([0, 3]) == (0, 4, 1)        # a count keeps its axis at 0 and above
    assert fitted_axis([-3, -1]) == (-4, 0, 1)     # a gap below 0 stays below
    assert fitted_axis([7, 7]) == (6.5, 7.5, 0.5)  # one value: an axis around it
    assert fitted_axis([0, 0]) == (0, 0.5, 0.5)    # nothing at all (found by attack: a division by zero)
    chart = lines("净发放积分", ["1", "2"], [("候选", "#000", [1000, 1040])])
    assert "纵轴从 980 起，不从 0 起" in chart and ">1,060</text>" in chart
    heights = [float(y) for y in re.findall(r'<circle cx="[\d.]+" cy="([\d.]+)"', chart)]
    assert heights[0] - heights[1] == pytest.approx((300 - 40 - 55) / 2, abs=0.2)  # each drawn to 0.1
    assert "纵轴从" not in lines("分区差", ["1", "2"], [("候选", "#000", [-3, -1])])  # its axis holds 0
    tiny = lines("分区差", ["1", "2"], [("候选", "#000", [0.1234, 0.1236])])  # a gap moving by 0.0002
    assert "纵轴从 0.1233 起，不从 0 起" in tiny and ">0.1237</text>" in tiny

    rows = [SweepRow(value=v, candidate=f"c@{v}", points_net=net, delta_points_net=net - 1000, rule_points=net - 900,
                     rule_residents_reached=50, rule_limit_bound=0, gainers=5, losers=0, zone_gap=gap,
                     outstanding_points=net, outstanding_yuan=None)
            for v, net, gap in ((1, 1000, -2.5), (2, 1040, -1.5))]
    html = render_sweep_html(SweepReport(matcher="durable-rules", baseline="yihe_2021@1", baseline_title="亿和标准",
                                         parameter="x.award", rule_title="出席", baseline_points_net=1000,
                                         baseline_zone_gap=-2.0, rows=rows))
    assert html.count("纵轴从") == 2  # net points and liability; reach (50 and 0) holds 0
    assert "纵轴到 -1.0 为止，不含 0" in html  # the gap, −2.5 to −1.5
    assert "已加" not in html and "基线：亿和标准（yihe_2021@1）" in html
