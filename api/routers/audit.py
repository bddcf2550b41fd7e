"""The audit trail: who wrote what (committee only)."""

from __future__ import annotations

from fastapi import APIRouter

import store
from store.audit import AuditRead

from ..access import CallerDep
from ..deps import Limit, Offset, StoreDep

router = APIRouter(tags=["audit"])


@router.get("/audit")
def audit(db: StoreDep, caller: CallerDep, community: str | None = None, actor: str | None = None, offset: Offset = 0,
          limit: Limit = 100) -> list[AuditRead]:
    """Write requests, newest first: actor (token id), roles, method and path, status."""
    community = caller.community or community  # a token for one community sees only its records
    return store.list_audit(db, community, actor=actor, offset=offset, limit=limit)
