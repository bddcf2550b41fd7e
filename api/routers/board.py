"""The public board (公示): readable without a token; masked names, no ids."""

from __future__ import annotations

from fastapi import APIRouter, Query

import store
from store.board import BoardRead

from ..deps import CommunityId, StoreDep

router = APIRouter(prefix="/communities/{community}/board", tags=["board"])


@router.get("")
def board(db: StoreDep, community: CommunityId, zone: str | None = None,
          top: int = Query(default=20, ge=1, le=200)) -> BoardRead:
    """Ranking and tiers by zone with masked names (张*凤), and awards in their publicity period."""
    return store.public_board(db, community, top=top, zone=zone)
