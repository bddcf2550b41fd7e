"""What-if simulations as background jobs (issue 5): start one, follow it, read its report.

``POST /communities/{c}/simulations`` names a baseline and a candidate as ruleset refs
(``id@version``) of the community's registry — drafts included, ``extends`` resolved
through the registry — and a source of facts: a scenario (the default one, optionally
resized and reseeded, within bounds) or the facts the community recorded for a period.
The answer is 202 with the job's id and ``Location``; the run happens on the
``simulations.jobs.JobRunner`` thread of this process, whose engines live in worker
processes that end with the run, so the server's memory does not grow.

The rulesets are read from the registry when the job is submitted: a draft changed later
does not change a queued job. Jobs (status and reports) are kept by the API process that
ran them, in ``XINZHI_SIMULATIONS_DIR`` (default: a temporary directory removed at
shutdown), the newest ``MAX_JOBS_KEPT`` finished ones.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
import threading
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import anyio
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field
from xinzhi.engine import MemorySource, Problem
from xinzhi.simulations.jobs import JobRunner, failure
from xinzhi.simulations.population import SCENARIOS
from xinzhi.simulations.replay import ReplayRuleset
from xinzhi.simulations.store_source import parse_period

from xinzhi import registry
from xinzhi.errors import NotFound, ServiceCode, ServiceError
from xinzhi.service import Service

from ..access import CallerDep
from ..deps import CommunityId, ServiceDep

MAX_RESIDENTS = 20_000
MAX_MONTHS = 36
MAX_RESIDENT_MONTHS = 120_000     # e.g. 10,000 residents × 12 months; a run of about a minute on 2 cores
MAX_JOBS_KEPT = 100               # finished jobs kept per process (older ones and their files are dropped)
REF = r"^[A-Za-z0-9_.\-]{1,100}@[0-9]{1,9}$"


# ---------------------------------------------------------------- request and answer

class SourceIn(BaseModel):
    """Where the facts come from: a scenario (synthetic, the default) or the facts recorded in the store."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["scenario", "store"] = "scenario"
    scenario: str = Field(default="yihe_default", pattern=r"^[a-z0-9_]{1,64}$",
                          description="scenario: a scenario file of simulations/scenarios, without .yaml")
    residents: int | None = Field(default=None, ge=1, le=MAX_RESIDENTS, description="scenario: population size")
    months: int | None = Field(default=None, ge=1, le=MAX_MONTHS, description="scenario: length of the period")
    seed: int | None = Field(default=None, ge=0, le=2**53, description="scenario: seed (default: the scenario's)")
    period: str | None = Field(default=None, max_length=32,
                               description="store: 2021, 2021-03, 2021-Q2 or 2021-01-01..2021-06-30")


class SimulationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    baseline: str = Field(pattern=REF, description="the standard in force, e.g. yihe_2021@1")
    candidate: str = Field(pattern=REF, description="the proposed standard (a draft is fine), e.g. yihe_2021@2")
    source: SourceIn = Field(default_factory=SourceIn,
                             description='{"kind": "scenario", …} (the default) or {"kind": "store", "period": …}')
    matcher: Literal["durable-rules", "python"] = "durable-rules"


class SimulationOut(BaseModel):
    id: str
    community: str
    status: Literal["queued", "running", "done", "failed"]
    progress: dict[str, list[int]] = Field(description="side (baseline, candidate) -> [chunks done, chunks]")
    percent: float
    baseline: str
    candidate: str
    source: dict[str, Any]
    matcher: str
    started_by: str
    created_at: dt.datetime
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    error: str | None = None
    problems: list[Problem] = Field(default_factory=list, description="why it failed: the problem items of errors[]")
    links: dict[str, str]


# ---------------------------------------------------------------- jobs

@dataclass(frozen=True)
class RulesetSnapshot:
    """One registry version as read at submission: its YAML and the YAML of its ``extends`` chain."""

    ref: str
    text: str
    parents: dict[str, tuple[str, str]]

    @property
    def file_name(self) -> str:
        return self.ref.replace("@", "-v") + ".yaml"

    def ruleset(self) -> ReplayRuleset:
        """For the replay: the text and its parents in memory (nothing written to disk)."""
        return ReplayRuleset(name=self.file_name, text=self.text, parents=MemorySource(self.parents))


@dataclass
class JobSpec:
    community: str
    baseline: RulesetSnapshot
    candidate: RulesetSnapshot
    source: SourceIn
    matcher: str
    started_by: str
    created_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None


class SimulationJobs(JobRunner):
    """The JobRunner with registry rulesets, store facts, and the job list the API shows."""

    def __init__(self, root: str | Path, service: Service, *, workers: int = 1, owned: bool = False):
        super().__init__(root, concurrent=1)
        self.service = service
        self.workers = workers
        self.owned = owned
        self.specs: dict[str, JobSpec] = {}

    def start(self, spec: JobSpec) -> str:
        job_id = self.submit(spec)  # type: ignore[arg-type]  # _run below takes a JobSpec
        with self._lock:
            self.specs[job_id] = spec
        self._prune()
        return job_id

    def spec(self, community: str, job_id: str) -> JobSpec | None:
        with self._lock:
            spec = self.specs.get(job_id)
        return spec if spec is not None and spec.community == community else None

    def listing(self, community: str) -> list[str]:
        with self._lock:
            jobs = [(s.created_at, i) for i, s in self.specs.items() if s.community == community]
        return [i for _, i in sorted(jobs, reverse=True)]

    def close(self) -> None:
        """Drop queued jobs, let a running one finish (its worker processes end with it), remove owned files."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        if self.owned:
            shutil.rmtree(self.root, ignore_errors=True)

    def _prune(self) -> None:
        with self._lock:
            finished = sorted((self.specs[i].created_at, i) for i, j in self._jobs.items()
                              if j.status in ("done", "failed") and i in self.specs)
            dropped = [i for _, i in finished[:max(0, len(finished) - MAX_JOBS_KEPT)]]
            for job_id in dropped:
                self._jobs.pop(job_id, None)
                self.specs.pop(job_id, None)
        for job_id in dropped:
            shutil.rmtree(self.root / job_id, ignore_errors=True)

    def _run(self, job_id: str, spec: JobSpec) -> None:  # type: ignore[override]
        from xinzhi.simulations.run import scenario_with, simulate, write_outputs

        directory = self.root / job_id
        directory.mkdir(parents=True, exist_ok=True)
        spec.started_at = dt.datetime.now(dt.UTC)
        self._update(job_id, status="running")

        def progress(side: str, done: int, total: int) -> None:
            with self._lock:
                self._jobs[job_id].progress[side] = [done, total]

        def finish(**changes: Any) -> None:
            spec.finished_at = dt.datetime.now(dt.UTC)
            self._update(job_id, **changes)

        try:
            baseline, candidate = spec.baseline.ruleset(), spec.candidate.ruleset()
            options = dict(workers=self.workers, progress=progress, matcher=spec.matcher)
            source = spec.source
            if source.kind == "scenario":
                scenario = scenario_with(SCENARIOS / f"{source.scenario}.yaml", residents=source.residents,
                                         months=source.months)
                outcome = simulate(baseline, candidate, scenario=scenario, seed=source.seed, **options)
            else:
                outcome = simulate(baseline, candidate, from_store=source.period,
                                   community=spec.community, service=self.service, **options)
            write_outputs(outcome, directory)
            finish(status="done")
        except Exception as exc:  # a background job reports, it does not raise
            finish(status="failed", **failure(exc))


_LOCK = threading.Lock()


def _workers() -> int:
    try:
        return max(1, min(int(os.environ.get("XINZHI_SIMULATION_WORKERS", "1")), os.cpu_count() or 1))
    except ValueError:
        return 1


def _runner(app: FastAPI) -> SimulationJobs:
    with _LOCK:
        runner = getattr(app.state, "simulations", None)
        if runner is None:
            configured = os.environ.get("XINZHI_SIMULATIONS_DIR")
            root = Path(configured) if configured else Path(tempfile.mkdtemp(prefix="xinzhi-simulations-"))
            runner = SimulationJobs(root, app.state.service, workers=_workers(), owned=not configured)
            app.state.simulations = runner
        return runner


@asynccontextmanager
async def lifespan(app: FastAPI):
    """At shutdown: drop queued jobs, wait for the running one, remove a temporary job directory."""
    try:
        yield
    finally:
        runner = getattr(app.state, "simulations", None)
        if runner is not None:
            await anyio.to_thread.run_sync(runner.close)
            app.state.simulations = None


router = APIRouter(prefix="/communities/{community}", tags=["simulations"], lifespan=lifespan)


# ---------------------------------------------------------------- helpers

def _invalid(field_name: str, message: str) -> ServiceError:
    return ServiceError(ServiceCode.REQUEST_INVALID, f"{field_name}: {message}",
                        [Problem(code=ServiceCode.REQUEST_INVALID, message=message, path=field_name)],
                        extra={"field": field_name})


def _snapshot(service: Service, community: str, field_name: str, ref: str) -> RulesetSnapshot:
    """The version named by ``ref`` with its parents, as the registry resolves them (404 / 422 naming the field)."""
    ruleset_id, _, version = ref.partition("@")
    try:
        text, parents = registry.ruleset_texts(service, community, ruleset_id, int(version))
    except ServiceError as exc:
        if exc.code not in (ServiceCode.RULESET_NOT_FOUND, ServiceCode.RULESET_INVALID):
            raise
        problems = exc.problems or [Problem(code=exc.code, message=exc.detail, path=field_name)]
        raise type(exc)(exc.code, f"{field_name} ({ref}): {exc.detail}", problems,
                        extra={**exc.extra, "field": field_name}) from None
    return RulesetSnapshot(ref=ref, text=text, parents=parents)


def _check_source(source: SourceIn) -> None:
    """422 naming the field: a store source needs a period, a scenario source must exist and be bounded."""
    if source.kind == "store":
        extra = [name for name in ("residents", "months", "seed") if getattr(source, name) is not None]
        if source.period is None:
            raise _invalid("source.period", "a store source needs a period (2021, 2021-03, 2021-Q2 or a..b)")
        if extra or "scenario" in source.model_fields_set:
            raise _invalid(f"source.{(extra or ['scenario'])[0]}", "only a scenario source takes this")
        try:
            parse_period(source.period)
        except ValueError as exc:
            raise _invalid("source.period", str(exc)) from None
        return
    if source.period is not None:
        raise _invalid("source.period", 'only a store source ("kind": "store") takes a period')
    path = SCENARIOS / f"{source.scenario}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in SCENARIOS.glob("*.yaml")))
        raise _invalid("source.scenario", f"no scenario '{source.scenario}' (known: {known})")
    if source.residents is not None and source.months is not None \
            and source.residents * source.months > MAX_RESIDENT_MONTHS:
        raise _invalid("source.residents", f"{source.residents} residents × {source.months} months is more than "
                                           f"{MAX_RESIDENT_MONTHS:,} resident-months; simulate fewer")


def _view(runner: SimulationJobs, job_id: str, spec: JobSpec) -> SimulationOut:
    job = runner.get(job_id)
    if job is None:
        raise _job_not_found(spec.community, job_id)
    if job.status == "done":
        percent = 100.0
    else:
        total = max((t for _, t in job.progress.values()), default=0)
        percent = round(100 * sum(d for d, _ in job.progress.values()) / (2 * total), 1) if total else 0.0
    base = f"/communities/{spec.community}/simulations/{job_id}"
    return SimulationOut(
        id=job_id, community=spec.community, status=job.status, progress=job.progress, percent=percent,
        baseline=spec.baseline.ref, candidate=spec.candidate.ref,
        source=spec.source.model_dump(exclude_none=True), matcher=spec.matcher, started_by=spec.started_by,
        created_at=spec.created_at, started_at=spec.started_at, finished_at=spec.finished_at,
        error=job.error, problems=job.problems,
        links={"self": base, "report_json": f"{base}/report.json", "report_html": f"{base}/report.html"})


def _job_not_found(community: str, job_id: str) -> NotFound:
    return NotFound(ServiceCode.SIMULATION_NOT_FOUND, f"community '{community}' has no simulation '{job_id}'")


def _finished(request: Request, community: str, job_id: str) -> tuple[SimulationJobs, str]:
    runner = _runner(request.app)
    spec = runner.spec(community, job_id)
    job = runner.get(job_id) if spec is not None else None
    if job is None:
        raise _job_not_found(community, job_id)
    if job.status != "done":
        detail = (f"simulation '{job_id}' failed: {job.error}; GET …/simulations/{job_id} lists its problems"
                  if job.status == "failed" else
                  f"simulation '{job_id}' is {job.status}; its report is not ready (GET …/simulations/{job_id})")
        raise ServiceError(ServiceCode.SIMULATION_NOT_READY, detail, extra={"job_status": job.status})
    return runner, job_id


# ---------------------------------------------------------------- endpoints

@router.post("/simulations", status_code=202)
def start(request: Request, response: Response, service: ServiceDep, community: CommunityId, body: SimulationIn,
          caller: CallerDep) -> SimulationOut:
    """Start a simulation: baseline vs candidate over a scenario or recorded facts; 202 with the job."""
    _check_source(body.source)
    baseline = _snapshot(service, community, "baseline", body.baseline)
    candidate = _snapshot(service, community, "candidate", body.candidate)
    runner = _runner(request.app)
    spec = JobSpec(community=community, baseline=baseline, candidate=candidate, source=body.source,
                   matcher=body.matcher, started_by=caller.actor)
    job_id = runner.start(spec)
    view = _view(runner, job_id, spec)
    response.headers["Location"] = view.links["self"]
    return view


@router.get("/simulations")
def list_simulations(request: Request, service: ServiceDep, community: CommunityId,
                     status: Literal["queued", "running", "done", "failed"] | None = None) -> list[SimulationOut]:
    """This process's simulations of the community, newest first."""
    runner = _runner(request.app)
    views = []
    for job_id in runner.listing(community):
        spec = runner.spec(community, job_id)
        if spec is not None and runner.get(job_id) is not None:
            view = _view(runner, job_id, spec)
            if status is None or view.status == status:
                views.append(view)
    return views


@router.get("/simulations/{job}")
def get_simulation(request: Request, community: CommunityId, job: str) -> SimulationOut:
    """Status and progress (chunks of residents done per side)."""
    runner = _runner(request.app)
    spec = runner.spec(community, job)
    if spec is None:
        raise _job_not_found(community, job)
    return _view(runner, job, spec)


@router.get("/simulations/{job}/report.json", response_class=Response,
            responses={200: {"content": {"application/json": {}}, "description": "the report (report.schema.json)"}})
def report_json(request: Request, community: CommunityId, job: str) -> Response:
    """The comparison report as JSON (schema: simulations/report.schema.json)."""
    runner, job_id = _finished(request, community, job)
    return Response(runner.json_path(job_id).read_bytes(), media_type="application/json")


@router.get("/simulations/{job}/report.html", response_class=HTMLResponse)
def report_html(request: Request, community: CommunityId, job: str) -> HTMLResponse:
    """The report as one self-contained HTML page (inline SVG charts, no scripts, no network)."""
    runner, job_id = _finished(request, community, job)
    return HTMLResponse(runner.html_path(job_id).read_text(encoding="utf-8"))
