"""Residents: register and list; each one's score and explained ledger."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Request
from fastapi.concurrency import run_in_threadpool

from xinzhi import communities, ledger
from xinzhi.communities import ResidentCreate, ResidentRead
from xinzhi.ledger import EntryKind, LedgerPage, ScoreRead
from xinzhi.spreadsheets import XLSX_MEDIA_TYPE, csv_text, xlsx_bytes

from ..bodies import StrictJsonRoute
from ..deps import AsOf, CommunityId, Limit, Offset, ResidentId, ServiceDep
from ..downloads import CsvStream, CsvText, XlsxFile, attachment
from .facts import FILE_TYPES
from .rulesets import body_of

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
                    limit: Limit = 50, kind: EntryKind | None = None, newest_first: bool = False) -> LedgerPage:
    """The resident's ledger entries in the order written (or newest first), each with its explanation."""
    return ledger.resident_ledger(service, community, resident, offset=offset, limit=limit, kind=kind,
                                 newest_first=newest_first)


@router.get("/{resident}/ledger.csv", response_class=CsvStream)
def ledger_csv(service: ServiceDep, community: CommunityId, resident: ResidentId) -> CsvStream:
    """The resident's ledger as CSV."""
    return CsvStream.of(ledger.export_ledger_csv(service, community, resident))


@router.post("/import", openapi_extra={"requestBody": {"required": True, "content": {
    "text/csv": {"schema": {"type": "string"}}, XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}}}})
async def import_roster(request: Request, service: ServiceDep, community: CommunityId,
                        name: str | None = Query(default=None, max_length=200,
                                                 description="file name shown in problems (default residents.csv)")
                        ) -> communities.RosterImport:
    """Register the residents of a roster (花名册: CSV in UTF-8 or GBK, or .xlsx), all or none.

    Headers are keys or the template's titles; zones and roles by id or by the community's titles.
    """
    media, data = await body_of(request, tuple(FILE_TYPES))
    fmt = FILE_TYPES[media]
    return await run_in_threadpool(communities.import_roster, service, community, data, fmt=fmt,
                                   name=name or f"residents.{fmt}")


@router.get("/template.csv", response_class=CsvText)
def roster_csv(service: ServiceDep, community: CommunityId) -> CsvText:
    """A blank roster headed ``姓名（name）`` …, to fill in and import."""
    header, _ = communities.roster_template(service, community)
    return CsvText(csv_text([header]), headers=attachment(f"{community}-residents-template.csv"))


@router.get("/template.xlsx", response_class=XlsxFile)
def roster_xlsx(service: ServiceDep, community: CommunityId) -> XlsxFile:
    """The same blank roster as a workbook, with a second sheet saying what to write in each column."""
    header, notes = communities.roster_template(service, community)
    return XlsxFile(xlsx_bytes([header], "花名册", notes), headers=attachment(f"{community}-residents-template.xlsx"))
