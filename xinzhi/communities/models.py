"""Communities and their residents as they cross the service boundary."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Zone = Literal["north", "south"]


class CommunityCreate(BaseModel):
    """A community as it is opened: a lower-case id (used in every URL) and a display name."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,63}$")
    name: str = Field(min_length=1, max_length=200)


class CommunityRead(CommunityCreate):
    """A community with the number of its registered residents."""

    residents: int = 0


class ResidentCreate(BaseModel):
    """A resident as staff register or update them: zone, household and community roles."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=128)
    name: str = Field(min_length=1, max_length=200)
    zone: Zone
    household: str | None = Field(default=None, max_length=128)
    roles: list[Literal["party_member", "alley_steward", "grid_worker", "council_member",
                        "resident_representative", "owners_committee_member", "volunteer"]] = Field(
        default=[], max_length=16)


class ResidentRead(ResidentCreate):
    """A registered resident, with the name as the public board masks it."""

    community: str
    masked_name: str
