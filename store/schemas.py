"""Models that cross the service boundary, in families (``ResidentCreate``, ``ResidentRead``)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from engine import FactIn

Zone = Literal["north", "south"]
Kind = Literal["award", "deduction", "redemption", "refund", "adjustment", "expiry"]


class CommunityCreate(BaseModel):
    id: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,63}$")
    name: str = Field(min_length=1, max_length=200)


class CommunityRead(CommunityCreate):
    residents: int = 0


class ResidentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=128)
    name: str = Field(min_length=1, max_length=200)
    zone: Zone
    household: str | None = Field(default=None, max_length=128)
    roles: list[Literal["party_member", "alley_steward", "grid_worker", "council_member",
                        "resident_representative", "owners_committee_member", "volunteer"]] = []


class ResidentRead(ResidentCreate):
    community: str
    masked_name: str


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


class LedgerEntryRead(BaseModel):
    """One ledger entry with its explanation: fact, ruleset, rule, amount before and after limits."""

    seq: int
    resident: str
    kind: Kind
    amount: int
    raw_amount: int
    index_delta: int
    points_delta: int
    accounts: list[str]
    category: str | None
    rule_id: str | None
    ruleset: str | None
    fact_id: str | None
    limited_by: str | None
    occurred_at: dt.datetime
    points_expire_on: dt.date | None
    explanation: dict[str, Any]
    created_at: dt.datetime


class FactResult(BaseModel):
    """The outcome of posting one fact; ``duplicate`` when the id was seen before."""

    fact_id: str
    resident: str
    ruleset: str
    duplicate: bool
    entries: list[LedgerEntryRead]


class EntryBrief(BaseModel):
    """A ledger entry in a batch result; the full explanation is in the resident's ledger."""

    seq: int
    rule_id: str | None
    amount: int
    raw_amount: int
    limited_by: str | None
    index_delta: int
    points_delta: int


class FactBrief(BaseModel):
    fact_id: str
    resident: str
    ruleset: str
    duplicate: bool
    entries: list[EntryBrief] | list[LedgerEntryRead]


class FactBatchResult(BaseModel):
    scored: int
    duplicates: int
    results: list[FactBrief]


class ImportRowError(BaseModel):
    row: int = Field(description="1-based line number in the file (the header is line 1)")
    fact_id: str | None
    code: str
    message: str
    path: str | None = None


class ImportResult(BaseModel):
    rows: int
    scored: int
    duplicates: int
    skipped: int
    errors: list[ImportRowError]


class CategoryTotal(BaseModel):
    category: str
    title: str | None = None
    index: int
    points: int
    entries: int


class ExpiringPoints(BaseModel):
    expires_on: dt.date
    points: int


class ScoreRead(BaseModel):
    """A resident's standing as of a date: index, points, tier, per-category totals."""

    community: str
    resident: str
    name: str
    zone: str
    household: str | None
    as_of: dt.date
    ruleset: str | None
    index: int
    points: int
    tier: str | None
    tier_title: str | None
    categories: list[CategoryTotal]
    expiring: list[ExpiringPoints]
    entries: int


class LedgerPage(BaseModel):
    resident: str
    total: int
    offset: int
    limit: int
    entries: list[LedgerEntryRead]


class ZoneTotal(BaseModel):
    zone: str
    residents: int
    index_total: int
    index_average: float
    points_total: int
    awarded: int
    deducted: int


class MonthTotal(BaseModel):
    month: str
    awarded: int
    deducted: int
    entries: int


class CommunitySummary(BaseModel):
    community: str
    as_of: dt.date
    residents: int
    facts: int
    zones: list[ZoneTotal]
    categories: list[CategoryTotal]
    months: list[MonthTotal]
    tiers: dict[str, int]


class HouseholdRead(BaseModel):
    community: str
    household: str
    as_of: dt.date
    members: list[ScoreRead]
    index_total: int
    index_average: float
    points_total: int


class ExpiryRun(BaseModel):
    community: str
    as_of: dt.date
    entries_written: int
    points_expired: int


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
