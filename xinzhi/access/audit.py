"""The audit trail: who wrote what, readable by the committee."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from xinzhi.access.models import AuditRead
from xinzhi.clock import utcnow
from xinzhi.db.tables import AuditRecord
from xinzhi.service import Service


def record_audit(service: Service, *, actor: str, roles: list[str], action: str, status: int,
                 community: str | None = None, detail: dict[str, Any] | None = None) -> None:
    """Append one audit record (its own short transaction); what is too long for a column is cut, never dropped."""
    with service.db.writing() as session:
        session.add(AuditRecord(community=_cut(community, 64), actor=actor[:64], roles=sorted(roles),
                                action=_cut(action, 300), status=status, detail=detail, created_at=utcnow()))


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
