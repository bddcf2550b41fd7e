"""Council cases: reports, convening, closing with satisfaction, statistics."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from xinzhi.communities.models import LabelId

#: Where a case stands (``GET …/cases?status=``).
CaseStatus = Literal["reported", "convened", "closed"]
CaseKind = Literal["neighbour_dispute", "parking_space", "water_leak", "noise", "other"]


MemberRole = Literal["staff", "property_company", "alley_steward", "resident_representative"]


class CaseReport(BaseModel):
    """A problem brought to the council; a ``reported_at`` without offset is Shanghai time, none is now."""

    model_config = ConfigDict(extra="forbid")  # a misspelt key is refused, never ignored

    kind: CaseKind
    zone: LabelId = Field(description="one of the community's zones (any id if it declares none)")
    building: str | None = Field(default=None, max_length=64)
    description: str = Field(min_length=1, max_length=4000)
    parties: list[str] = Field(min_length=1, max_length=20, description="resident ids of the parties")
    reported_by: str = Field(min_length=1, max_length=128, description="resident id or grid worker's name")
    reported_at: dt.datetime | None = None


class CouncilMember(BaseModel):
    """One member of a convened council; a member who is a resident is awarded as a mediator."""

    model_config = ConfigDict(extra="forbid")  # a misspelt key is refused, never ignored

    name: str = Field(min_length=1, max_length=200)
    role: MemberRole
    resident: str | None = Field(default=None, max_length=128,
                                 description="the member's resident id; residents are awarded as mediators")


class CaseConvene(BaseModel):
    """The members a case is convened with."""

    model_config = ConfigDict(extra="forbid")  # a misspelt key is refused, never ignored

    members: list[CouncilMember] = Field(min_length=1, max_length=30)


class CaseClose(BaseModel):
    """How a case ended: its outcome and every party's satisfaction (1–5), no one else's."""

    model_config = ConfigDict(extra="forbid")  # a misspelt key is refused, never ignored

    outcome: str = Field(min_length=1, max_length=4000)
    satisfaction: dict[Annotated[str, Field(max_length=128)], Annotated[int, Field(ge=1, le=5)]] = Field(
        max_length=20, description="each party's satisfaction, 1–5")


class CaseRead(BaseModel):
    """A council case as staff follow it; ``awards`` is filled only in the answer to closing it."""

    community: str
    id: str
    kind: str
    zone: str
    building: str | None
    description: str
    parties: list[str]
    reported_by: str
    status: CaseStatus
    members: list[dict[str, Any]]
    outcome: str | None
    satisfaction: dict[str, int] | None
    fact_ids: list[str] | None
    reported_at: dt.datetime
    convened_at: dt.datetime | None
    closed_at: dt.datetime | None
    days_to_close: float | None
    created_by: str
    closed_by: str | None
    awards: list[dict[str, Any]] = []


class CaseStats(BaseModel):
    """A community's council cases counted: open and closed, resolution rate, per zone, month and kind."""

    community: str
    total: int
    open: int
    closed: int
    resolution_rate: float
    average_days_to_close: float | None
    by_zone: dict[str, dict[str, int]]
    by_month: dict[str, dict[str, int]]
    by_kind: dict[str, int]
