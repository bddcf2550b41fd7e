"""Ledger entries, balances and reports as they cross the service boundary."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

from xinzhi.engine.amounts import Amount

Kind = Literal["award", "deduction", "redemption", "refund", "adjustment", "expiry", "restatement", "reset"]


class LedgerEntryRead(BaseModel):
    """One ledger entry with its explanation: fact, ruleset, rule, amount before and after limits."""

    seq: int
    resident: str = Field(description="the account: the resident's, or the household's")
    member: str | None = Field(default=None, description="where a household holds the account: the member "
                                                         "whose fact (or redemption) it is")
    kind: Kind
    amount: Amount
    raw_amount: Amount
    index_delta: Amount
    points_delta: Amount
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


class CategoryTotal(BaseModel):
    """One category's index, points and entry count (``(none)`` for entries of no category)."""

    category: str
    title: str | None = None
    index: Amount
    points: Amount
    entries: int


class ExpiringPoints(BaseModel):
    """Points a resident still holds that expire at the end of ``expires_on``."""

    expires_on: dt.date
    points: Amount


class ScoreRead(BaseModel):
    """A resident's standing as of a date: index, points, tier, per-category totals."""

    community: str
    resident: str
    name: str
    zone: str
    household: str | None
    as_of: dt.date
    ruleset: str | None
    index: Amount
    points: Amount
    tier: str | None
    tier_title: str | None
    flags: list[str] = Field(default_factory=list, description="flags set by vetoes in force (一票否决), "
                                                               "e.g. commendation_ineligible")
    tier_capped_by: str | None = Field(default=None, description="the veto that caps the tier, in words")
    categories: list[CategoryTotal]
    expiring: list[ExpiringPoints]
    entries: int


class LedgerPage(BaseModel):
    """One page of a resident's explained ledger, with the total number of entries for paging."""

    resident: str
    total: int
    offset: int
    limit: int
    entries: list[LedgerEntryRead]


class ZoneTotal(BaseModel):
    """A zone's residents and sums: index (total and mean), points held, awarded and deducted."""

    zone: str
    title: str = Field(description="the zone's title as the community declared it (its id otherwise)")
    residents: int
    index_total: Amount
    index_average: float
    points_total: Amount
    awarded: Amount
    deducted: Amount


class MonthTotal(BaseModel):
    """One month's (Asia/Shanghai) awards, deductions and entries across the community."""

    month: str
    awarded: Amount
    deducted: Amount
    entries: int


class CommunitySummary(BaseModel):
    """A community as of a day: totals by zone, category and month, and residents per tier."""

    community: str
    as_of: dt.date
    residents: int
    facts: int
    zones: list[ZoneTotal]
    categories: list[CategoryTotal]
    months: list[MonthTotal]
    tiers: dict[str, int]


class MemberContribution(BaseModel):
    """What one member's facts moved in the household's account (where households hold the accounts)."""

    resident: str | None = Field(description="the member; none for facts of the household as a whole and for "
                                             "entries of the account itself (redemptions, resets)")
    name: str | None = None
    index: Amount
    points: Amount
    entries: int


class HouseholdRead(BaseModel):
    """A household: its members' scores and totals, or, where households hold the accounts, its own account."""

    community: str
    household: str
    as_of: dt.date
    held_by: Literal["resident", "household"] = "resident"
    members: list[ScoreRead] = Field(description="each member's own account (where residents hold the accounts)")
    account: ScoreRead | None = Field(default=None, description="the household's account (where households "
                                                                "hold the accounts): its index, points and tier")
    contributions: list[MemberContribution] = Field(default_factory=list, description="what each member's facts "
                                                    "moved in the household's account")
    index_total: Amount
    index_average: float
    points_total: Amount


class ExpiryRun(BaseModel):
    """What one expiry run wrote: entries and points expired (zero when run again)."""

    community: str
    as_of: dt.date
    entries_written: int
    points_expired: Amount
