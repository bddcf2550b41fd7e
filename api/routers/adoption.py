"""Adopting a standard: each body's decision on a draft, and the record that stays with the version."""

from __future__ import annotations

from fastapi import APIRouter

from xinzhi import adoption
from xinzhi.adoption import AdoptionRecord, DecisionIn, DecisionRead

from ..access import CallerDep
from ..bodies import StrictJsonRoute
from ..deps import CommunityId, ServiceDep, Version

router = APIRouter(prefix="/communities/{community}", tags=["adoption"], route_class=StrictJsonRoute)


@router.post("/rulesets/{ruleset_id}/versions/{version}/adoption", status_code=201)
def decide(service: ServiceDep, community: CommunityId, caller: CallerDep, ruleset_id: str, version: Version,
           body: DecisionIn) -> DecisionRead:
    """Record what one of the community's bodies decided on a draft: approve, reject or comments, item by item."""
    return adoption.record_decision(service, community, ruleset_id, version, body, actor=caller.actor)


@router.get("/rulesets/{ruleset_id}/versions/{version}/adoption")
def record(service: ServiceDep, community: CommunityId, ruleset_id: str, version: Version) -> AdoptionRecord:
    """Where a version stands with each body (and, once published, the record it was adopted by)."""
    return adoption.adoption_record(service, community, ruleset_id, version)
