"""The ruleset registry: upload a draft (YAML body), list, fetch, diff, publish, dry-run."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool

from xinzhi import registry
from xinzhi.messages import Message
from xinzhi.registry import (
    DryRunIn,
    DryRunResult,
    PublishResult,
    RulesetDiff,
    RulesetRead,
    RulesetStatus,
    RulesetSummary,
)

from ..access import CallerDep
from ..bodies import StrictJsonRoute, utf8_text
from ..deps import CommunityId, ServiceDep, Version
from ..errors import DRAFT_RESPONSES, ApiCode, ApiError

router = APIRouter(prefix="/communities/{community}", tags=["rulesets"], route_class=StrictJsonRoute)

YAML_BODY = {"requestBody": {"required": True, "content": {
    "application/yaml": {"schema": {"type": "string"}},
    "text/plain": {"schema": {"type": "string"}}}}}


YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain")


async def body_of(request: Request, accepted: tuple[str, ...]) -> tuple[str, bytes]:
    """The request body's media type (the first accepted one when none is named) and bytes."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media and media not in accepted:
        raise ApiError(ApiCode.UNSUPPORTED_MEDIA_TYPE, Message.of("send_as", accepted=", ".join(accepted),
                                                                  media=media[:100]))
    return media or accepted[0], await request.body()


async def text_body(request: Request, accepted: tuple[str, ...]) -> str:
    """The request body as UTF-8 text (a YAML upload) of an accepted content type."""
    _, data = await body_of(request, accepted)
    return utf8_text(data)


@router.post("/rulesets", status_code=201, openapi_extra=YAML_BODY)
async def upload(request: Request, service: ServiceDep, community: CommunityId,
                 name: str = Query(default="upload.yaml", max_length=200,
                                   description="file name shown in problems")) -> RulesetSummary:
    """Upload a ruleset version as a draft; 422 lists every problem with line and column."""
    text = await text_body(request, YAML_TYPES)
    return await run_in_threadpool(registry.upload_ruleset, service, community, text, source_name=name)


@router.get("/rulesets")
def list_rulesets(service: ServiceDep, community: CommunityId, id: str | None = None,
                  status: RulesetStatus | None = None) -> list[RulesetSummary]:
    """Every stored version (drafts and published)."""
    return registry.list_rulesets(service, community, ruleset_id=id, status=status)


@router.get("/rulesets/{ruleset_id}/versions/{version}")
def get_version(service: ServiceDep, community: CommunityId, ruleset_id: str, version: Version) -> RulesetRead:
    """One version: the YAML as uploaded, and the ruleset with ``extends`` resolved."""
    return registry.get_ruleset(service, community, ruleset_id, version)


@router.get("/rulesets/{ruleset_id}/diff")
def diff(service: ServiceDep, community: CommunityId, ruleset_id: str, base: Annotated[int, Query(ge=1, le=2**31 - 1)],
         other: Annotated[int, Query(ge=1, le=2**31 - 1)]) -> RulesetDiff:
    """Rule by rule: added, removed, changed award / limits / condition."""
    return registry.diff_rulesets(service, community, ruleset_id, base, other)


@router.post("/rulesets/{ruleset_id}/versions/{version}/publish", responses=DRAFT_RESPONSES)
def publish(service: ServiceDep, community: CommunityId, caller: CallerDep, ruleset_id: str,
            version: Version) -> PublishResult:
    """Publish a draft: its embedded tests must pass and its dates must not overlap."""
    return registry.publish_ruleset(service, community, ruleset_id, version, actor=caller.actor)


@router.post("/rulesets/{ruleset_id}/versions/{version}/dry-run", responses=DRAFT_RESPONSES)
def dry_run(service: ServiceDep, community: CommunityId, caller: CallerDep, ruleset_id: str, version: Version,
            body: DryRunIn) -> DryRunResult:
    """Score facts under this version from empty accounts; nothing is stored."""
    return registry.dry_run(service, community, ruleset_id, version, [f.model_dump(mode="json", by_alias=True)
                                                               for f in body.facts], explain=body.explain,
                            closes_until=body.closes_until, actor=caller.actor)
