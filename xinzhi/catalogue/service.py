"""The catalogue of shared standards: a committee shares a published version, others browse and derive.

Sharing copies the version's text and its whole frozen ``extends`` chain into the catalogue,
with a digest of all of it (the one a bundle carries). A child extends ``id@version`` of the
catalogue and is pinned to it: the copy never changes, so neither does what the child resolves
to. Who may see an entry — every community, or a named group of them — is the registry's rule
(``xinzhi.registry.source.shared_with``), so browsing and resolving can never disagree.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import yaml
from sqlalchemy import func, select

from xinzhi.catalogue.models import CatalogueEntryRead, CatalogueEntryText, DeriveIn, ShareIn, StandardSummary
from xinzhi.communities.service import require_community
from xinzhi.db.tables import CatalogueEntry, Community, RulesetVersion
from xinzhi.engine import Loader, MemorySource
from xinzhi.errors import ServiceCode, ServiceError
from xinzhi.messages import Message
from xinzhi.registry import RulesetSummary, upload_ruleset
from xinzhi.registry.service import stored_version
from xinzhi.registry.source import catalogue_entry, shared_with
from xinzhi.service import Service

Chain = dict[str, tuple[str, str]]  # ref → (text, source name) of each parent, nearest first


def content_digest(ref: str, text: str, name: str, parents: Chain) -> str:
    """sha256 over the standard and its chain, in one canonical form: the digest a bundle is checked by."""
    def part(r: str, t: str, n: str) -> dict[str, str]:
        return {"ref": r, "source_name": n, "yaml": t}
    content = {"standard": part(ref, text, name), "parents": [part(r, t, n) for r, (t, n) in sorted(parents.items())]}
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def summarize_standard(text: str, name: str, parents: Chain, *, passed: int | None = None) -> StandardSummary:
    """What a standard covers and how its embedded tests fare (``passed`` of them), from its text and chain alone.

    A version shared from this server passed every test when it was published (the publish
    gate), so its tests are counted, not run again (a server starting up shares its repository
    standards without compiling them); an imported one's were run by a draft worker (``bundles``).
    """
    loader = Loader(MemorySource({ref: list(found) for ref, found in parents.items()}))
    ruleset, written = loader.load(text, name), loader.run(text, name, until="parse").parsed
    passed = len(ruleset.tests) if passed is None else passed
    return StandardSummary(description=ruleset.description, effective_from=ruleset.effective_from,
                           extends=written.extends if written else None,
                           categories=[c.title for c in ruleset.categories],
                           fact_types=[f.title or f.id for f in ruleset.fact_types], rules=len(ruleset.rules),
                           tests=len(ruleset.tests), tests_passed=passed)


def read_entry(entry: CatalogueEntry) -> CatalogueEntryRead:
    """An entry as the API shows it (its text and chain left out: ``get_entry`` has them)."""
    return CatalogueEntryRead(
        catalogue_id=entry.catalogue_id, version=entry.version, ref=f"{entry.catalogue_id}@{entry.version}",
        title=entry.title, source_community=entry.source_community, audience=entry.audience,
        audience_title=entry.audience_title, summary=StandardSummary.model_validate(entry.summary),
        origin=entry.origin, provenance=entry.provenance, digest=entry.digest, shared_by=entry.shared_by,
        shared_at=entry.shared_at)


def store_entry(session: Any, *, catalogue_id: str, version: int, title: str, text: str, name: str, parents: Chain,
                source_community: str, audience: list[str] | None, audience_title: str | None, origin: str,
                provenance: dict[str, Any], actor: str, tests_passed: int | None = None) -> CatalogueEntry:
    """Add a copy to the catalogue; the same content again is the same entry, other content under its ref refused.

    The same content shared or imported again widens who sees it (never narrows it): a
    community that imports an entry it could not see holds its text anyway, and sharing with
    every community after sharing with a group means every community. New content under an id
    is taken only from the community that first put that id in the catalogue (``source_community``:
    for an import, the importing community, whatever the bundle claims); an id new to the catalogue
    is taken by no import another community's registry holds it in, and by no share another
    community's registry held it in first. Found by attack: another community could share or
    import ``yihe_2021@2`` (or an unshared draft's id) first, and Yihe could no longer share its own.
    """
    ref = f"{catalogue_id}@{version}"
    digest = content_digest(ref, text, name, parents)
    existing = session.scalar(select(CatalogueEntry).where(CatalogueEntry.catalogue_id == catalogue_id,
                                                           CatalogueEntry.version == version))
    owner = session.scalar(select(CatalogueEntry.source_community).where(
        CatalogueEntry.catalogue_id == catalogue_id).order_by(CatalogueEntry.version).limit(1))
    if owner is None:  # an id new to the catalogue: the community whose registry named a standard so first
        first = select(RulesetVersion.community).where(RulesetVersion.ruleset_id == catalogue_id)
        if origin != "imported":
            first = first.where(RulesetVersion.seq < select(func.min(RulesetVersion.seq)).where(
                RulesetVersion.ruleset_id == catalogue_id, RulesetVersion.community == source_community)
                .scalar_subquery())
        owner = session.scalar(first.where(RulesetVersion.community != source_community)
                               .order_by(RulesetVersion.seq).limit(1))
    if existing is None and owner is not None and owner != source_community:
        # the owner is not named: its registry may hold the id unshared (found by attack: a draft's id and community)
        raise ServiceError(ServiceCode.CATALOGUE_CONFLICT, Message.of("catalogue_id_owned", id=catalogue_id))
    if existing is not None:
        if existing.digest != digest:
            raise ServiceError(ServiceCode.CATALOGUE_CONFLICT,
                               Message.of("catalogue_taken", ref=ref))
        if existing.audience is not None:
            existing.audience = None if audience is None else sorted(set(existing.audience) | set(audience))
            if audience is None:
                existing.audience_title = None
        return existing
    entry = CatalogueEntry(
        catalogue_id=catalogue_id, version=version, title=title, source_community=source_community,
        source_name=name, yaml_text=text, parents={r: list(found) for r, found in parents.items()}, digest=digest,
        audience=audience, audience_title=audience_title,
        summary=summarize_standard(text, name, parents, passed=tests_passed).model_dump(mode="json"),
        origin=origin,
        provenance=provenance, shared_by=actor)
    session.add(entry)
    session.flush()
    return entry


def share_standard(service: Service, community: str, ruleset_id: str, version: int, body: ShareIn, *,
                   actor: str) -> CatalogueEntryRead:
    """Put a published version of this community in the catalogue, for every community or a named group."""
    with service.db.writing() as session:
        community_row = require_community(session, community)
        row = stored_version(session, community, ruleset_id, version)
        if row.status != "published" or row.parents is None:
            raise ServiceError(ServiceCode.RULESET_NOT_PUBLISHED, Message.of("not_published_yet", ref=row.ref))
        for position, member in enumerate(body.communities or ()):
            if session.get(Community, member) is None:
                raise ServiceError.at(ServiceCode.COMMUNITY_NOT_FOUND, f"communities[{position}]", "no_share_community",
                                      community=member)
        audience = sorted(set(body.communities) | {community}) if body.communities is not None else None
        parents = {ref: (found[0], found[1]) for ref, found in row.parents.items()}
        entry = store_entry(session, catalogue_id=row.ruleset_id, version=row.version, title=row.title,
                            text=row.yaml_text, name=row.source_name, parents=parents, source_community=community,
                            audience=audience, audience_title=body.group_title, origin="shared",
                            provenance={"community": community, "community_name": community_row.name,
                                        "published_at": row.published_at.isoformat() if row.published_at else None},
                            actor=actor)
        return read_entry(entry)


def list_catalogue(service: Service, community: str) -> list[CatalogueEntryRead]:
    """The shared standards this community may see, by id then newest version first."""
    with service.db.reading() as session:
        require_community(session, community)
        entries = session.scalars(select(CatalogueEntry).order_by(CatalogueEntry.catalogue_id,
                                                                  CatalogueEntry.version.desc())).all()
        return [read_entry(e) for e in entries if shared_with(e, community)]


def visible_entry(session: Any, community: str, catalogue_id: str, version: int) -> CatalogueEntry:
    """The entry, or ``catalogue_not_found`` (also when it exists but is not shared with this community)."""
    entry = catalogue_entry(session, community, f"{catalogue_id}@{version}")
    if entry is None:
        raise ServiceError(ServiceCode.CATALOGUE_NOT_FOUND,
                           Message.of("no_catalogue_entry", ref=f"{catalogue_id}@{version}", community=community))
    return entry


def get_entry(service: Service, community: str, catalogue_id: str, version: int) -> CatalogueEntryText:
    """One shared standard with its text and the texts of its chain."""
    with service.db.reading() as session:
        require_community(session, community)
        entry = visible_entry(session, community, catalogue_id, version)
        return CatalogueEntryText(**read_entry(entry).model_dump(), yaml=entry.yaml_text,
                                  parents={ref: found[0] for ref, found in entry.parents.items()})


def derive_standard(service: Service, community: str, catalogue_id: str, version: int,
                    body: DeriveIn) -> RulesetSummary:
    """A first draft of this community's own standard: it extends the shared one, pinned to its version.

    The draft states nothing of its own yet; the committee adds overrides, categories and rules,
    then tests and publishes it as any draft.
    """
    with service.db.reading() as session:
        community_row = require_community(session, community)
        visible_entry(session, community, catalogue_id, version)
        name = community_row.name
        if session.scalar(select(RulesetVersion.seq).where(RulesetVersion.community == community,
                                                           RulesetVersion.ruleset_id == body.id).limit(1)):
            raise ServiceError(ServiceCode.RULESET_EXISTS, Message.of("ruleset_exists", ruleset=body.id))
    head = {"id": body.id, "version": 1, "title": body.title, "community": name,
            "effective_from": body.effective_from, "extends": f"{catalogue_id}@{version}"}
    text = (f"# 沿用标准库中的 {catalogue_id}@{version}：这里只写本社区与它不同的地方\n"
            + yaml.safe_dump(head, allow_unicode=True, sort_keys=False))
    return upload_ruleset(service, community, text, source_name=f"{body.id}.yaml")
