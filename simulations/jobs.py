"""What-if simulations as background jobs: rows in the store, run by whichever service process claims them.

``start_simulation`` reads both rulesets from the community's registry at once (drafts
included, ``extends`` resolved by the registry), so a draft changed later does not change a
queued job, and stores the job. Every service process runs one job at a time: its runner
thread claims the oldest queued job of the store, runs it in worker processes (or on the
Dask cluster of ``XINZHI_SIMULATION_SCHEDULER``), writes its progress and a heartbeat as it
goes, and stores the report in the job's row. So any process answers for any job (status,
progress, report, cancel), and a job is never lost: a process that stops gracefully puts its
running job back in the queue, and one that dies leaves a heartbeat that goes stale, after
which its job ends failed. A failed job records the same ``Problem`` items a refused request
lists (``failure``).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
import traceback
import uuid
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from xinzhi import catalogue, jobs, registry
from xinzhi.clock import utcnow
from xinzhi.counts import Whole
from xinzhi.engine import MemorySource, Problem, XinzhiError
from xinzhi.engine.errors import Refusal
from xinzhi.errors import ServiceCode, ServiceError
from xinzhi.messages import Message
from xinzhi.service import Service
from xinzhi.settings import Settings

from .population import MAX_RESIDENTS, SCENARIOS, load_scenario
from .recorded import parse_period
from .replay import ReplayRuleset
from .shards import Cancelled, refuse_unsupported

log = logging.getLogger("xinzhi.simulations")

MAX_MONTHS = 36
MAX_JOBS_KEPT = 100               # finished jobs kept per community (older ones are deleted)
HEARTBEAT = dt.timedelta(seconds=2)  # how often a running job says it is alive (and looks for a cancel)
STALE = dt.timedelta(seconds=30)     # a running job silent this long lost its process: it ends failed
REF = r"^[A-Za-z0-9_.\-]{1,100}@[0-9]{1,9}$"
Status = Literal["queued", "running", "done", "failed", "cancelled"]


class SimulationSource(BaseModel):
    """Where the facts come from: a scenario (synthetic, the default) or the facts the community recorded."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["scenario", "store"] = "scenario"
    scenario: str = Field(default="yihe_default", pattern=r"^[a-z0-9_]{1,64}$",
                          description="scenario: a scenario file of simulations/scenarios, without .yaml")
    residents: Whole | None = Field(default=None, ge=1, le=MAX_RESIDENTS, description="scenario: population size")
    months: Whole | None = Field(default=None, ge=1, le=MAX_MONTHS, description="scenario: length of the period")
    seed: Whole | None = Field(default=None, ge=0, le=2**53, description="scenario: seed (default: the scenario's)")
    period: str | None = Field(default=None, max_length=32,
                               description="store: 2021, 2021-03, 2021-Q2 or 2021-01-01..2021-06-30")


class SimulationCreate(BaseModel):
    """A committee's request: compare a candidate standard with a baseline over a source of facts."""

    model_config = ConfigDict(extra="forbid")
    baseline: str = Field(pattern=REF, description="the standard in force, e.g. yihe_2021@1")
    candidate: str = Field(pattern=REF, description="the proposed standard (a draft is fine), e.g. yihe_2021@2")
    candidate_upstream: Whole | None = Field(
        default=None, ge=1, le=2**31 - 1,
        description="the candidate as it would be on this newer catalogue version of the parent it extends "
                    "(what adopting it would score; see GET …/rulesets/{id}/versions/{v}/upstream)")
    source: SimulationSource = Field(default_factory=SimulationSource,
                                     description='{"kind": "scenario", …} (the default) or {"kind": "store", '
                                                 '"period": …}')
    matcher: Literal["durable-rules", "python", "polars-bulk"] = Field(
        default="durable-rules", description="durable-rules (the matcher of record), python, or polars-bulk: "
                                             "the columnar evaluator for a city, refused (422) for a standard it "
                                             "cannot score")


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
    cancel_requested: bool = Field(default=False, description="a cancel was asked for; the run stops at its next "
                                                              "part")
    links: dict[str, str]


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

    def stored(self) -> dict[str, Any]:
        """As JSON for the job's row (read back by ``of``)."""
        return {"ref": self.ref, "text": self.text, "parents": {k: list(v) for k, v in self.parents.items()}}

    @classmethod
    def of(cls, stored: dict[str, Any]) -> RulesetSnapshot:
        """A snapshot as ``stored`` keeps it in the job's row."""
        return cls(ref=stored["ref"], text=stored["text"],
                   parents={k: (v[0], v[1]) for k, v in stored["parents"].items()})


def read(row: jobs.Job) -> SimulationRead:
    """A job as the API shows it."""
    progress = {k: list(v) for k, v in (row.progress or {}).items()}
    total = sum(t for _, t in progress.values())
    percent = 100.0 if row.status == "done" else \
        round(100 * sum(d for d, _ in progress.values()) / total, 1) if total else 0.0
    base = f"/communities/{row.community}/simulations/{row.id}"
    return SimulationRead(
        id=row.id, community=row.community, status=row.status, progress=progress, percent=percent,
        baseline=row.baseline, candidate=row.candidate, source=row.request["source"], matcher=row.matcher,
        started_by=row.started_by, created_at=row.created_at, started_at=row.started_at,
        finished_at=row.finished_at, error=row.error, problems=[Problem.model_validate(p) for p in row.problems],
        cancel_requested=row.cancel_requested,
        links={"self": base, "report_json": f"{base}/report.json", "report_html": f"{base}/report.html",
               "cancel": f"{base}/cancel"})


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
    """The store's jobs as this process sees them, and its runner: one job at a time, claimed from the queue."""

    def __init__(self, service: Service):
        settings = service.settings
        self.service = service
        self.workers = min(settings.simulation_workers, os.cpu_count() or 1)
        self.scheduler = settings.simulation_scheduler
        self.runner = f"{socket.gethostname()}:{os.getpid()}"
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._end_orphans()
        self._thread = threading.Thread(target=self._loop, name="simulations", daemon=True)
        self._thread.start()

    def submit(self, community: str, snapshots: tuple[RulesetSnapshot, RulesetSnapshot], source: SimulationSource,
               matcher: str, actor: str) -> SimulationRead:
        """Queued for the first runner free (this process's or another's); returns at once."""
        stored = source.model_dump(exclude_none=True, exclude={"scenario"} if source.kind == "store" else set())
        job = jobs.add_job(self.service, id=uuid.uuid4().hex, community=community, baseline=snapshots[0].ref,
                           candidate=snapshots[1].ref, matcher=matcher, started_by=actor,
                           most_waiting=self.service.settings.simulation_max_waiting,
                           request={"source": stored,
                                    "baseline": snapshots[0].stored(), "candidate": snapshots[1].stored()})
        self._wake.set()
        jobs.prune_finished(self.service, community, MAX_JOBS_KEPT)
        return read(job)

    def get(self, community: str, job_id: str) -> SimulationRead:
        """One job of the community (another community's job looks like no job)."""
        return read(jobs.find_job(self.service, community, job_id))

    def listing(self, community: str, status: Status | None = None) -> list[SimulationRead]:
        """The community's jobs, newest first."""
        return [read(job) for job in jobs.community_jobs(self.service, community, status)]

    def report(self, community: str, job_id: str, kind: Literal["json", "html"]) -> str:
        """A finished job's report (409 while it waits or runs, or when it failed or was cancelled)."""
        job = jobs.find_job(self.service, community, job_id, reports=True)
        if job.status != "done":
            detail = (Message.of("simulation_failed_report", job=job_id, error=job.error) if job.status == "failed"
                      else Message.of("simulation_cancelled_report", job=job_id) if job.status == "cancelled"
                      else Message.of("simulation_waiting_report", job=job_id, status=Message.of(f"job_{job.status}")))
            raise ServiceError(ServiceCode.SIMULATION_NOT_READY, detail, extra={"job_status": job.status})
        text = job.report_json if kind == "json" else job.report_html
        assert text is not None, "a done job has its reports"
        return text

    def cancel(self, community: str, job_id: str) -> SimulationRead:
        """A queued job ends cancelled at once; a running one when its runner next looks (within ``HEARTBEAT``)."""
        return read(jobs.request_cancel(self.service, community, job_id))

    def close(self) -> None:
        """Stop the runner: a job it is running goes back to the queue, for this process's successor or another."""
        self._stopping.set()
        self._wake.set()
        self._thread.join()

    def _end_orphans(self) -> None:
        """Running jobs whose process stopped end failed: a dead pid on this host at once, elsewhere when stale."""
        host = self.runner.split(":")[0]
        now = utcnow()
        for job_id, runner, beat in jobs.running_jobs(self.service):
            runner_host, _, pid = (runner or ":").rpartition(":")
            dead_here = runner_host == host and pid.isdigit() and not _alive(int(pid))
            if dead_here or beat is None or now - beat > STALE:
                error = f"the process running it ({runner}) stopped before it finished; start it again"
                jobs.end_orphan(self.service, job_id, beat, error,
                                [Problem(code=ServiceCode.SIMULATION_FAILED, message=error).model_dump()])

    def _loop(self) -> None:
        next_sweep = 0.0
        while not self._stopping.is_set():
            job = jobs.claim_next(self.service, self.runner)
            if job is not None:
                self._run(job)
                continue
            self._wake.wait(1.0)
            self._wake.clear()
            if time.monotonic() >= next_sweep:
                self._end_orphans()
                next_sweep = time.monotonic() + STALE.total_seconds() / 3

    def _set(self, job_id: str, **values: Any) -> bool:
        return jobs.update_running(self.service, job_id, self.runner, **values)

    def _run(self, job: jobs.Job) -> None:
        from .run import scenario_with, simulate

        stop = threading.Event()
        beating = threading.Thread(target=self._heartbeat, args=(job.id, stop), daemon=True)
        beating.start()

        def progress(phase: str, done: int, total: int) -> None:
            self._set(job.id, progress={phase: [done, total]}, heartbeat_at=utcnow())

        try:
            baseline, candidate = (RulesetSnapshot.of(job.request[side]).ruleset()
                                   for side in ("baseline", "candidate"))
            source = SimulationSource.model_validate(job.request["source"])
            options: dict[str, Any] = {"workers": self.workers, "progress": progress, "matcher": job.matcher,
                                       "scheduler": self.scheduler,
                                       "cancelled": lambda: stop.is_set() or self._stopping.is_set()}
            if source.kind == "scenario":
                scenario = scenario_with(SCENARIOS / f"{source.scenario}.yaml", residents=source.residents,
                                         months=source.months)
                outcome = simulate(baseline, candidate, scenario=scenario, seed=source.seed, **options)
            else:
                outcome = simulate(baseline, candidate, recorded=source.period, community=job.community,
                                   service=self.service, **options)
            self._set(job.id, status="done", finished_at=utcnow(), report_json=outcome.json, report_html=outcome.html)
        except Cancelled:
            if self._stopping.is_set():  # this process stops: the job waits for the next runner
                self._set(job.id, status="queued", runner=None, started_at=None, heartbeat_at=None, progress={})
            else:
                self._set(job.id, status="cancelled", finished_at=utcnow())
        except Exception as exc:  # a background job reports, it does not raise
            log.warning("simulation %s of %s failed: %s", job.id, job.community, exc)
            found = failure(exc)
            self._set(job.id, status="failed", finished_at=utcnow(), error=found["error"],
                      problems=[p.model_dump() for p in found["problems"]])
        finally:
            stop.set()
            beating.join()

    def _heartbeat(self, job_id: str, stop: threading.Event) -> None:
        """While the job runs: say it is alive, and turn a cancel asked for in the store (or a stop) into ``stop``."""
        while not stop.wait(HEARTBEAT.total_seconds()):
            asked = jobs.heartbeat(self.service, job_id, self.runner)  # None: no longer this runner's
            if asked is not False or self._stopping.is_set():
                stop.set()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _invalid(field_name: str, key: str, **params: Any) -> ServiceError:
    """A refusal of one field of the request, said in the reader's language (``xinzhi.messages``)."""
    refused = ServiceError.at(ServiceCode.REQUEST_INVALID, field_name, key, **params)
    refused.extra["field"] = field_name
    return refused


def _upstream_snapshot(service: Service, community: str, ref: str, to: int) -> RulesetSnapshot:
    """The candidate moved onto ``parent@to`` (the upstream preview's text), if that text loads."""
    ruleset_id, _, version = ref.partition("@")
    preview = catalogue.upstream_preview(service, community, ruleset_id, int(version), to)
    if preview.yaml is None or preview.problems:
        problems = preview.problems or [Problem(  # found by attack: a standard extending nothing said nothing
            code=ServiceCode.RULESET_INVALID, path="candidate_upstream", says="upstream_none",
            params={"ref": ref}, message=f"{ref} extends no standard of the catalogue: no upstream to move onto")]
        detail = Message.of("upstream_problems", ref=ref, target=preview.target or to) if preview.problems \
            else Message.of("upstream_none", ref=ref)
        raise ServiceError(ServiceCode.RULESET_INVALID, detail, problems, extra={"field": "candidate_upstream"})
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
        said = {"says": exc.message.key, "params": exc.message.params} if exc.message else {}  # in the reader's words
        problems = exc.problems or [Problem(code=exc.code, message=exc.detail, path=field_name, **said)]
        raise type(exc)(exc.code, f"{field_name} ({ref}): {exc.detail}", problems,
                        extra={**exc.extra, "field": field_name}) from None
    return RulesetSnapshot(ref=ref, text=text, parents=parents)


def _check_source(source: SimulationSource, settings: Settings) -> None:
    """422 naming the field: a store source needs a period, a scenario source must exist and be within the settings.

    A scenario's size and length are its file's where the request leaves them out, so the
    bounds hold for the run as it will be (found by attack: 20,000 residents without ``months``
    ran the scenario's 12, twice the resident-months allowed).
    """
    if source.kind == "store":
        extra = [name for name in ("residents", "months", "seed") if getattr(source, name) is not None]
        if source.period is None:
            raise _invalid("source.period", "store_needs_period")
        if extra or "scenario" in source.model_fields_set:
            raise _invalid(f"source.{(extra or ['scenario'])[0]}", "scenario_only")
        try:
            parse_period(source.period)
        except Refusal as exc:
            raise _invalid("source.period", exc.says, **exc.params) from None
        return
    if source.period is not None:
        raise _invalid("source.period", "store_only_period")
    path = SCENARIOS / f"{source.scenario}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in SCENARIOS.glob("*.yaml")))
        raise _invalid("source.scenario", "no_scenario", scenario=source.scenario, known=known)
    scenario = load_scenario(path)
    residents, months = source.residents or scenario.residents, source.months or scenario.period.months
    if residents > settings.simulation_max_residents:
        raise _invalid("source.residents", "too_many_simulated", residents=f"{residents:,}",
                       most=f"{settings.simulation_max_residents:,}")
    if residents * months > settings.simulation_max_resident_months:
        raise _invalid("source.residents" if source.residents else "source.months", "too_many_resident_months",
                       residents=f"{residents:,}", months=months, most=f"{settings.simulation_max_resident_months:,}")


def start_simulation(runner: SimulationJobs, community: str, data: SimulationCreate, *,
                     actor: str = "system") -> SimulationRead:
    """Check the source, read both rulesets from the registry now, and queue the run."""
    _check_source(data.source, runner.service.settings)
    baseline = _snapshot(runner.service, community, "baseline", data.baseline)
    candidate = _snapshot(runner.service, community, "candidate", data.candidate) if data.candidate_upstream is None \
        else _upstream_snapshot(runner.service, community, data.candidate, data.candidate_upstream)
    if data.matcher == "polars-bulk":
        from .bulk import BulkUnsupported  # Polars, loaded only where the bulk path is chosen
        try:
            refuse_unsupported(baseline.ruleset(), candidate.ruleset())
        except BulkUnsupported as exc:
            raise _invalid("matcher", "bulk_unsupported", n=len(exc.reasons), why=str(exc)) from None
    return runner.submit(community, (baseline, candidate), data.source, data.matcher, actor)
