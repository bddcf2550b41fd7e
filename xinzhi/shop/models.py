"""The credit supermarket's items and redemptions as they cross the service boundary."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from xinzhi.counts import Whole
from xinzhi.engine import SHANGHAI
from xinzhi.engine.errors import Refusal
from xinzhi.engine.moments import FIRST_DAY, ISO_DAY, LAST_DAY

ItemKind = Literal["goods", "course", "service"]


class ItemCreate(BaseModel):
    """An item as staff put it on the credit supermarket's shelf: price, stock, lowest tier allowed."""

    model_config = ConfigDict(extra="forbid")  # a misspelt key is refused, never ignored

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
    kind: ItemKind
    title: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    price: Whole = Field(ge=1, le=1_000_000, description="points per unit")
    stock: Whole = Field(ge=0, le=1_000_000, description="units in stock; seats for a course")
    min_tier: str | None = Field(default=None, max_length=16, description="lowest tier that may redeem, e.g. A")
    active: bool = True


class ItemRead(ItemCreate):
    """An item of a community's credit supermarket."""

    community: str


_ISO_MOMENT = re.compile(ISO_DAY.pattern + "[T ]")  # how a moment's text starts: its day, then its time


class RedemptionCreate(BaseModel):
    """A resident's request to spend points on some units of an item.

    ``id`` is the client's: the same request sent twice (a double tap, a retry after a
    timeout) spends once. Staff entering a paper voucher date it with ``redeemed_at``.
    """

    model_config = ConfigDict(extra="forbid")  # a misspelt key is refused, never ignored

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$",
                    description="chosen by the client (e.g. a UUID); the same id again returns the first result")
    resident: str = Field(min_length=1, max_length=128)
    item: str = Field(min_length=1, max_length=64)
    quantity: Whole = Field(default=1, ge=1, le=100)
    redeemed_at: dt.datetime | None = Field(
        default=None, description="when it happened (a paper voucher entered later); without an offset it is "
                                  "Shanghai time; default now. Not in the future, not before the resident's "
                                  "first entry or last expiry")

    @field_validator("redeemed_at", mode="before")
    @classmethod
    def _written(cls, moment: Any) -> Any:
        """A moment is ISO 8601 text, a day and a time: a number is never a Unix time.

        Found by attack: 1709164800, or "1709164800", was 2024-02-29 in UTC.
        """
        if moment is not None and not isinstance(moment, dt.datetime) and not (
                isinstance(moment, str) and _ISO_MOMENT.match(moment)):
            raise Refusal("write the moment as text, 2024-06-01T10:00:00+08:00", "input.moment_written")
        return moment

    @field_validator("redeemed_at")
    @classmethod
    def _shanghai(cls, moment: dt.datetime | None) -> dt.datetime | None:
        if moment is None:
            return None
        if not FIRST_DAY.year <= moment.year <= LAST_DAY.year:
            raise Refusal(f"a redemption is dated between {FIRST_DAY.year} and {LAST_DAY.year}",
                          "input.redeemed_between", first=FIRST_DAY.year, last=LAST_DAY.year)
        return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)


class RedemptionRead(BaseModel):
    """A redemption as the counter and the resident see it."""

    community: str
    id: str
    resident: str
    item: str
    item_title: str | None = None
    quantity: int
    points: int
    status: Literal["completed", "cancelled"]
    redeemed_at: dt.datetime
    duplicate: bool = Field(default=False, description="this id was redeemed before: its first result")
    ledger_seq: int
    refund_seq: int | None
    points_after: int | None = Field(default=None, description="the points the holder could still spend right "
                                     "after it: in the answer that made it (a duplicate's or a later read's is null)")
    created_by: str
    cancelled_by: str | None
    cancel_reason: str | None
    created_at: dt.datetime
    cancelled_at: dt.datetime | None
