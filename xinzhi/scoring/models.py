"""The outcome of posting, batching and importing facts."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from xinzhi.engine import Problem
from xinzhi.engine.amounts import Amount
from xinzhi.ledger.models import LedgerEntryRead

_RESTATED = ("earlier results changed because a fact arrived after facts dated later than it; "
             "each has a restatement entry in the ledger")


class Restated(BaseModel):
    """An earlier fact's amount under a rule, changed because a fact dated before it arrived later."""

    fact_id: str
    resident: str
    rule_id: str
    amount_before: Amount  # an award of tenths is restated in tenths (as ``int`` a late fact's batch was refused
    amount_after: Amount  # with a 500 after it had been stored)
    because: str = Field(description="the late fact that changed it")


_UNDER_REVIEW = ("awards of rules under committee review (``review: committee``): held, neither in the index "
                 "nor spendable, until the committee approves them; the ledger's ``held`` entry says the same")


class UnderReview(BaseModel):
    """An award the fact earned that waits for the committee (its number is the one to object to once shown)."""

    notice: int
    rule_id: str
    rule_title: str
    amount: Amount
    status: Literal["pending", "approved", "rejected", "reversed"]


class FactResult(BaseModel):
    """The outcome of posting one fact; ``duplicate`` when the id was seen before."""

    fact_id: str
    resident: str
    ruleset: str
    duplicate: bool
    entries: list[LedgerEntryRead]
    under_review: list[UnderReview] = Field(default_factory=list, description=_UNDER_REVIEW)
    restated: list[Restated] = Field(default_factory=list, description=_RESTATED)


class EntryBrief(BaseModel):
    """A ledger entry in a batch result; the full explanation is in the resident's ledger."""

    seq: int
    rule_id: str | None
    amount: Amount
    raw_amount: Amount
    limited_by: str | None
    index_delta: Amount
    points_delta: Amount


class FactBrief(BaseModel):
    """A fact's outcome in a batch: brief entries unless the batch asked for explained ones."""

    fact_id: str
    resident: str
    ruleset: str
    duplicate: bool
    entries: list[EntryBrief] | list[LedgerEntryRead]
    under_review: list[UnderReview] = Field(default_factory=list, description=_UNDER_REVIEW)


class FactBatchResult(BaseModel):
    """A batch's outcome: how many facts were scored, how many were seen before, and each fact's result."""

    scored: int
    duplicates: int
    ignored: int = Field(default=0, description="facts of types the ruleset in force does not define, skipped "
                                                 "because it or the request said to ignore them")
    results: list[FactBrief]
    restated: list[Restated] = Field(default_factory=list, description=_RESTATED)


class ImportResult(BaseModel):
    """A CSV import's outcome: rows read, scored, seen before, and the rows skipped with their problems."""

    rows: int
    scored: int
    duplicates: int
    ignored: int = Field(default=0, description="facts of types the ruleset in force does not define, skipped "
                                                 "because it or the request said to ignore them")
    skipped: int
    restated: list[Restated] = Field(default_factory=list, description=_RESTATED)
    errors: list[Problem] = Field(description="the skipped rows' problems, the first 1,000; ``row`` is the line in "
                                              "the file (the header is row 1)")
    errors_total: int = Field(default=0, description="how many problems the skipped rows had, listed or not")
