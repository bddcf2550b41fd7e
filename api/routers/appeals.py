"""Appeals (申诉): the committee reverses or corrects a ledger entry, or adjusts accounts."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from xinzhi import review
from xinzhi.review import AppealCreate, AppealRead

from ..access import CallerDep
from ..bodies import StrictJsonRoute
from ..deps import CommunityId, ServiceDep

router = APIRouter(prefix="/communities/{community}/appeals", tags=["appeals"], route_class=StrictJsonRoute)


@router.post("", status_code=201)
def file_appeal(service: ServiceDep, community: CommunityId, caller: CallerDep, body: AppealCreate) -> AppealRead:
    """Reverse, correct or adjust, with a reason; the original entry stays."""
    return review.file_appeal(service, community, body, actor=caller.actor)


@router.get("")
def list_appeals(service: ServiceDep, community: CommunityId, resident: str | None = None) -> list[dict[str, Any]]:
    """Appeals decided, newest first."""
    return review.list_appeals(service, community, resident=resident)
