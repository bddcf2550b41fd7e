"""The catalogue of shared standards: share, browse, derive, and bundles to carry a standard between servers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from xinzhi import catalogue
from xinzhi.catalogue import AdoptIn, CatalogueEntryRead, CatalogueEntryText, DeriveIn, ShareIn, UpstreamPreview
from xinzhi.registry import RulesetSummary

from ..access import CallerDep
from ..bodies import StrictJsonRoute
from ..deps import CommunityId, ServiceDep, Version
from ..downloads import attachment
from ..errors import said_to
from .rulesets import YAML_BODY, YAML_TYPES, text_body

router = APIRouter(prefix="/communities/{community}", tags=["catalogue"], route_class=StrictJsonRoute)


class YamlFile(Response):
    """A bundle: YAML, declared as such in the OpenAPI document."""

    media_type = "application/yaml"


@router.post("/rulesets/{ruleset_id}/versions/{version}/share", status_code=201)
def share(service: ServiceDep, community: CommunityId, caller: CallerDep, ruleset_id: str, version: Version,
          body: ShareIn) -> CatalogueEntryRead:
    """Share a published version to the catalogue: with every community, or with a named group of them."""
    return catalogue.share_standard(service, community, ruleset_id, version, body, actor=caller.actor)


@router.get("/rulesets/{ruleset_id}/versions/{version}/upstream")
def upstream(request: Request, service: ServiceDep, community: CommunityId, ruleset_id: str, version: Version,
             to: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None) -> UpstreamPreview:
    """What moving a derived standard onto a newer catalogue version of its parent would change."""
    preview = catalogue.upstream_preview(service, community, ruleset_id, version, to)
    return preview.model_copy(update={"problems": said_to(request, preview.problems)})


@router.post("/rulesets/{ruleset_id}/versions/{version}/upstream/adopt", status_code=201)
def adopt(service: ServiceDep, community: CommunityId, ruleset_id: str, version: Version,
          body: AdoptIn) -> RulesetSummary:
    """The child's next draft pinned to the parent's newer version (422 with problems and text if it cannot load)."""
    return catalogue.adopt_upstream(service, community, ruleset_id, version, body.to)


@router.get("/catalogue")
def browse(service: ServiceDep, community: CommunityId) -> list[CatalogueEntryRead]:
    """The shared standards this community may see: title, source, version, what it covers, its tests."""
    return catalogue.list_catalogue(service, community)


@router.get("/catalogue/{catalogue_id}/versions/{version}")
def entry(service: ServiceDep, community: CommunityId, catalogue_id: str, version: Version) -> CatalogueEntryText:
    """One shared standard with its YAML and its frozen extends chain."""
    return catalogue.get_entry(service, community, catalogue_id, version)


@router.post("/catalogue/{catalogue_id}/versions/{version}/derive", status_code=201)
def derive(service: ServiceDep, community: CommunityId, catalogue_id: str, version: Version,
           body: DeriveIn) -> RulesetSummary:
    """Start this community's own standard from a shared one: a draft extending it, pinned to its version."""
    return catalogue.derive_standard(service, community, catalogue_id, version, body)


@router.get("/catalogue/{catalogue_id}/versions/{version}/bundle", response_class=YamlFile)
def bundle(service: ServiceDep, community: CommunityId, catalogue_id: str, version: Version) -> YamlFile:
    """The shared standard as one file for another server: its text, its chain, provenance and a digest."""
    text = catalogue.export_bundle(service, community, catalogue_id, version)
    return YamlFile(text.encode("utf-8"), headers=attachment(f"{catalogue_id}@{version}.bundle.yaml"))


@router.post("/catalogue/bundles", status_code=201, openapi_extra=YAML_BODY)
async def import_bundle(request: Request, service: ServiceDep, community: CommunityId,
                        caller: CallerDep) -> CatalogueEntryRead:
    """Import a bundle exported by another server; its digest is checked and its standard must load."""
    text = await text_body(request, YAML_TYPES)
    return await run_in_threadpool(catalogue.import_bundle, service, community, text, actor=caller.actor)
