"""Facts: post one, post a batch, import a CSV file; dry-run an unsaved draft."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from xinzhi import registry, scoring
from xinzhi.registry import DryRunInline, DryRunResult
from xinzhi.scoring import FactBatchResult, FactResult, ImportResult
from xinzhi.settings import BATCH_CEILING

from ..access import CallerDep
from ..deps import CommunityId, ServiceDep
from ..errors import DRAFT_RESPONSES
from .rulesets import CSV_TYPES, text_body

router = APIRouter(prefix="/communities/{community}", tags=["facts"])

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


@router.post("/facts/batch")
def post_batch(service: ServiceDep, community: CommunityId,
               facts: Annotated[list[dict[str, Any]], Body(embed=True, max_length=BATCH_CEILING,
                                                            examples=[[FACT_EXAMPLE]])],
               explain: bool = Query(default=False, description="full explained entries instead of brief ones"),
               ignore_unknown_types: IgnoreUnknownTypes = False) -> FactBatchResult:
    """Score a batch (up to the configured size): all valid or nothing stored."""
    return scoring.post_facts(service, community, facts, explain=explain, ignore_unknown_types=ignore_unknown_types)


@router.post("/facts/import", openapi_extra={"requestBody": {"required": True, "content": {
    "text/csv": {"schema": {"type": "string"}}}}})
async def import_csv(request: Request, service: ServiceDep, community: CommunityId,
                     skip_bad_rows: bool = Query(default=False,
                                                 description="store the good rows of a file with errors"),
                     name: str = Query(default="facts.csv", max_length=200),
                     ignore_unknown_types: IgnoreUnknownTypes = False) -> ImportResult:
    """Import facts from CSV (``id,type,resident,occurred_at,<field>…``) with a per-row error report."""
    text = await text_body(request, CSV_TYPES)
    return await run_in_threadpool(scoring.import_facts_csv, service, community, text, skip_bad_rows=skip_bad_rows,
                                   name=name, ignore_unknown_types=ignore_unknown_types)


@router.post("/dry-run", responses=DRAFT_RESPONSES)
def dry_run_draft(service: ServiceDep, community: CommunityId, caller: CallerDep, body: DryRunInline) -> DryRunResult:
    """Score facts under a ruleset text given inline (not stored); runs in a draft worker."""
    return registry.dry_run_draft(service, community, body.ruleset, [f.model_dump(mode="json", by_alias=True)
                                                             for f in body.facts], explain=body.explain,
                                  closes_until=body.closes_until, actor=caller.actor)
