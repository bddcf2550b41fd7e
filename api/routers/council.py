"""Integrity council cases: report, convene, close (satisfaction → mediation awards), statistics."""

from __future__ import annotations

from fastapi import APIRouter

from xinzhi import council
from xinzhi.council import CaseClose, CaseConvene, CaseRead, CaseReport, CaseStats, CaseStatus

from ..access import CallerDep, acting_for
from ..bodies import StrictJsonRoute
from ..deps import CommunityId, Limit, Offset, ServiceDep

router = APIRouter(prefix="/communities/{community}/cases", tags=["council"], route_class=StrictJsonRoute)


@router.post("", status_code=201)
def report(service: ServiceDep, community: CommunityId, caller: CallerDep, body: CaseReport) -> CaseRead:
    """Report a problem (neighbour dispute, parking space, water leak, noise, other).

    A resident reports as themself and now (``reported_by`` and ``reported_at`` come from the token), and the
    answer never tells whether the parties they name exist; the office checks them when it convenes the case.
    """
    me = acting_for(caller, None, community)
    if me is not None:
        body = body.model_copy(update={"reported_by": me, "reported_at": None})
    return council.report_case(service, community, body, actor=caller.actor, check_parties=me is None)


@router.get("")
def list_cases(service: ServiceDep, community: CommunityId, status: CaseStatus | None = None, zone: str | None = None,
               offset: Offset = 0, limit: Limit = 100) -> list[CaseRead]:
    """Cases, newest first."""
    return council.list_cases(service, community, status=status, zone=zone, offset=offset, limit=limit)


@router.get("/statistics")
def statistics(service: ServiceDep, community: CommunityId) -> CaseStats:
    """Open/closed, resolution rate, days to close, per zone, month and kind."""
    return council.case_statistics(service, community)


@router.get("/{case}")
def get_case(service: ServiceDep, community: CommunityId, case: str) -> CaseRead:
    """One case."""
    return council.get_case(service, community, case)


@router.post("/{case}/convene")
def convene(service: ServiceDep, community: CommunityId, caller: CallerDep, case: str, body: CaseConvene) -> CaseRead:
    """Convene the council with its members."""
    return council.convene_case(service, community, case, body, actor=caller.actor)


@router.post("/{case}/close")
def close(service: ServiceDep, community: CommunityId, caller: CallerDep, case: str, body: CaseClose) -> CaseRead:
    """Close with outcome and satisfaction: mediators and parties are awarded by the ruleset, once."""
    return council.close_case(service, community, case, body, actor=caller.actor)
