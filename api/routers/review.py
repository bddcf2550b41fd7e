"""Committee review of awards and objections to publicized awards."""

from __future__ import annotations

from fastapi import APIRouter

import store
from store.review import ObjectionCreate, ObjectionRead, ObjectionResolve, ReviewDecision, ReviewRead

from ..access import CallerDep
from ..deps import CommunityId, StoreDep

router = APIRouter(prefix="/communities/{community}", tags=["review"])


@router.get("/reviews")
def list_reviews(db: StoreDep, community: CommunityId, status: str | None = None,
                 resident: str | None = None) -> list[ReviewRead]:
    """Awards of rules under committee review: pending (held) or decided."""
    return store.list_reviews(db, community, status=status, resident=resident)


@router.post("/reviews/{notice}")
def decide(db: StoreDep, community: CommunityId, caller: CallerDep, notice: int, body: ReviewDecision) -> ReviewRead:
    """Approve (released, then publicized) or reject (stays held) a pending award."""
    return store.decide_review(db, community, notice, body, actor=caller.actor)


@router.post("/objections", status_code=201)
def object_to(db: StoreDep, community: CommunityId, caller: CallerDep, body: ObjectionCreate) -> ObjectionRead:
    """Object to an award on the public board during its publicity period."""
    return store.file_objection(db, community, body, filed_by=caller.resident or caller.actor)


@router.get("/objections")
def list_objections(db: StoreDep, community: CommunityId, status: str | None = None) -> list[ObjectionRead]:
    """Objections filed."""
    return store.list_objections(db, community, status=status)


@router.post("/objections/{objection}")
def resolve(db: StoreDep, community: CommunityId, caller: CallerDep, objection: int,
            body: ObjectionResolve) -> ObjectionRead:
    """Upheld: the award is reversed by a new entry; dismissed: it stays."""
    return store.resolve_objection(db, community, objection, body, actor=caller.actor)
