"""Residents: register and list; each one's score and explained ledger."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body

from xinzhi import communities, ledger
from xinzhi.communities import ResidentCreate, ResidentRead
from xinzhi.ledger import LedgerPage, ScoreRead

from ..bodies import StrictJsonRoute
from ..deps import AsOf, CommunityId, Limit, Offset, ResidentId, ServiceDep
from ..downloads import CsvStream

router = APIRouter(prefix="/communities/{community}/residents", tags=["residents"], route_class=StrictJsonRoute)


@router.get("")
def list_residents(service: ServiceDep, community: CommunityId, zone: str | None = None, household: str | None = None,
                   offset: Offset = 0, limit: Limit = 100) -> list[ResidentRead]:
    """Residents, optionally of one zone or household."""
    return communities.list_residents(service, community, zone=zone, household=household, offset=offset, limit=limit)


@router.post("")
def register_residents(service: ServiceDep, community: CommunityId,
                       residents: Annotated[list[ResidentCreate], Body(max_length=10_000)]) -> list[ResidentRead]:
    """Register residents (or update known ones): name, zone, household, roles, the day each moved in."""
    return communities.register_residents(service, community, residents)


@router.get("/{resident}/score")
def resident_score(service: ServiceDep, community: CommunityId, resident: ResidentId, as_of: AsOf = None) -> ScoreRead:
    """Index, points, tier and per-category totals, as of the end of a day (default today)."""
    return ledger.resident_score(service, community, resident, as_of)


@router.get("/{resident}/ledger")
def resident_ledger(service: ServiceDep, community: CommunityId, resident: ResidentId, offset: Offset = 0,
                    limit: Limit = 50, kind: str | None = None, newest_first: bool = False) -> LedgerPage:
    """The resident's ledger entries in the order written (or newest first), each with its explanation."""
    return ledger.resident_ledger(service, community, resident, offset=offset, limit=limit, kind=kind,
                                 newest_first=newest_first)


@router.get("/{resident}/ledger.csv", response_class=CsvStream)
def ledger_csv(service: ServiceDep, community: CommunityId, resident: ResidentId) -> CsvStream:
    """The resident's ledger as CSV."""
    return CsvStream.of(ledger.export_ledger_csv(service, community, resident))
