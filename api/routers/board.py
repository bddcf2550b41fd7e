"""The public board (公示): readable without a token; masked names, no ids."""

from __future__ import annotations

from fastapi import APIRouter, Query

from xinzhi import review
from xinzhi.review import BoardRead

from ..bodies import StrictJsonRoute
from ..deps import CommunityId, ServiceDep

router = APIRouter(prefix="/communities/{community}/board", tags=["board"], route_class=StrictJsonRoute)


@router.get("")
def board(service: ServiceDep, community: CommunityId, zone: str | None = None,
          top: int = Query(default=20, ge=1, le=200)) -> BoardRead:
    """Ranking and tiers by zone with masked names (张*凤), and awards in their publicity period."""
    return review.public_board(service, community, top=top, zone=zone)
