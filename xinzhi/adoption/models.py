"""Adoption records as they cross the service boundary: a body's decision, and where a version stands."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from xinzhi.clock import today
from xinzhi.communities.models import LabelId
from xinzhi.engine.errors import Refusal
from xinzhi.engine.moments import FIRST_DAY, LAST_DAY, Day


class ItemComment(BaseModel):
    """A body's word on one item of the draft: a rule id, a part (``tiers``), or ``总体``."""

    model_config = ConfigDict(extra="forbid")

    item: str = Field(min_length=1, max_length=200)
    text: str = Field(min_length=1, max_length=2000)


class DecisionIn(BaseModel):
    """What a body decided at its meeting, recorded by the committee."""

    model_config = ConfigDict(extra="forbid")

    body: LabelId = Field(description="one of the community's declared bodies")
    decision: Literal["approve", "reject", "comment"]
    held_on: Day = Field(ge=FIRST_DAY, le=LAST_DAY, description="the day the body met, today at the latest; the "
                                                                  "latest meeting's decision is the body's")
    recorded_by: str = Field(min_length=1, max_length=100, description="who took the record, e.g. 会议记录人 王芳")
    comments: list[ItemComment] = Field(default_factory=list, max_length=200)

    @field_validator("held_on")
    @classmethod
    def _met(cls, day: dt.date) -> dt.date:
        """A meeting to come decides nothing yet (found by attack: 2099-01-01 was recorded as an approval)."""
        if day > today():
            raise Refusal(f"{day} is after today: record a meeting once it is held", "input.held_later", day=day)
        return day


class DecisionRead(DecisionIn):
    """A recorded decision: on which text of the version, by which token, when."""

    seq: int
    ruleset: str
    yaml_digest: str
    actor: str
    created_at: dt.datetime
    current: bool = Field(description="about the version's text as it is now (an edited draft needs a new decision)")


class BodyStatus(BaseModel):
    """One body: whether it must approve, its latest decision on the current text, and every decision."""

    id: str
    title: str
    required: bool
    latest: Literal["approve", "reject", "comment"] | None
    decisions: list[DecisionRead]


class AdoptionRecord(BaseModel):
    """Where a version stands with the community's bodies; it stays with the version once published."""

    ruleset: str
    status: Literal["draft", "published"]
    bodies: list[BodyStatus]
    complete: bool = Field(description="every required body's latest decision on the current text is approve")
    missing: list[str] = Field(description="titles of the required bodies that have not approved it")
