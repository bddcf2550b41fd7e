"""Simulation jobs of a service process: rulesets read from the registry at submission, run in the background."""

from __future__ import annotations

import json
import time

import pytest

from tests.conftest import RULESETS
from tests.support.fixtures import new_community
from xinzhi.errors import ServiceCode, ServiceError
from xinzhi.registry import upload_ruleset
from xinzhi.simulations.jobs import SimulationCreate, SimulationJobs, start_simulation
from xinzhi.simulations.population import SCENARIOS
from xinzhi.simulations.run import scenario_with, simulate

YIHE = (RULESETS / "yihe_2021.yaml").read_text(encoding="utf-8")
DONGSHAN = (RULESETS / "dongshan_2022.yaml").read_text(encoding="utf-8")


def wait(jobs: SimulationJobs, community: str, job_id: str, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        view = jobs.get(community, job_id)
        if view.status in ("done", "failed"):
            return view
        time.sleep(0.1)
    raise AssertionError("job did not finish")


@pytest.fixture
def jobs(service):
    runner = SimulationJobs(service)
    yield runner
    runner.close()


def test_a_job_compares_registry_versions_in_the_background(jobs, service):
    community = new_community(service, residents=0, ruleset=YIHE)
    upload_ruleset(service, community, DONGSHAN)  # a draft extending the published standard
    request = SimulationCreate(baseline="yihe_2021@1", candidate="dongshan_2022@1",
                               source={"kind": "scenario", "residents": 30, "months": 1, "seed": 3})
    view = start_simulation(jobs, community, request, actor="tester")
    assert view.status in ("queued", "running", "done") and view.started_by == "tester"
    done = wait(jobs, community, view.id)
    assert done.status == "done", done.problems
    assert done.progress["replay"][0] == done.progress["replay"][1] >= 1
    report = json.loads(jobs.report(community, view.id, "json").read_text(encoding="utf-8"))
    assert report["candidate"]["lineage"] == ["dongshan_2022@1", "yihe_2021@1"]
    assert "<svg" in jobs.report(community, view.id, "html").read_text(encoding="utf-8")
    assert sorted(p.name for p in (jobs.root / view.id).iterdir()) == ["report.html", "report.json",
                                                                       "report.schema.json"]
    assert [v.id for v in jobs.listing(community)] == [view.id]
    with pytest.raises(ServiceError) as other:
        jobs.get("another-community", view.id)
    assert other.value.code == ServiceCode.SIMULATION_NOT_FOUND


def test_a_job_that_fails_records_problem_items_and_has_no_report(jobs, service, monkeypatch):
    community = new_community(service, residents=0)
    request = SimulationCreate(baseline="civic@1", candidate="civic@1",
                               source={"kind": "scenario", "residents": 5, "months": 1})

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("xinzhi.simulations.run.simulate", broken)
    view = start_simulation(jobs, community, request)
    failed = wait(jobs, community, view.id)
    assert failed.status == "failed" and failed.problems[0].code == ServiceCode.SIMULATION_FAILED
    assert "disk full" in failed.problems[0].message
    with pytest.raises(ServiceError) as not_ready:
        jobs.report(community, view.id, "json")
    assert not_ready.value.code == ServiceCode.SIMULATION_NOT_READY


def test_an_unknown_version_is_refused_naming_the_field(jobs, service):
    community = new_community(service, residents=0)
    with pytest.raises(ServiceError) as refused:
        start_simulation(jobs, community, SimulationCreate(baseline="civic@1", candidate="civic@9"))
    assert refused.value.code == ServiceCode.RULESET_NOT_FOUND and refused.value.extra["field"] == "candidate"
    assert jobs.listing(community) == []


def test_the_same_run_directly_gives_the_same_totals(jobs, service):
    community = new_community(service, residents=0, ruleset=YIHE)
    upload_ruleset(service, community, DONGSHAN)
    request = SimulationCreate(baseline="yihe_2021@1", candidate="dongshan_2022@1",
                               source={"kind": "scenario", "residents": 20, "months": 1, "seed": 5})
    view = wait(jobs, community, start_simulation(jobs, community, request).id)
    assert view.status == "done", view.problems
    via_job = json.loads(jobs.report(community, view.id, "json").read_text(encoding="utf-8"))
    direct = simulate(RULESETS / "yihe_2021.yaml", RULESETS / "dongshan_2022.yaml",
                      scenario=scenario_with(SCENARIOS / "yihe_default.yaml", residents=20, months=1), seed=5)
    assert json.loads(direct.json)["totals"] == via_job["totals"]
