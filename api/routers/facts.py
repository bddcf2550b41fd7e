"""Facts: post one, post a batch, import a CSV file; dry-run an unsaved draft."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from xinzhi import registry, scoring
from xinzhi.registry import DryRunInline, DryRunResult
from xinzhi.scoring import FactBatchResult, FactResult, ImportResult
from xinzhi.settings import BATCH_CEILING
from xinzhi.spreadsheets import XLSX_MEDIA_TYPE, csv_text, xlsx_bytes

from ..access import CallerDep
from ..bodies import StrictJsonRoute
from ..deps import CommunityId, ServiceDep
from ..downloads import CsvText, XlsxFile, attachment
from ..errors import DRAFT_RESPONSES, said_to
from .rulesets import body_of

XLSX = XLSX_MEDIA_TYPE
FILE_TYPES = {"text/csv": "csv", "application/csv": "csv", "text/plain": "csv", XLSX: "xlsx"}

router = APIRouter(prefix="/communities/{community}", tags=["facts"], route_class=StrictJsonRoute)

IgnoreUnknownTypes = Annotated[bool, Query(description="skip (and count in `ignored`) facts of types the ruleset in "
                                                     "force does not define, instead of refusing the request")]

FACT_EXAMPLE = {"id": "f-2024-0001", "type": "volunteering", "resident": "N001",
                "occurred_at": "2024-05-01T09:00:00+08:00", "fields": {"hours": 2.5}}


@router.post("/facts", status_code=201, responses={200: {"description": "a fact id seen before: its first result"}})
def post_fact(service: ServiceDep, community: CommunityId, response: Response,
              fact: Annotated[dict[str, Any], Body(examples=[FACT_EXAMPLE])]) -> FactResult:
    """Score one fact by the ruleset in force at ``occurred_at``; the same id again changes nothing."""
    result = scoring.post_fact(service, community, fact)
    if result.duplicate:
        response.status_code = 200
    return result


@router.post("/facts/batch", response_model=FactBatchResult)
def post_batch(service: ServiceDep, community: CommunityId,
               facts: Annotated[list[dict[str, Any]], Body(embed=True, max_length=BATCH_CEILING,
                                                            examples=[[FACT_EXAMPLE]])],
               explain: bool = Query(default=False, description="full explained entries instead of brief ones"),
               ignore_unknown_types: IgnoreUnknownTypes = False) -> Response:
    """Score a batch (up to the configured size): all valid or nothing stored."""
    return Response(scoring.post_facts_json(service, community, facts, explain=explain,
                                            ignore_unknown_types=ignore_unknown_types), media_type="application/json")


@router.post("/facts/import", openapi_extra={"requestBody": {"required": True, "content": {
    "text/csv": {"schema": {"type": "string"}}, XLSX: {"schema": {"type": "string", "format": "binary"}}}}})
async def import_file(request: Request, service: ServiceDep, community: CommunityId,
                      skip_bad_rows: bool = Query(default=False,
                                                  description="store the good rows of a file with errors"),
                      name: str | None = Query(default=None, max_length=200,
                                               description="file name shown in problems (default facts.csv / .xlsx)"),
                      ignore_unknown_types: IgnoreUnknownTypes = False) -> ImportResult:
    """Import facts from CSV (UTF-8, GBK or GB18030) or .xlsx (``id,type,resident,occurred_at,<field>…``).

    Headers may be keys or the templates' titles; a per-row error report names each bad row
    (skipped rows' problems in the reader's language, as a refusal's are).
    """
    media, data = await body_of(request, tuple(FILE_TYPES))
    fmt = FILE_TYPES[media]
    result = await run_in_threadpool(scoring.import_facts_file, service, community, data, fmt=fmt,
                                     skip_bad_rows=skip_bad_rows, name=name or f"facts.{fmt}",
                                     ignore_unknown_types=ignore_unknown_types)
    return result.model_copy(update={"errors": said_to(request, result.errors)})


FactTypeId = Annotated[str, Query(alias="type", min_length=1, max_length=64,
                                 description="the fact type, as the standard in force names it")]


@router.get("/facts/template.csv", response_class=CsvText)
def template_csv(service: ServiceDep, community: CommunityId, fact_type: FactTypeId) -> CsvText:
    """A blank CSV for one fact type, headed ``标题（key）`` from the standard in force, to fill in and import."""
    header, _ = scoring.fact_template(service, community, fact_type)
    return CsvText(csv_text([header]), headers=attachment(f"{community}-{fact_type}-template.csv"))


@router.get("/facts/template.xlsx", response_class=XlsxFile)
def template_xlsx(service: ServiceDep, community: CommunityId, fact_type: FactTypeId) -> XlsxFile:
    """The same blank sheet as an Excel workbook, with a second sheet saying what to write in each column."""
    header, notes = scoring.fact_template(service, community, fact_type)
    return XlsxFile(xlsx_bytes([header], "事实", notes), headers=attachment(f"{community}-{fact_type}-template.xlsx"))


@router.post("/dry-run", responses=DRAFT_RESPONSES)
def dry_run_draft(service: ServiceDep, community: CommunityId, caller: CallerDep, body: DryRunInline) -> DryRunResult:
    """Score facts under a ruleset text given inline (not stored); runs in a draft worker."""
    return registry.dry_run_draft(service, community, body.ruleset, [f.model_dump(mode="json", by_alias=True)
                                                             for f in body.facts], explain=body.explain,
                                  closes_until=body.closes_until, actor=caller.actor)
