"""Ruleset versions, the publish gate's outcome, diffs and dry-runs as they cross the service boundary."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

from xinzhi.engine import FactIn


class RulesetSummary(BaseModel):
    community: str
    id: str
    version: int
    ref: str
    title: str
    status: Literal["draft", "published"]
    effective_from: dt.date
    effective_to: dt.date | None
    extends: str | None
    created_at: dt.datetime
    published_at: dt.datetime | None


class RulesetRead(RulesetSummary):
    yaml: str
    resolved: dict[str, Any]


class TestOutcomeRead(BaseModel):
    name: str
    passed: bool
    failures: list[str] = []


class PublishResult(BaseModel):
    ruleset: RulesetSummary
    tests: list[TestOutcomeRead]


class RuleChange(BaseModel):
    rule: str
    change: Literal["added", "removed", "changed"]
    fields: dict[str, dict[str, Any]] = Field(default_factory=dict,
                                              description="for a change: each part with its before and after")


class RulesetDiff(BaseModel):
    ruleset: str
    base: str
    other: str
    rules: list[RuleChange]
    other_changes: dict[str, dict[str, Any]] = Field(default_factory=dict,
                                                     description="accounts, tiers, categories, dates")


class DryRunIn(BaseModel):
    facts: list[FactIn]
    explain: bool = True


class DryRunInline(DryRunIn):
    ruleset: str = Field(description="a draft ruleset's YAML text")


class DryRunResult(BaseModel):
    ruleset: str
    draft: bool
    awards: list[dict[str, Any]]
    misses: list[dict[str, Any]]
    balances: list[dict[str, Any]]
