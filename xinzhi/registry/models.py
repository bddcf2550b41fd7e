"""Ruleset versions, the publish gate's outcome, diffs and dry-runs as they cross the service boundary."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from xinzhi.engine import FactIn, Mismatch
from xinzhi.engine.moments import FIRST_DAY, LAST_DAY
from xinzhi.settings import BATCH_CEILING

#: Where a stored version stands (``GET …/rulesets?status=``).
RulesetStatus = Literal["draft", "published"]


class RulesetSummary(BaseModel):
    """A stored ruleset version without its text: dates, status and parent."""

    community: str
    id: str
    version: int
    ref: str
    title: str
    status: RulesetStatus
    effective_from: dt.date
    effective_to: dt.date | None
    extends: str | None
    created_at: dt.datetime
    published_at: dt.datetime | None


class RulesetRead(RulesetSummary):
    """A stored version with its YAML as uploaded and the ruleset as resolved now."""

    yaml: str
    resolved: dict[str, Any]


class TestOutcomeRead(BaseModel):
    """One embedded test's outcome, with each failed expectation in words and as data."""

    name: str
    passed: bool
    failures: list[str] = []
    mismatches: list[Mismatch] = []


class PublishResult(BaseModel):
    """A version just published, with the embedded test outcomes that let it through."""

    ruleset: RulesetSummary
    tests: list[TestOutcomeRead]


class RuleChange(BaseModel):
    """How one rule differs between two versions."""

    rule: str
    change: Literal["added", "removed", "changed"]
    fields: dict[str, dict[str, Any]] = Field(default_factory=dict,
                                              description="for a change: each part with its before and after")


class RulesetDiff(BaseModel):
    """Two versions of a ruleset compared, rule by rule and in their other parts."""

    ruleset: str
    base: str
    other: str
    rules: list[RuleChange]
    other_changes: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="every other part that differs, each with its before and after: dates, "
                                          "accounts, tiers, …; an item of a list by its id (a test by its name), "
                                          "e.g. 'categories[care]', 'tests[…]', showing the keys that differ")


class DryRunIn(BaseModel):
    """Facts to score under a stored version, storing nothing."""

    model_config = ConfigDict(extra="forbid")  # a misspelt key is refused, never ignored

    facts: list[FactIn] = Field(max_length=BATCH_CEILING)
    explain: bool = True
    closes_until: dt.date | None = Field(default=None, ge=FIRST_DAY, le=LAST_DAY,
                                         description="close the periods that end by this day: period rules "
                                                     "(streaks, absences) pay for them")


class DryRunInline(DryRunIn):
    """Facts to score under a ruleset text that is not stored (evaluated in a draft worker)."""

    ruleset: str = Field(description="a draft ruleset's YAML text")


class DryRunResult(BaseModel):
    """A dry-run's awards, misses and balances from empty accounts; nothing was stored."""

    ruleset: str
    draft: bool
    awards: list[dict[str, Any]]
    misses: list[dict[str, Any]]
    resets: list[dict[str, Any]] = Field(default_factory=list, description="accounts set back at the ends of the "
                                         "periods closed (年度清零), each with its sentence")
    balances: list[dict[str, Any]]
    ignored: int = Field(default=0, description="facts of types the ruleset does not define, skipped because it "
                                                 "says to ignore them")
