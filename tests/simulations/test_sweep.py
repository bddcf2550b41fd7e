"""Parameter sweeps: one draft and one comparison row per value."""

from __future__ import annotations

import json

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
