"""Integrity council cases: report, convene, close (satisfaction → mediation awards), statistics."""

from __future__ import annotations

from fastapi import APIRouter

import store
from store.council import CaseClose, CaseConvene, CaseRead, CaseReport, CaseStats

from ..access import CallerDep
from ..deps import CommunityId, Limit, Offset, StoreDep

router = APIRouter(prefix="/communities/{community}/cases", tags=["council"])


@router.post("", status_code=201)
def report(db: StoreDep, community: CommunityId, caller: CallerDep, body: CaseReport) -> CaseRead:
    """Report a problem (neighbour dispute, parking space, water leak, noise, other)."""
    return store.report_case(db, community, body, actor=caller.actor)


@router.get("")
def list_cases(db: StoreDep, community: CommunityId, status: str | None = None, zone: str | None = None,
               offset: Offset = 0, limit: Limit = 100) -> list[CaseRead]:
    """Cases, newest first."""
    return store.list_cases(db, community, status=status, zone=zone, offset=offset, limit=limit)


@router.get("/statistics")
def statistics(db: StoreDep, community: CommunityId) -> CaseStats:
    """Open/closed, resolution rate, days to close, per zone, month and kind."""
    return store.case_statistics(db, community)


@router.get("/{case}")
def get_case(db: StoreDep, community: CommunityId, case: str) -> CaseRead:
    """One case."""
    return store.get_case(db, community, case)


@router.post("/{case}/convene")
def convene(db: StoreDep, community: CommunityId, caller: CallerDep, case: str, body: CaseConvene) -> CaseRead:
    """Convene the council with its members."""
    return store.convene_case(db, community, case, body, actor=caller.actor)


@router.post("/{case}/close")
def close(db: StoreDep, community: CommunityId, caller: CallerDep, case: str, body: CaseClose) -> CaseRead:
    """Close with outcome and satisfaction: mediators and parties are awarded by the ruleset, once."""
    return store.close_case(db, community, case, body, actor=caller.actor)
