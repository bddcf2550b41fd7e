"""Communities and their residents as they cross the service boundary."""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from xinzhi.clock import today
from xinzhi.engine.errors import Refusal
from xinzhi.engine.moments import FIRST_DAY, LAST_DAY, Day

#: A zone's or a role's id: what residents, facts and reports carry (``north``, ``group-3``, ``party_member``).
LabelId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")]
#: A community id as it appears in every URL; no other id can exist, so a path holding another is malformed.
COMMUNITY_ID = r"^[a-z][a-z0-9_-]{0,63}$"


def _printable(name: str) -> str:
    """A name people read on the board, in reports and in Excel: no control or invisible format characters.

    A right-to-left override (U+202E) in a name turns the rest of a board's line around; a control
    character breaks a spreadsheet's cell.
    """
    bad = next((c for c in name if unicodedata.category(c) in ("Cc", "Cf")), None)
    if bad is not None:
        raise Refusal(f"a name may not hold the invisible character U+{ord(bad):04X}", "input.invisible_character",
                      code=f"U+{ord(bad):04X}")
    return name


#: What a resident is called: 1–200 characters people can see, no spaces around them (" 张三" was masked " **三").
PersonName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
                       AfterValidator(_printable)]


class Label(BaseModel):
    """A zone (片区, 村民小组, building, grid cell) or a resident role, as the community names it."""

    model_config = ConfigDict(extra="forbid")

    id: LabelId
    title: str = Field(min_length=1, max_length=100, description="what people read: 北区, 第三村民小组, 党员")


class Body(Label):
    """A body that studies a draft standard before it is adopted: 两委会, 党员大会, 股东代表大会, 居民代表大会."""

    required: bool = Field(default=True, description="its approval is needed before a version can be published")


class CommunityConfiguration(BaseModel):
    """How a community describes itself: its zones or groups, residents' roles, and the bodies that adopt standards.

    A version is published only once every required body has approved it (``xinzhi.adoption``).

    ``None`` leaves a list undeclared: any zone (or role) id is then accepted as given.
    Once declared, residents and cases must use the declared ids, and reports show the titles.
    """

    model_config = ConfigDict(extra="forbid")

    zones: list[Label] | None = Field(default=None, max_length=500)
    roles: list[Label] | None = Field(default=None, max_length=100)
    bodies: list[Body] | None = Field(default=None, max_length=20)

    @field_validator("zones", "roles", "bodies")
    @classmethod
    def _distinct(cls, labels: list[Label] | None) -> list[Label] | None:
        ids = [label.id for label in labels or ()]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"declared more than once: {', '.join(twice)}")
        return labels


class CommunityCreate(CommunityConfiguration):
    """A community as it is opened or changed: a lower-case id (used in every URL), a name, its zones and roles."""

    id: str = Field(pattern=COMMUNITY_ID)
    name: str = Field(min_length=1, max_length=200)


class CommunityRead(CommunityCreate):
    """A community with its configuration and the number of its registered residents."""

    residents: int = 0


def _addressable(value: str) -> str:
    """An id that can stand in an address (``/residents/{id}/score``): no ``/``, no control character, not ``.``/``..``.

    Found by attack: a resident ``a/b`` registered, earned and spent, and its own pages answered 404.
    """
    if value in (".", "..") or any(c == "/" or c < " " or c == "\x7f" for c in value):
        raise Refusal(f"'{value}' cannot be an id: an id holds no '/' or control character and is not '.' or '..'",
                      "input.id_unaddressable", value=value)
    return value


RecordId = Annotated[str, AfterValidator(_addressable), Field(min_length=1, max_length=128)]


class ResidentCreate(BaseModel):
    """A resident as staff register or update them: zone, household and community roles."""

    model_config = ConfigDict(extra="forbid")

    id: RecordId
    name: PersonName
    zone: LabelId = Field(description="one of the community's zones (any id if it declares none)")
    household: Annotated[str, AfterValidator(_addressable), Field(max_length=128)] | None = None
    roles: list[LabelId] = Field(default=[], max_length=16, description="of the community's roles (each once)")
    moved_in: Day | None = Field(
        default=None, ge=FIRST_DAY, le=LAST_DAY,
        description="the first day the resident lives in the community (入住), today at the latest: period rules "
                    "(连续 12 个月无违规) count no period that began before it; none: every period the standard is in "
                    "force")

    @field_validator("roles")
    @classmethod
    def _each_once(cls, roles: list[str]) -> list[str]:
        return list(dict.fromkeys(roles))

    @field_validator("moved_in")
    @classmethod
    def _not_yet(cls, day: dt.date | None) -> dt.date | None:
        """A day to come would restate every period award the resident has, as if it never lived here."""
        if day is not None and day > today():
            raise Refusal(f"{day} is after today: register the day a resident has moved in", "input.moved_in_later",
                          day=day)
        return day


class ResidentRead(ResidentCreate):
    """A registered resident, with the name as the public board masks it."""

    id: str  # as stored: what was registered before a check still reads
    name: str
    household: str | None = None
    community: str
    masked_name: str
