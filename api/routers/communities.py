"""Communities: create and list, the community summary, households, CSV exports, expiry job."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from xinzhi import communities, ledger, scoring
from xinzhi.communities import CommunityConfiguration, CommunityCreate, CommunityRead
from xinzhi.ledger import CommunitySummary, ExpiryRun, HouseholdRead
from xinzhi.scoring import ClosingRun
from xinzhi.spreadsheets import xlsx_bytes

from ..access import CallerDep
from ..bodies import StrictJsonRoute
from ..deps import FIRST_DAY, LAST_DAY, AsOf, CommunityId, Day, ServiceDep
from ..downloads import CsvStream, CsvText, XlsxFile, attachment

router = APIRouter(prefix="/communities", tags=["communities"], route_class=StrictJsonRoute)


class CommunityBody(CommunityConfiguration):
    """A community's display name, and its zones and roles if it declares them (its id is in the path)."""

    name: str = Field(min_length=1, max_length=200)


@router.get("")
def list_communities(service: ServiceDep, caller: CallerDep) -> list[CommunityRead]:
    """The communities this server holds; a token for one community sees only that one."""
    return [c for c in communities.list_communities(service) if caller.community in (None, c.id)]


@router.put("/{community}")
def put_community(service: ServiceDep, community: CommunityId, body: CommunityBody) -> CommunityRead:
    """Create a community, or rename it or change its zones or roles (a list left out stays as it is)."""
    return communities.create_community(service, CommunityCreate(id=community, **body.model_dump()))


@router.get("/{community}")
def get_community(service: ServiceDep, community: CommunityId) -> CommunityRead:
    """The community's name, zones (or groups) and roles, and how many residents it has."""
    return communities.get_community(service, community)


@router.get("/{community}/summary")
def summary(service: ServiceDep, community: CommunityId, as_of: AsOf = None) -> CommunitySummary:
    """Totals per zone (with the community's titles), per category and per month; residents per tier."""
    return ledger.community_summary(service, community, as_of)


@router.get("/{community}/households/{household}")
def household(service: ServiceDep, community: CommunityId, household: str, as_of: AsOf = None) -> HouseholdRead:
    """A household's members with their scores, and the household totals."""
    return ledger.household_view(service, community, household, as_of)


@router.get("/{community}/ledger.csv", response_class=CsvStream)
def ledger_csv(service: ServiceDep, community: CommunityId, resident: str | None = None) -> CsvStream:
    """The whole ledger (or one resident's) as CSV, one line per entry with its explanation."""
    return CsvStream.of(ledger.export_ledger_csv(service, community, resident), f"{community}-ledger.csv")


@router.get("/{community}/ledger.xlsx", response_class=XlsxFile)
def ledger_xlsx(service: ServiceDep, community: CommunityId, resident: str | None = None) -> XlsxFile:
    """The ledger export as an Excel workbook (up to a worksheet's 1,048,576 rows; CSV has no limit)."""
    return XlsxFile(xlsx_bytes(ledger.ledger_rows(service, community, resident), "台账"),
                    headers=attachment(f"{community}-ledger.xlsx"))


@router.get("/{community}/scores.csv", response_class=CsvText)
def scores_csv(service: ServiceDep, community: CommunityId, as_of: AsOf = None) -> CsvText:
    """Every account's index, points and tier as CSV (with a BOM, so Excel reads the Chinese)."""
    return CsvText(ledger.export_scores_csv(service, community, as_of), headers=attachment(f"{community}-scores.csv"))


@router.get("/{community}/scores.xlsx", response_class=XlsxFile)
def scores_xlsx(service: ServiceDep, community: CommunityId, as_of: AsOf = None) -> XlsxFile:
    """The scores export as an Excel workbook."""
    return XlsxFile(xlsx_bytes(ledger.scores_rows(service, community, as_of), "积分"),
                    headers=attachment(f"{community}-scores.xlsx"))


@router.post("/{community}/jobs/close-periods")
def close_periods(service: ServiceDep, community: CommunityId,
                  as_of: Annotated[Day | None, Query(ge=FIRST_DAY, le=LAST_DAY, description=(
                      "close the periods that ended before this day (default today)"))] = None,
                  since: Annotated[Day | None, Query(ge=FIRST_DAY, le=LAST_DAY, description=(
                      "and began on or after this day (default a year before as_of)"))] = None,
                  ) -> ClosingRun:
    """Pay period rules (连续 12 个月无违规) for the periods that ended; run again, it writes only what changed."""
    from xinzhi.clock import today
    return scoring.close_periods(service, community, as_of or today(), since)


@router.post("/{community}/jobs/expire")
def expire(service: ServiceDep, community: CommunityId,
           as_of: Annotated[Day | None, Query(ge=FIRST_DAY, le=LAST_DAY,
                                                  description="expire what expired before this day")] = None,
           ) -> ExpiryRun:
    """Write expiry entries for unspent points past their date (earliest-expiring spent first)."""
    from xinzhi.clock import today
    return ledger.expire_points(service, community, as_of or today())
