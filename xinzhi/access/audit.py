"""The audit trail: who wrote what, readable by the committee.

A write request's record is written by the transaction that makes the write, so a crash
leaves either both or neither. The request opens an ``AuditNote`` (``auditing``); the
first write transaction that commits while it is open adds the record
(``record_with_write``, a before-commit hook of every write session). A request that
wrote nothing (refused, failed, or a dry-run) is recorded afterwards, on its own.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from xinzhi.access.models import AuditRead
from xinzhi.clock import utcnow
from xinzhi.db.tables import AuditRecord
from xinzhi.service import Service


@dataclass
class AuditNote:
    """The record one write request will leave; ``actor`` is known once its token is resolved."""

    action: str
    actor: str | None = None
    roles: list[str] = field(default_factory=list)
    community: str | None = None
    detail: dict[str, Any] | None = None
    status: int = 200  # what the request answers if its write commits
    written: bool = False

    def record(self, status: int | None = None) -> AuditRecord:
        """The row; what is too long for a column is cut, never dropped."""
        return AuditRecord(community=_cut(self.community, 64), actor=(self.actor or "?")[:64],
                           roles=sorted(self.roles), action=_cut(self.action, 300),
                           status=self.status if status is None else status, detail=self.detail, created_at=utcnow())


_OPEN: ContextVar[AuditNote | None] = ContextVar("xinzhi_audit_note", default=None)


@contextlib.contextmanager
def auditing(note: AuditNote) -> Iterator[AuditNote]:
    """Open ``note`` for the writes made inside the block (threads started from it included)."""
    token = _OPEN.set(note)
    try:
        yield note
    finally:
        _OPEN.reset(token)


def open_note() -> AuditNote | None:
    """The note of the request being served, if any."""
    return _OPEN.get()


def record_with_write(session: Session) -> None:
    """Before a write commits: add the open note's record to it (once per request)."""
    note = _OPEN.get()
    if note is None or note.written or note.actor is None:
        return
    session.add(note.record())
    event.listen(session, "after_commit", lambda _session: setattr(note, "written", True), once=True)


def record_audit(service: Service, note: AuditNote, *, status: int) -> None:
    """Record a request that wrote nothing, with the status it answered (its own short transaction)."""
    note.written = True  # the before-commit hook must not add it a second time
    with service.db.writing() as session:
        session.add(note.record(status))


def _cut(text: str | None, size: int) -> str | None:
    return text if text is None or len(text) <= size else text[:size - 1] + "…"


def list_audit(service: Service, community: str | None = None, *, actor: str | None = None, offset: int = 0,
               limit: int = 100) -> list[AuditRead]:
    """Audit records, newest first, optionally for one community or actor."""
    with service.db.reading() as session:
        query = select(AuditRecord)
        if community:
            query = query.where(AuditRecord.community == community)
        if actor:
            query = query.where(AuditRecord.actor == actor)
        rows = session.scalars(query.order_by(AuditRecord.seq.desc()).offset(offset).limit(limit))
        return [AuditRead(seq=r.seq, community=r.community, actor=r.actor, roles=list(r.roles), action=r.action,
                          status=r.status, detail=r.detail, created_at=r.created_at) for r in rows]
