"""Communities and their residents as they cross the service boundary."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Zone = Literal["north", "south"]


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
