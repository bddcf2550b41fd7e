"""Committee review, objections, appeals and the public board as they cross the service boundary."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from xinzhi.counts import Whole
from xinzhi.engine.amounts import EXACT, Amount, schema
from xinzhi.engine.errors import Refusal
from xinzhi.ledger.models import LedgerEntryRead

#: Where an award under review stands, and an objection (``GET …/reviews?status=``, ``…/objections?status=``).
ReviewStatus = Literal["pending", "approved", "rejected", "reversed"]
ObjectionStatus = Literal["open", "upheld", "dismissed"]

#: What an appeal may set an entry to, or move an account by.
Correction = Annotated[Decimal, *EXACT, Field(ge=-10_000, le=10_000), schema(minimum=-10_000, maximum=10_000)]


class BoardLine(BaseModel):
    """One line of a zone's public ranking: rank, masked name, index and tier."""

    rank: int
    name: str
    index: Amount
    tier: str | None
    tier_title: str | None


class BoardZone(BaseModel):
    """A zone on the public board: how many residents, how many in each tier, the top of the ranking."""

    zone: str
    title: str = Field(description="the zone's title as the community declared it (its id otherwise)")
    residents: int
    tiers: dict[str, int]
    ranking: list[BoardLine]


class PublicityNotice(BaseModel):
    """An approved award in its publicity period (公示), as the public board shows it: no personal data."""

    notice: int
    name: str = Field(description="masked, e.g. 王*英")
    zone: str | None
    rule: str
    amount: Amount
    approved_on: str | None = Field(description="ISO date")
    objections_until: str | None = Field(description="ISO time the publicity period ends")


class BoardRead(BaseModel):
    """The public board anyone may read: rankings by zone and awards in publicity, no personal data."""

    community: str
    name: str
    as_of: dt.date
    ruleset: str | None
    ruleset_title: str | None = Field(default=None, description="the standard's title, as a person reads it")
    zones: list[BoardZone]
    publicity: list[PublicityNotice]


class ReviewRead(BaseModel):
    """An award held for committee review and how it was decided; ``notice`` is what objections cite."""

    notice: int = Field(description="the review's number; the public board shows it for objections")
    community: str
    resident: str
    fact_id: str
    rule_id: str
    rule_title: str
    amount: Amount
    status: ReviewStatus
    decided_by: str | None
    decided_at: dt.datetime | None
    publicity_until: dt.datetime | None
    created_at: dt.datetime


class ReviewDecision(BaseModel):
    """The committee's decision on a held award, with an optional reason for the ledger."""

    model_config = ConfigDict(extra="forbid")  # a misspelt key is refused, never ignored

    decision: Literal["approve", "reject"]
    reason: str | None = Field(default=None, max_length=2000)


class ObjectionCreate(BaseModel):
    """A resident's objection to an award on the public board, by its notice number."""

    model_config = ConfigDict(extra="forbid")  # a misspelt key is refused, never ignored

    notice: Whole = Field(ge=1, le=2**62)
    reason: str = Field(min_length=2, max_length=2000)


class ObjectionResolve(BaseModel):
    """The committee's resolution of an objection; upheld reverses the released award."""

    model_config = ConfigDict(extra="forbid")  # a misspelt key is refused, never ignored

    decision: Literal["upheld", "dismissed"]
    resolution: str = Field(min_length=2, max_length=2000)


class ObjectionRead(BaseModel):
    """An objection and, once resolved, how, by whom and with which reversing entry."""

    seq: int
    community: str
    notice: int
    filed_by: str
    reason: str
    status: ObjectionStatus
    resolution: str | None
    ledger_seq: int | None
    resolved_by: str | None
    created_at: dt.datetime
    resolved_at: dt.datetime | None


class AppealCreate(BaseModel):
    """An appeal the committee decides: reverse or correct a ledger entry, or adjust a resident's accounts."""

    model_config = ConfigDict(extra="forbid")  # a misspelt key is refused, never ignored

    action: Literal["reverse", "correct", "adjust"]
    reason: str = Field(min_length=2, max_length=2000)
    entry: Whole | None = Field(default=None, ge=1, le=2**62, validate_default=True,
                              description="ledger entry seq (reverse, correct)")
    amount: Correction | None = Field(
        default=None, validate_default=True, description="correct: the amount the entry should have had")
    resident: str | None = Field(default=None, max_length=128, validate_default=True,
                                 description="adjust: whose accounts")
    index_delta: Correction = Field(default=Decimal(0), description="adjust: change of the index")
    points_delta: Correction = Field(default=Decimal(0), validate_default=True,
                                     description="adjust: change of the points")

    @field_validator("entry", "amount", "resident")
    @classmethod
    def _needed(cls, value: object, info: ValidationInfo) -> object:
        """Refused at the field an action needs (a check of the whole model would name no field)."""
        action = info.data.get("action")  # absent when the action itself was refused
        if value in (None, "") and action in _NEEDED[info.field_name or ""]:
            raise Refusal(f"'{action}' needs '{info.field_name}'", "input.needed_for", action=action)
        return value

    @field_validator("points_delta")
    @classmethod
    def _moves(cls, value: Decimal, info: ValidationInfo) -> Decimal:
        if info.data.get("action") == "adjust" and not value and not info.data.get("index_delta", 1):
            raise Refusal("'adjust' needs a non-zero index_delta or points_delta", "input.adjusts_nothing")
        return value


#: The fields an appeal's action needs.
_NEEDED = {"entry": ("reverse", "correct"), "amount": ("correct",), "resident": ("adjust",)}


class AppealRead(BaseModel):
    """A decided appeal: the entry appealed (none for an adjustment) and the entry that settles it."""

    community: str
    seq: int
    resident: str
    action: str
    target: int | None
    reason: str
    decided_by: str
    created_at: dt.datetime
    original: LedgerEntryRead | None
    correction: LedgerEntryRead
