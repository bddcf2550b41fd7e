"""Simulation jobs: rulesets read from the registry at submission, rows of the store, run by a process's runner."""

from __future__ import annotations

import datetime as dt
import json
import socket
import time
import uuid

import pytest
from sqlalchemy import select, update

from tests.conftest import RULESETS
from tests.support.fixtures import new_community
from xinzhi import jobs as jobs_store
from xinzhi.clock import utcnow
from xinzhi.db.tables import SimulationJob
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
        if view.status in ("done", "failed", "cancelled"):
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
    report = json.loads(jobs.report(community, view.id, "json"))
    assert report["candidate"]["lineage"] == ["dongshan_2022@1", "yihe_2021@1"]
    assert "<svg" in jobs.report(community, view.id, "html")
    assert [v.id for v in jobs.listing(community)] == [view.id]
    with pytest.raises(ServiceError) as other:
        jobs.get(new_community(service, residents=0), view.id)  # another community's job looks like no job
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


def test_the_bulk_path_is_refused_at_submission_for_a_standard_it_cannot_score(jobs, service):
    community = new_community(service, residents=0, ruleset=YIHE)
    upload_ruleset(service, community, "id: rolling\nversion: 1\ntitle: 滚动窗口\ncommunity: 亿和社区\n"
                                      "effective_from: 2021-01-01\nextends: yihe_2021@1\noverrides:\n"
                                      "  - rule: volunteer_hours\n    limits: [{days: 30, max: 40}]\n")
    request = SimulationCreate(baseline="yihe_2021@1", candidate="rolling@1", matcher="polars-bulk",
                               source={"kind": "scenario", "residents": 20, "months": 1})
    with pytest.raises(ServiceError) as refused:
        start_simulation(jobs, community, request)
    assert refused.value.code == ServiceCode.REQUEST_INVALID and refused.value.extra["field"] == "matcher"
    assert "volunteer_hours" in refused.value.detail and "30 days" in refused.value.detail
    assert jobs.listing(community) == []


def test_how_many_residents_a_job_may_draw_is_a_setting(jobs, service, monkeypatch):
    community = new_community(service, residents=0)
    city = {"kind": "scenario", "residents": 50_000, "months": 1}
    with pytest.raises(ServiceError) as refused:
        start_simulation(jobs, community, SimulationCreate(baseline="civic@1", candidate="civic@1", source=city))
    assert refused.value.extra["field"] == "source.residents" and "XINZHI_SIMULATION_MAX_RESIDENTS" in \
        refused.value.detail
    monkeypatch.setattr(service, "settings", service.settings.model_copy(update={"simulation_max_residents": 50_000}))
    with pytest.raises(ServiceError) as too_long:
        start_simulation(jobs, community, SimulationCreate(baseline="civic@1", candidate="civic@1",
                                                           source={**city, "months": 3}))
    assert "XINZHI_SIMULATION_MAX_RESIDENT_MONTHS" in too_long.value.detail
    view = start_simulation(jobs, community, SimulationCreate(baseline="civic@1", candidate="civic@1", source=city))
    jobs.cancel(community, view.id)
    assert wait(jobs, community, view.id).status == "cancelled"


def test_the_same_run_directly_gives_the_same_totals(jobs, service):
    community = new_community(service, residents=0, ruleset=YIHE)
    upload_ruleset(service, community, DONGSHAN)
    request = SimulationCreate(baseline="yihe_2021@1", candidate="dongshan_2022@1",
                               source={"kind": "scenario", "residents": 20, "months": 1, "seed": 5})
    view = wait(jobs, community, start_simulation(jobs, community, request).id)
    assert view.status == "done", view.problems
    via_job = json.loads(jobs.report(community, view.id, "json"))
    direct = simulate(RULESETS / "yihe_2021.yaml", RULESETS / "dongshan_2022.yaml",
                      scenario=scenario_with(SCENARIOS / "yihe_default.yaml", residents=20, months=1), seed=5)
    assert json.loads(direct.json)["totals"] == via_job["totals"]


LONG = {"kind": "scenario", "residents": 3000, "months": 12, "seed": 2}  # a run of many seconds: time to cancel


def test_a_queued_job_is_cancelled_at_once_and_a_running_one_within_seconds(jobs, service):
    community = new_community(service, residents=0, ruleset=YIHE)
    running = start_simulation(jobs, community, SimulationCreate(baseline="yihe_2021@1", candidate="yihe_2021@1",
                                                                 source=LONG))
    queued = start_simulation(jobs, community, SimulationCreate(baseline="yihe_2021@1", candidate="yihe_2021@1",
                                                                source=LONG))
    assert jobs.cancel(community, queued.id).status == "cancelled"  # one runner: it waited behind the first
    deadline = time.monotonic() + 60
    while jobs.get(community, running.id).status != "running" and time.monotonic() < deadline:
        time.sleep(0.1)
    asked = jobs.cancel(community, running.id)
    assert asked.status == "running" and asked.cancel_requested
    started = time.monotonic()
    ended = wait(jobs, community, running.id)
    assert ended.status == "cancelled" and time.monotonic() - started < 15
    for job_id in (running.id, queued.id):
        with pytest.raises(ServiceError) as again:
            jobs.cancel(community, job_id)
        assert again.value.code == ServiceCode.SIMULATION_FINISHED and again.value.extra["job_status"] == "cancelled"
        with pytest.raises(ServiceError) as no_report:
            jobs.report(community, job_id, "json")
        assert no_report.value.code == ServiceCode.SIMULATION_NOT_READY


def test_a_stopping_process_puts_its_job_back_and_the_next_one_finishes_it(service):
    community = new_community(service, residents=0, ruleset=YIHE)
    first = SimulationJobs(service)
    view = start_simulation(first, community, SimulationCreate(  # a few seconds: stopped while it runs
        baseline="yihe_2021@1", candidate="yihe_2021@1", source={"kind": "scenario", "residents": 1000, "months": 12}))
    deadline = time.monotonic() + 60
    while first.get(community, view.id).status != "running" and time.monotonic() < deadline:
        time.sleep(0.05)
    first.close()
    assert first.get(community, view.id).status == "queued"
    second = SimulationJobs(service)
    try:
        assert wait(second, community, view.id, timeout=300).status == "done"
    finally:
        second.close()


def test_a_job_whose_process_died_ends_failed_never_lost(jobs, service):
    """kill -9 leaves a running row: a dead pid on this host ends it at once, a stale heartbeat elsewhere."""
    community = new_community(service, residents=0)
    now = utcnow()
    with service.db.writing() as session:
        for job_id, runner, beat in (("deadhere", f"{socket.gethostname()}:999999999", now),
                                     ("silent", "elsewhere:42", now - dt.timedelta(minutes=5)),
                                     ("alive", "elsewhere:43", now)):
            session.add(SimulationJob(id=job_id, community=community, status="running", baseline="civic@1",
                                      candidate="civic@1", matcher="durable-rules", started_by="tester",
                                      request={"source": {"kind": "scenario"}}, runner=runner, heartbeat_at=beat,
                                      cancel_requested=False, progress={}, problems=[], created_at=now))
    restarted = SimulationJobs(service)
    try:
        with service.db.reading() as session:
            status = dict(session.execute(select(SimulationJob.id, SimulationJob.status)
                                          .where(SimulationJob.community == community)).all())
        assert status == {"deadhere": "failed", "silent": "failed", "alive": "running"}
        failed = restarted.get(community, "deadhere")
        assert "stopped before it finished" in failed.error and failed.problems[0].code == ServiceCode.SIMULATION_FAILED
    finally:
        restarted.close()


def queue(service, community: str, *, most_waiting: int = 10):
    """A job queued straight into the store (no runner: the test decides when one is claimed)."""
    return jobs_store.add_job(service, id=uuid.uuid4().hex, community=community, baseline="a@1", candidate="a@2",
                              matcher="durable-rules", started_by="tester", request={}, most_waiting=most_waiting)


def nothing_queued(service) -> None:
    """Other tests' jobs left queued in the shared store are ended, so that a claim takes this test's."""
    with service.db.writing() as session:
        session.execute(update(SimulationJob).where(SimulationJob.status == "queued").values(status="cancelled"))


def test_a_community_has_a_few_jobs_waiting_at_most_and_a_refused_one_is_not_stored(service):
    community = new_community(service, residents=0)
    nothing_queued(service)
    first, second = queue(service, community, most_waiting=2), queue(service, community, most_waiting=2)
    with pytest.raises(ServiceError) as busy:
        queue(service, community, most_waiting=2)
    assert busy.value.code == ServiceCode.SIMULATIONS_BUSY
    assert busy.value.message.render("zh") == "本社区已有 2 次模拟在排队或运行：请等它们完成（或取消一些）再提交"
    assert {job.id for job in jobs_store.community_jobs(service, community)} == {first.id, second.id}
    claimed = jobs_store.claim_next(service, "elsewhere:1")
    assert claimed is not None and claimed.id == first.id  # running still waits for its result: still counted
    with pytest.raises(ServiceError):
        queue(service, community, most_waiting=2)
    jobs_store.request_cancel(service, community, second.id)  # a cancelled one no longer does
    assert queue(service, community, most_waiting=2).status == "queued"


def test_communities_take_turns_in_the_queue(service):
    busy, quiet = new_community(service, residents=0), new_community(service, residents=0)
    nothing_queued(service)
    early = [queue(service, busy) for _ in range(3)]
    late = queue(service, quiet)
    taken = [jobs_store.claim_next(service, "here:1") for _ in range(4)]
    # the busy community's oldest, then the quiet one's (never served), then the busy one's others
    assert [job.id for job in taken if job is not None] == [early[0].id, late.id, early[1].id, early[2].id]
