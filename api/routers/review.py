"""Committee review of awards and objections to publicized awards."""

from __future__ import annotations

from fastapi import APIRouter

from xinzhi import review
from xinzhi.review import (
    ObjectionCreate,
    ObjectionRead,
    ObjectionResolve,
    ObjectionStatus,
    ReviewDecision,
    ReviewRead,
    ReviewStatus,
)

from ..access import CallerDep
from ..bodies import StrictJsonRoute
from ..deps import CommunityId, Seq, ServiceDep

router = APIRouter(prefix="/communities/{community}", tags=["review"], route_class=StrictJsonRoute)


@router.get("/reviews")
def list_reviews(service: ServiceDep, community: CommunityId, status: ReviewStatus | None = None,
                 resident: str | None = None) -> list[ReviewRead]:
    """Awards of rules under committee review: pending (held) or decided."""
    return review.list_reviews(service, community, status=status, resident=resident)


@router.post("/reviews/{notice}")
def decide(service: ServiceDep, community: CommunityId, caller: CallerDep, notice: Seq,
           body: ReviewDecision) -> ReviewRead:
    """Approve (released, then publicized) or reject (stays held) a pending award."""
    return review.decide_review(service, community, notice, body, actor=caller.actor)


@router.post("/objections", status_code=201)
def object_to(service: ServiceDep, community: CommunityId, caller: CallerDep, body: ObjectionCreate) -> ObjectionRead:
    """Object to an award on the public board during its publicity period."""
    return review.file_objection(service, community, body, filed_by=caller.resident or caller.actor)


@router.get("/objections")
def list_objections(service: ServiceDep, community: CommunityId,
                    status: ObjectionStatus | None = None) -> list[ObjectionRead]:
    """Objections filed."""
    return review.list_objections(service, community, status=status)


@router.post("/objections/{objection}")
def resolve(service: ServiceDep, community: CommunityId, caller: CallerDep, objection: Seq,
            body: ObjectionResolve) -> ObjectionRead:
    """Upheld: the award is reversed by a new entry; dismissed: it stays."""
    return review.resolve_objection(service, community, objection, body, actor=caller.actor)
