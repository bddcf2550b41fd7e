"""The store's side of what-if jobs: every read and every guarded change of a ``simulation_jobs`` row.

A runner changes only the job it holds (``update_running`` matches its runner and the
``running`` status), so a job that another process has meanwhile ended as orphaned, or a
cancelled one, is never written over; two runners claiming at once get one job each.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import aliased, defer

from xinzhi.clock import utcnow
from xinzhi.communities.service import require_community
from xinzhi.db.tables import SimulationJob
from xinzhi.errors import NotFound, ServiceCode, ServiceError
from xinzhi.messages import Message
from xinzhi.service import Service

FINISHED = ("done", "failed", "cancelled")


@dataclass(frozen=True)
class Job:
    """A job's row, its reports only when asked for (they are the big part)."""

    id: str
    community: str
    status: str
    baseline: str
    candidate: str
    matcher: str
    request: dict[str, Any]
    started_by: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    runner: str | None
    heartbeat_at: dt.datetime | None
    cancel_requested: bool
    progress: dict[str, Any]
    error: str | None
    problems: list[Any]
    report_json: str | None = None
    report_html: str | None = None


_REPORTS = ("report_json", "report_html")


def _job(row: SimulationJob, reports: bool = False) -> Job:
    return Job(**{f.name: getattr(row, f.name) for f in fields(Job) if reports or f.name not in _REPORTS})


def add_job(service: Service, *, most_waiting: int, **values: Any) -> Job:
    """A new queued job (``values``: the row's columns but status and times).

    A community has at most ``most_waiting`` jobs queued or running (429 ``simulations_busy``):
    300 submissions in a second had queued hours of work ahead of every other community's.
    """
    row = SimulationJob(status="queued", cancel_requested=False, progress={}, problems=[], created_at=utcnow(),
                        **values)
    with service.db.writing() as session:
        waiting = session.scalar(select(func.count()).select_from(SimulationJob).where(
            SimulationJob.community == row.community, SimulationJob.status.in_(("queued", "running")))) or 0
        if waiting >= most_waiting:
            raise ServiceError(ServiceCode.SIMULATIONS_BUSY, Message.of("simulations_busy", waiting=waiting))
        session.add(row)
        session.flush()
        return _job(row)


def find_job(service: Service, community: str, job_id: str, *, reports: bool = False) -> Job:
    """One job of the community (404 for another community's job, as for none)."""
    with service.db.reading() as session:
        row = _row(session, community, job_id)
        return _job(row, reports)


def community_jobs(service: Service, community: str, status: str | None = None) -> list[Job]:
    """The community's jobs, newest first, without their reports."""
    query = select(SimulationJob).options(*(defer(getattr(SimulationJob, c)) for c in _REPORTS)) \
        .where(SimulationJob.community == community)
    if status is not None:
        query = query.where(SimulationJob.status == status)
    with service.db.reading() as session:
        return [_job(row) for row in session.scalars(query.order_by(SimulationJob.created_at.desc(),
                                                                    SimulationJob.id))]


def request_cancel(service: Service, community: str, job_id: str) -> Job:
    """A queued job ends cancelled now; a running one is asked to stop (409 when it has ended)."""
    with service.db.writing() as session:
        row = _row(session, community, job_id)
        if row.status in FINISHED:
            raise ServiceError(ServiceCode.SIMULATION_FINISHED,
                               Message.of("simulation_ended", job=job_id, status=Message.of(f"job_{row.status}")),
                               extra={"job_status": row.status})
        row.cancel_requested = True
        if row.status == "queued":
            row.status, row.finished_at = "cancelled", utcnow()
        session.flush()
        return _job(row)


def claim_next(service: Service, runner: str) -> Job | None:
    """The next queued job, now ``runner``'s; looked for in a read, so an idle runner takes no write lock.

    Communities take turns: the oldest job of the community whose last job started longest ago
    (or never), so that one committee's queue never holds up another's.
    """
    served = aliased(SimulationJob)
    last_started = select(func.max(served.started_at)).where(served.community == SimulationJob.community) \
        .scalar_subquery()
    with service.db.reading() as session:
        job_id = session.scalars(select(SimulationJob.id).where(SimulationJob.status == "queued").order_by(
            last_started.is_not(None), last_started, SimulationJob.created_at, SimulationJob.id).limit(1)).first()
    if job_id is None:
        return None
    now = utcnow()
    with service.db.writing() as session:
        taken = session.execute(update(SimulationJob).where(
            SimulationJob.id == job_id, SimulationJob.status == "queued").values(
            status="running", runner=runner, started_at=now, heartbeat_at=now, progress={})
            .returning(SimulationJob.id)).first()
        if taken is None:  # another runner was first
            return None
        row = session.get(SimulationJob, job_id)
        assert row is not None
        return _job(row)


def update_running(service: Service, job_id: str, holder: str, **values: Any) -> bool:
    """Change the running job ``holder`` runs; False when it no longer does (cancelled, or ended as orphaned).

    ``values`` may give the job back to the queue (``runner=None``).
    """
    with service.db.writing() as session:
        changed = session.execute(update(SimulationJob).where(
            SimulationJob.id == job_id, SimulationJob.runner == holder,
            SimulationJob.status == "running").values(**values).returning(SimulationJob.id)).first()
        return changed is not None


def heartbeat(service: Service, job_id: str, holder: str) -> bool | None:
    """Say ``holder``'s running job is alive; whether a cancel was asked for (None: the job is no longer its)."""
    with service.db.writing() as session:
        asked = session.execute(update(SimulationJob).where(
            SimulationJob.id == job_id, SimulationJob.runner == holder, SimulationJob.status == "running")
            .values(heartbeat_at=utcnow()).returning(SimulationJob.cancel_requested)).first()
        return None if asked is None else bool(asked[0])


def running_jobs(service: Service) -> list[tuple[str, str | None, dt.datetime | None]]:
    """Every running job: its id, runner and last heartbeat."""
    with service.db.reading() as session:
        return [tuple(r) for r in session.execute(  # type: ignore[misc]
            select(SimulationJob.id, SimulationJob.runner, SimulationJob.heartbeat_at)
            .where(SimulationJob.status == "running")).all()]


def end_orphan(service: Service, job_id: str, heartbeat: dt.datetime | None, error: str,
               problems: list[Any]) -> None:
    """A running job whose process stopped ends failed, unless it beat since ``heartbeat`` was read."""
    with service.db.writing() as session:
        session.execute(update(SimulationJob).where(
            SimulationJob.id == job_id, SimulationJob.status == "running",
            SimulationJob.heartbeat_at == heartbeat).values(
            status="failed", finished_at=utcnow(), error=error, problems=problems))


def prune_finished(service: Service, community: str, keep: int) -> None:
    """Only the newest ``keep`` finished jobs of the community stay."""
    with service.db.writing() as session:
        old = session.scalars(select(SimulationJob.id).where(
            SimulationJob.community == community, SimulationJob.status.in_(FINISHED))
            .order_by(SimulationJob.created_at.desc(), SimulationJob.id).offset(keep)).all()
        for job_id in old:
            row = session.get(SimulationJob, job_id)
            if row is not None:
                session.delete(row)


def _row(session, community: str, job_id: str) -> SimulationJob:
    """The community's job (``community_not_found`` first, as every other path of an unknown community)."""
    require_community(session, community)
    row = session.get(SimulationJob, job_id) if len(job_id) <= 32 else None
    if row is None or row.community != community:
        raise NotFound(ServiceCode.SIMULATION_NOT_FOUND, Message.of("no_simulation", community=community, job=job_id))
    return row
