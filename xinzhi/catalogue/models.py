"""Shared standards as they cross the service boundary: an entry, a share, a derivation, a bundle."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from xinzhi.communities.models import COMMUNITY_ID
from xinzhi.counts import Whole
from xinzhi.engine import Problem
from xinzhi.engine.ruleset import Identifier
from xinzhi.registry.models import RulesetDiff

CommunityRef = Annotated[str, Field(pattern=COMMUNITY_ID)]


class StandardSummary(BaseModel):
    """What a standard covers, as a committee browsing the catalogue reads it."""

    description: str | None = None
    effective_from: dt.date
    extends: str | None
    categories: list[str] = Field(description="category titles")
    fact_types: list[str] = Field(description="fact type titles")
    rules: int
    tests: int
    tests_passed: int


class CatalogueEntryRead(BaseModel):
    """A shared standard: who shared it, with whom, what it covers and its tests' status."""

    catalogue_id: str
    version: int
    ref: str
    title: str
    source_community: str
    audience: list[str] | None = Field(description="the communities it is shared with; null: every community")
    audience_title: str | None = Field(description="the group's name, e.g. a town")
    summary: StandardSummary
    origin: Literal["shared", "imported"]
    provenance: dict[str, Any]
    digest: str = Field(description="sha256 of the standard and its whole extends chain, as in its bundle")
    shared_by: str
    shared_at: dt.datetime


class CatalogueEntryText(CatalogueEntryRead):
    """An entry with its YAML and the texts of its frozen ``extends`` chain."""

    yaml: str
    parents: dict[str, str] = Field(description="ref → YAML of each parent in its extends chain")


class ShareIn(BaseModel):
    """Share a published version with every community on the server, or with a named group of them."""

    model_config = ConfigDict(extra="forbid")

    communities: list[CommunityRef] | None = Field(default=None, max_length=500,
                                              description="the group's communities; omitted: every community")
    group_title: str | None = Field(default=None, min_length=1, max_length=200, description="e.g. 某某镇")


class OverrideStatus(BaseModel):
    """One of the child's overrides against the parent's new version.

    ``applies``: the rule is still there and the parent left the overridden keys alone;
    ``parent_changed``: the parent changed a key the child overrides (the child's value still
    wins — the committee should know what it now overrides); ``rule_removed``: the parent no
    longer has the rule, so the override points at nothing (a located problem too).
    """

    rule: str
    status: Literal["applies", "parent_changed", "rule_removed"]
    keys: list[str] = Field(description="the keys the override sets")
    parent_changed: list[str] = Field(default_factory=list)
    parent_before: dict[str, Any] = Field(default_factory=dict)
    parent_after: dict[str, Any] = Field(default_factory=dict)


class UpstreamPreview(BaseModel):
    """What moving a derived standard onto a newer version of its parent would change; nothing is stored."""

    ruleset: str
    extends: str | None = Field(description="the parent it is pinned to now")
    newer: list[int] = Field(description="newer versions of the parent in the catalogue, shared with this community")
    target: str | None = None
    problems: list[Problem] = Field(default_factory=list, description="the moved text's problems, at their lines")
    diff: RulesetDiff | None = Field(default=None, description="resolved now → resolved on the new parent "
                                                                   "(none when the moved text cannot be resolved)")
    parent_diff: RulesetDiff | None = Field(default=None, description="what the parent itself changed")
    overrides: list[OverrideStatus] = Field(default_factory=list)
    yaml: str | None = Field(default=None, description="the child's text moved onto the new parent")


class AdoptIn(BaseModel):
    """Adopt a newer parent version: the child's next draft, pinned to it."""

    model_config = ConfigDict(extra="forbid")

    to: Whole = Field(ge=1, le=2**31 - 1, description="the parent's version to move to")


class DeriveIn(BaseModel):
    """Start this community's own standard from a shared one: a draft that extends it, pinned to its version."""

    model_config = ConfigDict(extra="forbid")

    id: Identifier = Field(description="the new standard's id")
    title: str = Field(min_length=1, max_length=300)
    effective_from: dt.date
