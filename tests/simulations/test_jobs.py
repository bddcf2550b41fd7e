"""Simulations as background jobs (what an API endpoint wraps)."""

from __future__ import annotations

import json
import time

from xinzhi.simulations.jobs import JobRunner, RulesetInput, SimulationRequest
from xinzhi.simulations.run import simulate

from tests.conftest import RULESETS
from tests.simulations.conftest import YIHE, small_scenario


def wait(runner: JobRunner, job_id: str, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = runner.get(job_id)
        if job.status in ("done", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError("job did not finish")


def test_a_job_runs_in_the_background_and_serves_json_and_html(tmp_path):
    runner = JobRunner(tmp_path)
    draft = (RULESETS / "dongshan_2022.yaml").read_text(encoding="utf-8")
    request = SimulationRequest(baseline=RulesetInput(path=str(YIHE)), candidate=RulesetInput(text=draft),
                                residents=60, months=2, seed=3, rulesets_dirs=[str(RULESETS)])
    job_id = runner.submit(request)
    assert runner.get(job_id).status in ("queued", "running", "done")
    job = wait(runner, job_id)
    assert job.status == "done", job.problems
    assert job.progress["baseline"][0] == job.progress["baseline"][1] >= 1
    report = json.loads(runner.json_path(job_id).read_text(encoding="utf-8"))
    assert report["candidate"]["ref"] == "dongshan_2022@1"
    assert "<svg" in runner.html_path(job_id).read_text(encoding="utf-8")
    assert not list((tmp_path / job_id).glob("*.yaml"))  # the draft text went to the replay in memory
    direct = simulate(YIHE, RULESETS / "dongshan_2022.yaml", scenario=small_scenario(residents=60, months=2), seed=3)
    assert json.loads(direct.json)["totals"] == report["totals"]


def test_a_broken_draft_fails_the_job_with_its_problems(tmp_path):
    runner = JobRunner(tmp_path)
    job_id = runner.submit(SimulationRequest(baseline=RulesetInput(path=str(YIHE)),
                                             candidate=RulesetInput(text="id: x\nversion: one\n"), residents=10))
    job = wait(runner, job_id)
    assert job.status == "failed" and job.problems
    assert all(p.code.startswith("ruleset_") and p.file.endswith("candidate.yaml") for p in job.problems)
    runner.shutdown()


def test_any_other_failure_is_recorded_as_a_problem_item(tmp_path):
    runner = JobRunner(tmp_path)
    job_id = runner.submit(SimulationRequest(baseline=RulesetInput(path=str(tmp_path / "missing.yaml")),
                                             candidate=RulesetInput(path=str(YIHE)), residents=10))
    job = wait(runner, job_id)
    assert job.status == "failed" and [p.code for p in job.problems] == ["simulation_failed"]
    assert "missing.yaml" in job.problems[0].message
    runner.shutdown()
