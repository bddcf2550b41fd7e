"""What-if runs end to end: determinism, attribution, zone gap, outputs, CLI."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from tests.conftest import ROOT, RULESETS
from tests.simulations.conftest import YIHE, small_scenario, write_draft
from xinzhi.cli.main import main as simulate_main
from xinzhi.engine import ErrorCode
from xinzhi.simulations.bulk import BulkUnsupported
from xinzhi.simulations.population import SCENARIOS, generate_facts, generate_population, load_scenario
from xinzhi.simulations.report import SimulationReport
from xinzhi.simulations.run import simulate

DONGSHAN = RULESETS / "dongshan_2022.yaml"
RAISE = """overrides:
  - rule: owners_meeting_attendance
    award: {points: 5}
    note: 候选：出席业委会议事由 2 分提高到 5 分
"""


def test_same_seed_byte_identical_json_for_any_worker_count_and_chunking():
    scenario = small_scenario(residents=120, months=3)
    one = simulate(YIHE, DONGSHAN, scenario=scenario, seed=9, workers=1)
    two = simulate(YIHE, DONGSHAN, scenario=scenario, seed=9, workers=2, chunk_size=17)
    assert one.json == two.json
    assert one.html == two.html
    other = simulate(YIHE, DONGSHAN, scenario=scenario, seed=10, workers=1)
    assert other.json != one.json
    data = json.loads(one.json)
    assert SimulationReport.model_validate(data).model_dump_json(indent=2) + "\n" == one.json
    assert "workers" not in one.json and str(ROOT) not in one.json


@pytest.fixture(scope="module")
def raised(tmp_path_factory):
    """Only south-zone residents go to owners' meetings; the candidate raises that rule's award 2 → 5."""
    scenario = small_scenario(residents=180, months=4, owners_meeting={"north": 0.0, "south": 2.0})
    draft = write_draft(tmp_path_factory.mktemp("drafts"), "owners_raise", RAISE)
    outcome = simulate(YIHE, draft, scenario=scenario, seed=4, workers=2, chunk_size=40)
    population = generate_population(scenario, 4)
    meetings = [f for f in generate_facts(population) if f["type"] == "owners_meeting"]
    return outcome.report, population, meetings


def test_raising_one_award_shows_exactly_that_rule_as_the_cause(raised):
    report, population, meetings = raised
    n = len(meetings)  # computed from the stream, not by the engine: attendance has no limit
    assert n > 5
    rules = {r.rule_id: r for r in report.rules}
    rule = rules["owners_meeting_attendance"]
    assert (rule.baseline.net, rule.candidate.net, rule.delta_net) == (2 * n, 5 * n, 3 * n)
    assert rule.status == "changed" and rule.share_of_change == 1.0
    assert rule.baseline.residents_reached == rule.candidate.residents_reached == len({f["resident"] for f in meetings})
    assert report.attribution.causes == ["owners_meeting_attendance"]
    assert report.attribution.changed_rules == ["owners_meeting_attendance"]
    assert report.attribution.total_delta == 3 * n
    assert all(r.delta_net == 0 for r in report.rules if r.rule_id != "owners_meeting_attendance")
    totals = {t.metric: t for t in report.totals}
    assert totals["points_earned"].delta == 3 * n and totals["index_net"].delta == 3 * n
    assert totals["points_deducted"].delta == 0
    attending = Counter(f["resident"] for f in meetings)
    gains = {p.resident: p.delta_points for p in report.residents.top_gainers}
    assert gains and all(gains[rid] == 3 * attending[rid] for rid in gains)
    assert report.residents.distribution.gainers == len(attending)
    assert report.residents.distribution.losers == 0
    assert all(p.main_rule == "owners_meeting_attendance" for p in report.residents.top_gainers)


def test_a_rule_favouring_one_zone_shows_the_zone_gap(raised):
    report, population, meetings = raised
    n = len(meetings)
    zones = {r.id: r.zone for r in population.residents}
    assert {zones[f["resident"]] for f in meetings} == {"south"}
    rule = next(r for r in report.rules if r.rule_id == "owners_meeting_attendance")
    assert rule.by_zone == {"north": 0, "south": 3 * n}
    groups = {(g.dimension, g.id): g for g in report.fairness.groups}
    north, south = groups[("zone", "north")], groups[("zone", "south")]
    assert north.delta_total == 0 and south.delta_total == 3 * n
    assert south.delta_mean == pytest.approx(3 * n / south.residents, abs=1e-3)
    gap = report.fairness.zone_gap
    assert (gap.first, gap.second) == ("north", "south")
    assert gap.change == pytest.approx(-3 * n / south.residents, abs=1e-3)
    assert gap.candidate_mean_gap < gap.baseline_mean_gap
    assert south.candidate.share > south.baseline.share


def test_report_sections_are_consistent():
    outcome = simulate(YIHE, DONGSHAN, scenario=small_scenario(residents=150, months=3), seed=1, workers=1)
    report = outcome.report
    totals = {t.metric: t for t in report.totals}
    assert sum(r.delta_net for r in report.rules) == report.attribution.total_delta == totals["points_net"].delta
    assert report.attribution.changed_rules == ["garbage_sorting_check", "competition_podium", "volunteer_hours",
                                                "elderly_visit", "elderly_visits_5", "elderly_visits_8",
                                                "donation_100", "donation_500", "donation_1000", "fire_veto",
                                                "charity_fund"]
    statuses = {r.rule_id: r.status for r in report.rules}
    assert statuses["competition_podium"] == "disabled" and statuses["elderly_visit"] == "added"
    assert sum(report.tiers.baseline_counts) == sum(report.tiers.candidate_counts) == report.source.residents
    assert report.tiers.moved_up + report.tiers.moved_down + report.tiers.unchanged == report.source.residents
    liab = report.liability
    assert liab.baseline.outstanding_points == liab.monthly[-1].baseline_outstanding
    assert liab.candidate.outstanding_points == totals["points_outstanding"].candidate
    assert liab.yuan_per_point and liab.candidate.outstanding_yuan > 0
    assert sum(m.baseline_redeemed for m in liab.monthly) == liab.baseline.points_redeemed > 0
    assert any(lim.limit.startswith("rule:") and lim.baseline > 0 for lim in report.limits)
    assert report.matcher == "durable-rules"


def test_html_is_self_contained_with_svg_charts_and_chinese():
    outcome = simulate(YIHE, DONGSHAN, scenario=small_scenario(residents=120, months=2), seed=2, workers=1)
    html = outcome.html
    assert html.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in html
    assert html.count("<svg") >= 6 and html.count("<rect") > 50 and "<polyline" in html
    for text in ("规则变更模拟报告", "北区", "南区", "诚信等级迁移", "信用超市负债", "垃圾分类检查合格"):
        assert text in html
    lowered = html.lower()
    assert "<script" not in lowered and "src=" not in lowered and "<link" not in lowered
    assert "http://" not in lowered.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in lowered


def test_cli_writes_json_schema_and_html(tmp_path, capsys):
    out = tmp_path / "out"
    code = simulate_main(["simulate", "--baseline", str(YIHE), "--candidate", str(DONGSHAN), "--scenario",
                          "--residents", "80", "--months", "2", "--seed", "3", "--workers", "2", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "[####" in captured.err and "16/16" in captured.err  # the progress bar: eight parts a worker
    assert "garbage_sorting_check" in captured.out
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    schema = json.loads((out / "report.schema.json").read_text(encoding="utf-8"))
    assert report["kind"] == "xinzhi.simulation" and schema["title"] == "SimulationReport"
    assert set(schema["required"]) <= set(report)
    assert (out / "report.html").read_text(encoding="utf-8").count("<svg") >= 6


def test_cli_replays_a_facts_file(tmp_path, capsys):
    out = tmp_path / "out"
    code = simulate_main(["simulate", "--baseline", str(YIHE), "--candidate", str(DONGSHAN),
                          "--facts", str(ROOT / "samples" / "facts.jsonl"), "--workers", "1", "--out", str(out),
                          "--quiet"])
    assert code == 0, capsys.readouterr().err
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["source"]["kind"] == "facts" and report["source"]["residents"] > 0
    assert report["liability"]["yuan_per_point"] is None


def test_cli_reports_a_broken_candidate_and_exits_1(tmp_path, capsys):
    draft = write_draft(tmp_path, "broken", "overrides:\n  - rule: no_such_rule\n    award: {points: 1}\n")
    code = simulate_main(["simulate", "--baseline", str(YIHE), "--candidate", str(draft), "--scenario",
                          "--residents", "20", "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 1 and "broken.yaml" in err
    assert not (tmp_path / "out").exists()


def test_facts_the_candidate_does_not_know_are_counted_not_fatal(tmp_path):
    facts = tmp_path / "facts.jsonl"
    lines = [{"id": "e1", "type": "elderly_visit", "resident": "r1", "occurred_at": "2022-03-01T10:00:00",
              "fields": {"minutes": 45}},
             {"id": "g1", "type": "garbage_check", "resident": "r1", "occurred_at": "2022-03-02T10:00:00",
              "fields": {"result": "excellent"}}]
    facts.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    report = simulate(DONGSHAN, YIHE, facts=facts, workers=1).report
    assert report.rejected_facts["candidate"] == {f"elderly_visit: {ErrorCode.FACT_UNKNOWN_TYPE.value}": 1}
    assert report.rejected_facts["baseline"] == {}
    rules = {r.rule_id: r for r in report.rules}
    assert rules["elderly_visit"].baseline.net == 3 and rules["elderly_visit"].candidate.net == 0
    assert rules["garbage_sorting_check"].delta_net == -1


def test_python_matcher_gives_the_same_report_and_says_so():
    scenario = small_scenario(residents=120, months=3)
    durable = simulate(YIHE, DONGSHAN, scenario=scenario, seed=5, workers=1)
    python = simulate(YIHE, DONGSHAN, scenario=scenario, seed=5, workers=1, matcher="python")
    assert json.loads(durable.json)["matcher"] == "durable-rules"
    assert json.loads(python.json)["matcher"] == "python"
    assert python.json.replace('"matcher": "python"', '"matcher": "durable-rules"') == durable.json


def test_the_bulk_path_gives_the_same_report_and_says_so(tmp_path):
    """A village what-if (a changed deed award) through Polars and through durable-rules: one report but its name."""
    scenario = load_scenario(SCENARIOS / "xishan_village.yaml").model_copy(update={"residents": 150})
    village = RULESETS / "xishan_2024.yaml"
    candidate = tmp_path / "candidate.yaml"
    candidate.write_text(village.read_text(encoding="utf-8").replace("version: 1", "version: 2").replace(
        "fact: deed, award: {points: 5}", "fact: deed, award: {points: 7}"), encoding="utf-8")
    durable = simulate(village, candidate, scenario=scenario, seed=3, workers=1)
    bulk = simulate(village, candidate, scenario=scenario, seed=3, workers=2, matcher="polars-bulk")
    assert json.loads(bulk.json)["matcher"] == "polars-bulk"
    unchanged = simulate(village, village, scenario=scenario, seed=3)
    assert json.loads(durable.json)["totals"] != json.loads(unchanged.json)["totals"]
    assert bulk.json.replace('"matcher": "polars-bulk"', '"matcher": "durable-rules"') == durable.json


def test_the_bulk_path_gives_what_durable_rules_gives_thresholds_included(tmp_path):
    """Yihe and a draft paying its yearly volunteering award at 10 hours, not 50 (reached by many)."""
    draft = write_draft(tmp_path, "ten_hours", """overrides:
  - rule: volunteer_50_hours_year
    reaches: {period: year, sum: hours, at_least: 10}
""")
    scenario = small_scenario(residents=150, months=6)
    durable = simulate(YIHE, draft, scenario=scenario, seed=5, workers=1)
    bulk = simulate(YIHE, draft, scenario=scenario, seed=5, workers=1, matcher="polars-bulk")
    reached = {r["rule_id"]: r["candidate"]["awards"] for r in json.loads(durable.json)["rules"]}
    assert reached["volunteer_50_hours_year"] >= 10
    assert bulk.json.replace('"matcher": "polars-bulk"', '"matcher": "durable-rules"') == durable.json


def test_the_bulk_path_refuses_a_standard_it_cannot_score_before_any_worker_starts(tmp_path):
    draft = write_draft(tmp_path, "rolling", """overrides:
  - rule: volunteer_hours
    limits: [{days: 30, max: 40}]
""")
    with pytest.raises(BulkUnsupported) as refused:
        simulate(YIHE, draft, scenario=small_scenario(residents=20, months=1), seed=1, matcher="polars-bulk")
    assert any("volunteer_hours" in reason and "rolling" in reason for reason in refused.value.reasons)


def test_the_published_report_schema_is_current():
    from xinzhi.simulations.report import schema_json
    assert (ROOT / "simulations" / "report.schema.json").read_text(encoding="utf-8") == schema_json()
