"""Appeals (申诉): the committee reverses or corrects a ledger entry, or adjusts accounts."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

import store
from store.appeals import AppealCreate, AppealRead

from ..access import CallerDep
from ..deps import CommunityId, StoreDep

router = APIRouter(prefix="/communities/{community}/appeals", tags=["appeals"])


@router.post("", status_code=201)
def file_appeal(db: StoreDep, community: CommunityId, caller: CallerDep, body: AppealCreate) -> AppealRead:
    """Reverse, correct or adjust, with a reason; the original entry stays."""
    return store.file_appeal(db, community, body, actor=caller.actor)


@router.get("")
def list_appeals(db: StoreDep, community: CommunityId, resident: str | None = None) -> list[dict[str, Any]]:
    """Appeals decided, newest first."""
    return store.list_appeals(db, community, resident=resident)
