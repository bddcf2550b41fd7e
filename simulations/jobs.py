"""What-if simulations as background jobs of one service process (the HTTP layer only maps them).

``start_simulation`` reads both rulesets from the community's registry at once (drafts
included, ``extends`` resolved by the registry), so a draft changed later does not change
a queued job, and queues the run on ``SimulationJobs``' thread. The run starts its own
worker processes, so no durable-rules engine of a draft ever lives in the service process;
its rulesets stay in memory (nothing but the report is written). A failed job records the
same ``Problem`` items a refused request lists (``failure``).

Jobs (status and reports) are kept by the process that ran them, in
``XINZHI_SIMULATIONS_DIR`` (default: a temporary directory removed at shutdown), the
newest ``MAX_JOBS_KEPT`` finished ones.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import tempfile
import threading
import traceback
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypedDict

from pydantic import BaseModel, ConfigDict, Field

from xinzhi import catalogue, registry
from xinzhi.engine import MemorySource, Problem, XinzhiError
from xinzhi.errors import NotFound, ServiceCode, ServiceError
from xinzhi.service import Service

from .population import SCENARIOS
from .recorded import parse_period
from .replay import Progress, ReplayRuleset

log = logging.getLogger("xinzhi.simulations")

MAX_RESIDENTS = 20_000
MAX_MONTHS = 36
MAX_RESIDENT_MONTHS = 120_000     # e.g. 10,000 residents × 12 months; a run of about a minute on 2 cores
MAX_JOBS_KEPT = 100               # finished jobs kept per process (older ones and their files are dropped)
REF = r"^[A-Za-z0-9_.\-]{1,100}@[0-9]{1,9}$"
Status = Literal["queued", "running", "done", "failed"]


class SimulationSource(BaseModel):
    """Where the facts come from: a scenario (synthetic, the default) or the facts the community recorded."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["scenario", "store"] = "scenario"
    scenario: str = Field(default="yihe_default", pattern=r"^[a-z0-9_]{1,64}$",
                          description="scenario: a scenario file of simulations/scenarios, without .yaml")
    residents: int | None = Field(default=None, ge=1, le=MAX_RESIDENTS, description="scenario: population size")
    months: int | None = Field(default=None, ge=1, le=MAX_MONTHS, description="scenario: length of the period")
    seed: int | None = Field(default=None, ge=0, le=2**53, description="scenario: seed (default: the scenario's)")
    period: str | None = Field(default=None, max_length=32,
                               description="store: 2021, 2021-03, 2021-Q2 or 2021-01-01..2021-06-30")


class SimulationCreate(BaseModel):
    """A committee's request: compare a candidate standard with a baseline over a source of facts."""

    model_config = ConfigDict(extra="forbid")
    baseline: str = Field(pattern=REF, description="the standard in force, e.g. yihe_2021@1")
    candidate: str = Field(pattern=REF, description="the proposed standard (a draft is fine), e.g. yihe_2021@2")
    candidate_upstream: int | None = Field(
        default=None, ge=1, le=2**31 - 1,
        description="the candidate as it would be on this newer catalogue version of the parent it extends "
                    "(what adopting it would score; see GET …/rulesets/{id}/versions/{v}/upstream)")
    source: SimulationSource = Field(default_factory=SimulationSource,
                                     description='{"kind": "scenario", …} (the default) or {"kind": "store", '
                                                 '"period": …}')
    matcher: Literal["durable-rules", "python"] = "durable-rules"


class SimulationRead(BaseModel):
    """A job as the API shows it: status, progress, what it compares, and where its report is."""

    id: str
    community: str
    status: Status
    progress: dict[str, list[int]] = Field(description="phase ('replay') -> [parts done, parts]")
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
    problems: list[Problem] = Field(default_factory=list)
    links: dict[str, str]


class _RunOptions(TypedDict):
    """The keyword arguments of ``run.simulate`` that a job passes whatever its source."""

    workers: int
    progress: Progress
    matcher: str


@dataclass(frozen=True)
class RulesetSnapshot:
    """One registry version as read at submission: its YAML and the YAML of its ``extends`` chain."""

    ref: str
    text: str
    parents: dict[str, tuple[str, str]]

    def ruleset(self) -> ReplayRuleset:
        """For the replay: the text and its parents in memory, named as the report shows the file."""
        return ReplayRuleset(name=self.ref.replace("@", "-v") + ".yaml", text=self.text,
                             parents=MemorySource(self.parents))


@dataclass
class _Job:
    id: str
    community: str
    baseline: RulesetSnapshot
    candidate: RulesetSnapshot
    source: SimulationSource
    matcher: str
    started_by: str
    status: Status = "queued"
    progress: dict[str, list[int]] = field(default_factory=dict)
    error: str | None = None
    problems: list[Problem] = field(default_factory=list)
    created_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None

    def read(self) -> SimulationRead:
        if self.status == "done":
            percent = 100.0
        else:
            total = sum(t for _, t in self.progress.values())
            percent = round(100 * sum(d for d, _ in self.progress.values()) / total, 1) if total else 0.0
        base = f"/communities/{self.community}/simulations/{self.id}"
        return SimulationRead(
            id=self.id, community=self.community, status=self.status,
            progress={k: list(v) for k, v in self.progress.items()}, percent=percent, baseline=self.baseline.ref,
            candidate=self.candidate.ref, source=self.source.model_dump(exclude_none=True), matcher=self.matcher,
            started_by=self.started_by, created_at=self.created_at, started_at=self.started_at,
            finished_at=self.finished_at, error=self.error, problems=list(self.problems),
            links={"self": base, "report_json": f"{base}/report.json", "report_html": f"{base}/report.html"})


def failure(exc: Exception) -> dict[str, Any]:
    """How a failed job records why: a short ``error`` and problem items, the same as a request's.

    The engine's problems are kept as they are (code, file, line, path); any other failure
    becomes one ``simulation_failed`` item naming the exception.
    """
    if isinstance(exc, XinzhiError):
        return {"error": "the rulesets or facts have problems", "problems": exc.problems}
    message = "".join(traceback.format_exception_only(exc)).strip()
    return {"error": f"{type(exc).__name__}: {exc}",
            "problems": [Problem(code=ServiceCode.SIMULATION_FAILED, message=message)]}


class SimulationJobs:
    """The jobs of one service process: one run at a time on a background thread."""

    def __init__(self, service: Service):
        settings = service.settings
        self.service = service
        self.workers = min(settings.simulation_workers, os.cpu_count() or 1)
        self.owned = settings.simulations_dir is None
        self.root = Path(settings.simulations_dir or tempfile.mkdtemp(prefix="xinzhi-simulations-"))
        self.root.mkdir(parents=True, exist_ok=True)
        self._jobs: dict[str, _Job] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="simulation")

    def submit(self, job: _Job) -> SimulationRead:
        """Queued behind any running job; returns at once, and drops the oldest finished jobs over ``MAX_JOBS_KEPT``."""
        with self._lock:
            self._jobs[job.id] = job
            view = job.read()
        self._pool.submit(self._run, job)
        self._prune()
        return view

    def get(self, community: str, job_id: str) -> SimulationRead:
        """One job of the community (another community's job looks like no job)."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.community != community:
                raise NotFound(ServiceCode.SIMULATION_NOT_FOUND,
                               f"community '{community}' has no simulation '{job_id}'")
            return job.read()

    def listing(self, community: str, status: Status | None = None) -> list[SimulationRead]:
        """The community's jobs in this process, newest first."""
        with self._lock:
            jobs = sorted((j for j in self._jobs.values() if j.community == community and
                           (status is None or j.status == status)), key=lambda j: j.created_at, reverse=True)
            return [j.read() for j in jobs]

    def report(self, community: str, job_id: str, kind: Literal["json", "html"]) -> Path:
        """The file of a finished job's report (409 while it runs or when it failed)."""
        view = self.get(community, job_id)
        if view.status != "done":
            detail = (f"simulation '{job_id}' failed: {view.error}; GET …/simulations/{job_id} lists its problems"
                      if view.status == "failed" else
                      f"simulation '{job_id}' is {view.status}; its report is not ready (GET …/simulations/{job_id})")
            raise ServiceError(ServiceCode.SIMULATION_NOT_READY, detail, extra={"job_status": view.status})
        return self.root / job_id / f"report.{kind}"

    def close(self) -> None:
        """Drop queued jobs, let a running one finish (its worker processes end with it), remove owned files."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        if self.owned:
            shutil.rmtree(self.root, ignore_errors=True)

    def _prune(self) -> None:
        with self._lock:
            finished = sorted((j.created_at, i) for i, j in self._jobs.items() if j.status in ("done", "failed"))
            dropped = [i for _, i in finished[:max(0, len(finished) - MAX_JOBS_KEPT)]]
            for job_id in dropped:
                self._jobs.pop(job_id, None)
        for job_id in dropped:
            shutil.rmtree(self.root / job_id, ignore_errors=True)

    def _update(self, job: _Job, **changes: Any) -> None:
        with self._lock:
            for key, value in changes.items():
                setattr(job, key, value)

    def _run(self, job: _Job) -> None:
        from .run import scenario_with, simulate, write_outputs

        directory = self.root / job.id
        directory.mkdir(parents=True, exist_ok=True)
        self._update(job, status="running", started_at=dt.datetime.now(dt.UTC))

        def progress(side: str, done: int, total: int) -> None:
            self._update(job, progress={**job.progress, side: [done, total]})

        try:
            baseline, candidate = job.baseline.ruleset(), job.candidate.ruleset()
            options: _RunOptions = {"workers": self.workers, "progress": progress, "matcher": job.matcher}
            source = job.source
            if source.kind == "scenario":
                scenario = scenario_with(SCENARIOS / f"{source.scenario}.yaml", residents=source.residents,
                                         months=source.months)
                outcome = simulate(baseline, candidate, scenario=scenario, seed=source.seed, **options)
            else:
                outcome = simulate(baseline, candidate, recorded=source.period, community=job.community,
                                   service=self.service, **options)
            write_outputs(outcome, directory)
            self._update(job, status="done", finished_at=dt.datetime.now(dt.UTC))
        except Exception as exc:  # a background job reports, it does not raise
            log.warning("simulation %s of %s failed: %s", job.id, job.community, exc)
            self._update(job, status="failed", finished_at=dt.datetime.now(dt.UTC), **failure(exc))


def _invalid(field_name: str, message: str) -> ServiceError:
    return ServiceError(ServiceCode.REQUEST_INVALID, f"{field_name}: {message}",
                        [Problem(code=ServiceCode.REQUEST_INVALID, message=message, path=field_name)],
                        extra={"field": field_name})


def _upstream_snapshot(service: Service, community: str, ref: str, to: int) -> RulesetSnapshot:
    """The candidate moved onto ``parent@to`` (the upstream preview's text), if that text loads."""
    ruleset_id, _, version = ref.partition("@")
    preview = catalogue.upstream_preview(service, community, ruleset_id, int(version), to)
    if preview.yaml is None or preview.problems:
        raise ServiceError(ServiceCode.RULESET_INVALID,
                           f"candidate_upstream: {ref} on {preview.target or to} has problems; fix them in a draft",
                           preview.problems, extra={"field": "candidate_upstream"})
    with service.db.reading() as session:
        parents = registry.registry_loader(session, community).run(preview.yaml, f"{ruleset_id}.yaml",
                                                                   until="resolve").parents
    return RulesetSnapshot(ref=f"{ref}→{preview.target}", text=preview.yaml, parents=dict(parents))


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


def _check_source(source: SimulationSource) -> None:
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


def start_simulation(jobs: SimulationJobs, community: str, data: SimulationCreate, *,
                     actor: str = "system") -> SimulationRead:
    """Check the source, read both rulesets from the registry now, and queue the run."""
    _check_source(data.source)
    baseline = _snapshot(jobs.service, community, "baseline", data.baseline)
    candidate = _snapshot(jobs.service, community, "candidate", data.candidate) if data.candidate_upstream is None \
        else _upstream_snapshot(jobs.service, community, data.candidate, data.candidate_upstream)
    return jobs.submit(_Job(id=uuid.uuid4().hex, community=community, baseline=baseline, candidate=candidate,
                            source=data.source, matcher=data.matcher, started_by=actor))
