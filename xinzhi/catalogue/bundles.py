"""A shared standard as one file that travels between servers: its text, its whole chain, and a digest.

The digest covers every text in the bundle (``content_digest``), so a bundle changed on the way
— one value in one rule — is refused on import. A bundle is untrusted text: it is read only
after its size, nesting and aliases are bounded, as a ruleset is, and the standard in it must
load from the bundle's own chain before anything is stored.
"""

from __future__ import annotations

from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from xinzhi.catalogue.models import CatalogueEntryRead
from xinzhi.catalogue.service import content_digest, read_entry, store_entry, visible_entry
from xinzhi.clock import utcnow
from xinzhi.communities.service import require_community
from xinzhi.engine import Loader, MemorySource, Problem, RulesetError
from xinzhi.engine.errors import input_problems
from xinzhi.engine.ruleset import RulesetRef
from xinzhi.errors import ServiceCode, ServiceError
from xinzhi.messages import Message
from xinzhi.registry import drafts
from xinzhi.service import Service

FORMAT = 1
MAX_BUNDLE_BYTES = 4_000_000  # a standard and a chain of a few parents, each at most 1 MB
MAX_DEPTH = 8  # a bundle nests four deep


class BundledText(BaseModel):
    """One ruleset in a bundle, under the ref and file name it had where it was shared."""

    model_config = ConfigDict(extra="forbid")

    ref: RulesetRef
    source_name: str = Field(max_length=300)
    yaml: str = Field(max_length=1_000_000)


class Bundle(BaseModel):
    """The file: ``xinzhi_bundle`` (its format), the standard, its parents nearest first, provenance, digest."""

    model_config = ConfigDict(extra="forbid")

    xinzhi_bundle: Literal[1]
    title: str = Field(max_length=300)
    provenance: dict[str, str | None] = Field(max_length=20)
    standard: BundledText
    parents: list[BundledText] = Field(max_length=16)
    digest: str = Field(pattern=r"^sha256:[0-9a-f]{64}$")


class _Literal(yaml.SafeDumper):
    """Writes each multi-line text as a block (``|``), so the bundle's standards read as the files they were."""


_Literal.add_representer(str, lambda dumper, value: dumper.represent_scalar(
    "tag:yaml.org,2002:str", value, style="|" if "\n" in value else None))


def export_bundle(service: Service, community: str, catalogue_id: str, version: int) -> str:
    """The bundle of a shared standard this community may see."""
    with service.db.reading() as session:
        require_community(session, community)
        entry = visible_entry(session, community, catalogue_id, version)
        bundle = {"xinzhi_bundle": FORMAT, "title": entry.title,
                  "provenance": {**{k: str(v) if v is not None else None for k, v in entry.provenance.items()},
                                 "source_community": entry.source_community,
                                 "shared_at": entry.shared_at.isoformat(), "exported_at": utcnow().isoformat()},
                  "standard": {"ref": f"{entry.catalogue_id}@{entry.version}", "source_name": entry.source_name,
                               "yaml": entry.yaml_text},
                  "parents": [{"ref": ref, "source_name": found[1], "yaml": found[0]}
                              for ref, found in entry.parents.items()],
                  "digest": entry.digest}
    return yaml.dump(bundle, Dumper=_Literal, allow_unicode=True, sort_keys=False, width=10_000)


def _refused(key: str, problems: list[Problem] | None = None, **params: object) -> ServiceError:
    return ServiceError(ServiceCode.BUNDLE_INVALID, Message.of(key, **params), problems or [])


def read_bundle(text: str) -> Bundle:
    """The bundle in ``text``, or ``bundle_invalid`` saying why; nothing here trusts the text."""
    if len(text.encode("utf-8")) > MAX_BUNDLE_BYTES:
        raise _refused("bundle_too_large", most=f"{MAX_BUNDLE_BYTES:,}")
    try:
        depth = 0
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                raise _refused("bundle_aliases")
            depth += isinstance(event, yaml.CollectionStartEvent) - isinstance(event, yaml.CollectionEndEvent)
            if depth > MAX_DEPTH:
                raise _refused("bundle_nests", most=MAX_DEPTH)
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise _refused("bundle_unreadable", problem=str(exc).splitlines()[0]) from None
    try:
        bundle = Bundle.model_validate(data)
    except ValidationError as exc:
        raise _refused("bundle_shape", input_problems(exc.errors()[:20], ServiceCode.BUNDLE_INVALID)) from None
    if len({p.ref for p in bundle.parents} | {bundle.standard.ref}) != len(bundle.parents) + 1:
        raise _refused("bundle_chain_twice")
    for part in (bundle.standard, *bundle.parents):  # a text is the ref it is filed under, or nothing trusts it
        written = Loader().run(part.yaml, part.source_name, until="parse").parsed
        if written is not None and written.ref != part.ref:
            raise _refused("bundle_mislabelled", ref=part.ref, written=written.ref)
    chain = {p.ref: (p.yaml, p.source_name) for p in bundle.parents}
    if content_digest(bundle.standard.ref, bundle.standard.yaml, bundle.standard.source_name, chain) != bundle.digest:
        raise _refused("bundle_digest")
    return bundle


def import_bundle(service: Service, community: str, text: str, *, actor: str) -> CatalogueEntryRead:
    """Add a bundle's standard to this server's catalogue, shared with the importing community.

    The standard must load from the bundle's own chain, and that chain must be exactly what it
    extends; the same bundle imported twice is the same entry.
    """
    bundle = read_bundle(text)
    chain = {p.ref: (p.yaml, p.source_name) for p in bundle.parents}
    standard = bundle.standard
    try:
        loaded = Loader(MemorySource({r: list(f) for r, f in chain.items()})).run(standard.yaml, standard.source_name)
        loaded.raise_problems()
    except RulesetError as exc:
        raise _refused("bundle_does_not_load", exc.problems, ref=standard.ref) from None
    if set(loaded.parents) != set(chain) or loaded.parsed is None or loaded.parsed.ref != standard.ref:
        raise _refused("bundle_chain", ref=standard.ref)
    # run where a draft's tests run: matching registers a ruleset in durable-rules' core for good, and
    # 360 imports grew the API process by 370 MB (found by attack); and before the write lock, not under it
    outcome = service.drafts.run(drafts.test_draft, standard.yaml, standard.source_name, chain, caller=actor)
    if "error" in outcome:
        raise _refused("bundle_does_not_load", drafts.problems(outcome), ref=standard.ref)
    catalogue_id, _, version = standard.ref.partition("@")
    with service.db.writing() as session:
        require_community(session, community)
        entry = store_entry(session, catalogue_id=catalogue_id, version=int(version), title=bundle.title,
                            text=standard.yaml, name=standard.source_name, parents=chain,
                            source_community=community,  # who vouches for it here; the bundle's claim is provenance
                            audience=[community], audience_title=None, origin="imported",
                            provenance={**bundle.provenance, "imported_by": actor, "imported_into": community,
                                        "imported_at": utcnow().isoformat()}, actor=actor,
                            tests_passed=sum(test["passed"] for test in outcome["tests"]))
        return read_entry(entry)
