"""The audit trail: who wrote what (committee only)."""

from __future__ import annotations

from fastapi import APIRouter

from xinzhi import access
from xinzhi.access import AuditRead

from ..access import CallerDep
from ..bodies import StrictJsonRoute
from ..deps import Limit, Offset, ServiceDep

router = APIRouter(tags=["audit"], route_class=StrictJsonRoute)


@router.get("/audit")
def audit(service: ServiceDep, caller: CallerDep, community: str | None = None, actor: str | None = None,
          offset: Offset = 0, limit: Limit = 100) -> list[AuditRead]:
    """Write requests, newest first: actor (token id), roles, method and path, status."""
    community = caller.community or community  # a token for one community sees only its records
    return access.list_audit(service, community, actor=actor, offset=offset, limit=limit)
