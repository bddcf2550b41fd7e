"""Facts: what a resident did, validated and coerced against its fact type.

durable-rules compares mixed types as strings (``"10" >= 9`` is false), so no raw value
may reach it: each fact type becomes a pydantic model that coerces ``"10"`` to 10 for a
number field and rejects ``"ten"`` with a message naming the fact and the field.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    create_model,
    field_validator,
)
from pydantic_core import ErrorDetails

from .canonical import CanonicalReader, read_base
from .errors import ErrorCode, FactError, Problem, Refusal, format_path, input_words
from .moments import Day, Moment
from .ruleset import FactIn, FactType, FieldSpec, Ruleset, someone_named
from .trusted import trusted

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True, slots=True, kw_only=True)
class Fact:
    """A validated fact: typed field values, ``occurred_at`` in Asia/Shanghai time.

    Made only by ``FactValidator`` from pydantic-validated input, so it is a plain frozen
    dataclass: scoring makes one per fact, and a pydantic model's extra objects cost ~10%
    of a run in garbage-collector work (benchmarks/engine.py).
    """

    id: str
    type: str
    resident: str  # whose account: the resident, or the household where households hold the accounts
    occurred_at: dt.datetime
    fields: dict[str, Any]
    member: str | None = None  # the resident the fact names (a member, where households hold the accounts)
    household: str | None = None

    @property
    def sort_key(self) -> tuple[dt.datetime, str]:
        """Scoring order: by time, and by id among facts of the same moment, so every run agrees."""
        return (self.occurred_at, self.id)

    def same_as(self, other: Fact) -> bool:
        """Whether another fact under this id has the same content (the same moment in any offset)."""
        return (self.type, self.resident, self.member, self.household, self.occurred_at, self.fields) == \
            (other.type, other.resident, other.member, other.household, other.occurred_at, other.fields)

    def conflict(self, earlier: str) -> Problem:
        """The problem of this fact when its id was seen with other content (``earlier`` says where)."""
        return Problem(code=ErrorCode.FACT_ID_CONFLICT, path="id", fact_id=self.id,
                       message=f"fact '{self.id}' was {earlier} with other content (type, resident, time or "
                               "fields); the same id must always mean the same fact",
                       says="fact_id_conflict", params={"fact": self.id, "earlier": earlier})


def _a_number(value: Any) -> Any:
    """What pydantic would take for a number and a clerk never means: a yes/no, digits with underscores.

    ``hours: true`` is not one hour, and a cell or string ``1_0`` (Python reads it as 10) is a typo,
    not ten hours.
    """
    if isinstance(value, bool):
        raise Refusal("a number is expected here, not true or false", "input.number_not_bool")
    if isinstance(value, str) and "_" in value:
        raise Refusal(f"'{value}' is not a number: write digits alone, without '_'", "input.number_underscore",
                      text=value)
    return value


_NUMBER = BeforeValidator(_a_number)


class Cell(str):
    """A value read from a text format (a CSV cell), so read by its field's type with the documented spellings.

    A JSON fact is typed strictly: a yes/no field takes ``true`` or ``false`` and nothing else.
    """


YES = ("true", "yes", "y", "1", "是", "对")
NO = ("false", "no", "n", "0", "否", "不")


def _yes_or_no(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, Cell):
        word = value.strip().lower()
        if word in YES or word in NO:
            return word in YES
        raise Refusal(f"'{value}' is not yes or no; write one of {'/'.join(YES)} or {'/'.join(NO)}", "input.yes_no",
                      text=value, yes="/".join(YES), no="/".join(NO))
    raise Refusal("true or false is expected here", "input.bool_type")


_YES_OR_NO = BeforeValidator(_yes_or_no)


def _annotation(spec: FieldSpec) -> Any:
    base: Any = {  # an unset bound (None) is no bound, to pydantic as to the ruleset
        "int": Annotated[int, _NUMBER, Field(strict=False, ge=spec.min, le=spec.max)],
        "number": Annotated[float, _NUMBER, Field(allow_inf_nan=False, ge=spec.min, le=spec.max)],
        "string": Annotated[str, StringConstraints(max_length=spec.max_length)],
        "bool": Annotated[bool, _YES_OR_NO],
        "enum": Literal[tuple(spec.values or ())],
        "date": Day,
    }[spec.type]
    return (base, ...) if spec.required else (base | None, None)


FactId = Annotated[str, Field(min_length=1, max_length=128)]


class _FactModel(BaseModel):
    """The keys every fact has; ``FactValidator`` derives one model per fact type, typing ``fields``."""

    model_config = ConfigDict(extra="forbid")

    id: FactId
    type: str
    household: FactId | None = None
    resident: FactId | None = Field(default=None, validate_default=True)
    occurred_at: Moment
    fields: BaseModel

    _someone = field_validator("resident")(classmethod(lambda cls, resident, info: someone_named(resident, info)))


class FactValidator:
    """Validates facts for one ruleset with one pydantic model per fact type, built once.

    Each model validates the whole fact (its own keys and its typed fields) in a single call.
    """

    def __init__(self, ruleset: Ruleset):
        self._types: dict[str, FactType] = {t.id: t for t in ruleset.fact_types}
        self._by_household = ruleset.accounts is not None and ruleset.accounts.held_by == "household"

    @cached_property
    def _models(self) -> dict[str, type[_FactModel]]:
        models: dict[str, type[_FactModel]] = {}
        for type_id, fact_type in self._types.items():
            fields = create_model(
                f"Fields_{type_id}",
                __config__=ConfigDict(extra="forbid"),
                **{name: _annotation(spec) for name, spec in fact_type.fields.items()},
            )
            models[type_id] = create_model(
                f"Fact_{type_id}",
                __base__=_FactModel,
                fields=(fields, Field(default={}, validate_default=True)),
            )
        return models

    @cached_property
    def _canonical(self) -> dict[str, CanonicalReader]:
        return {type_id: CanonicalReader(fact_type) for type_id, fact_type in self._types.items()}

    def knows(self, raw: Any) -> bool:
        """Whether a fact (validated or not) is of a type this ruleset defines."""
        fact_type = raw.type if isinstance(raw, Fact | FactIn) else raw.get("type") if isinstance(raw, dict) else None
        return fact_type in self._types

    def validate(self, raw: FactIn | dict[str, Any]) -> Fact:
        """One fact, or ``FactError`` listing every problem with it."""
        quick, keys_read = None, isinstance(raw, FactIn)
        if isinstance(raw, FactIn):  # its keys were read (``read_fact``): only its fields are left
            fields = self._canonical[raw.type].read_fields(raw.fields) if raw.type in self._types else None
            quick = None if fields is None else (raw.id, raw.resident, raw.household, raw.occurred_at, fields)
            raw = {"id": raw.id, "type": raw.type, "resident": raw.resident, "household": raw.household,
                   "occurred_at": raw.occurred_at, "fields": raw.fields}
        fact_type = raw.get("type") if isinstance(raw, dict) else None
        if not isinstance(fact_type, str) or fact_type not in self._types:
            raise FactError(self._base_problems(raw))
        model = self._models[fact_type]
        if not keys_read:  # a ``FactIn`` whose fields are not canonical goes to the model, not read quickly again
            quick = self._canonical[fact_type].read(raw)
        if quick is not None:
            fact_id, resident, household, occurred, fields = quick
        else:
            try:
                valid = model.model_validate(raw)
            except ValidationError as exc:
                raise FactError([_problem(raw.get("id"), str(fact_type), e) for e in exc.errors()]) from None
            fact_id, resident, household, occurred = valid.id, valid.resident, valid.household, valid.occurred_at
            fields = {k: v for k, v in valid.fields.__dict__.items() if v is not None}
        holder, missing = self._holder(self._types[fact_type], resident, household)
        if holder is None:
            key, why, says = missing
            raise FactError([Problem(code=ErrorCode.FACT_INVALID, path=key, fact_id=fact_id,
                                     message=f"fact '{fact_id}' ({fact_type}): field '{key}': {why}",
                                     says="fact_field", params={"fact": fact_id, "type": fact_type, "field": key,
                                                                "reason": {"says": says, "params": {}}})])
        occurred = occurred.replace(tzinfo=SHANGHAI) if occurred.tzinfo is None else occurred.astimezone(SHANGHAI)
        return Fact(id=fact_id, type=fact_type, resident=holder, occurred_at=occurred, fields=fields,
                    member=resident, household=household)

    def _holder(self, fact_type: FactType, resident: str | None,
                household: str | None) -> tuple[str | None, tuple[str, str, str]]:
        """Whose account a fact moves, or which key is missing and why (in English, and the key of what it says).

        Where households hold the accounts, every fact names its household, and a member's
        fact its member; elsewhere every fact moves a resident's account, a household fact
        too (the one it is charged to, e.g. the head of the household).
        """
        if self._by_household:
            if household is None:
                return None, ("household", "this standard keeps accounts per household (accounts.held_by): "
                                           "name the household", "holder.household")
            if fact_type.names == "resident" and resident is None:
                return None, ("resident", "required field is missing: the member the fact is about",
                              "holder.member")
            if fact_type.names == "household" and resident is not None:
                return None, ("resident", "a fact of the household as a whole names only its household, no member",
                              "holder.no_member")
            return household, ("", "", "")
        if resident is None:
            return None, ("resident", "this standard keeps accounts per resident: name the resident the household "
                                      "fact is charged to (e.g. the head of the household)", "holder.resident")
        return resident, ("", "", "")

    def _base_problems(self, raw: Any) -> list[Problem]:
        """Problems of a fact whose type is not one of ours (or that is no fact at all)."""
        try:
            fact_in = read_fact(raw)
        except FactError as exc:
            return exc.problems
        known = ", ".join(sorted(self._types))
        return [Problem(code=ErrorCode.FACT_UNKNOWN_TYPE, path="type", fact_id=fact_in.id,
                        message=f"fact '{fact_in.id}': unknown type '{fact_in.type}'; this ruleset knows {known}",
                        says="fact_unknown_type", params={"fact": fact_in.id, "type": fact_in.type, "known": known})]


def read_fact(raw: Any) -> FactIn:
    """The keys every fact has, before its type is known, or ``FactError``.

    The service reads facts with this before it knows which ruleset is in force, so a
    fact lacking ``resident`` gets the same problem whether it is posted or dry-run.
    """
    if not isinstance(raw, dict):
        raise FactError([Problem(code=ErrorCode.FACT_INVALID, message="a fact must be a JSON object",
                                 says="fact_not_object")])
    base = read_base(raw)
    if base is not None:  # canonical: what the model would make of it, without it (``canonical``)
        fact_id, fact_type, resident, household, moment, fields = base
        if type(fields) is dict and all(type(key) is str for key in fields):
            return trusted(FactIn, id=fact_id, type=fact_type, household=household, resident=resident,
                           occurred_at=moment, fields=fields)
    try:
        return FactIn.model_validate(raw)
    except ValidationError as exc:
        raise FactError([_problem(raw.get("id"), "", e) for e in exc.errors()]) from None


def _problem(fact_id: Any, fact_type: str, error: ErrorDetails) -> Problem:
    loc = list(error["loc"])
    field = format_path(loc[1:] if loc[:1] == ["fields"] and len(loc) > 1 else loc)
    kind = f" ({fact_type})" if fact_type else ""
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        message = "not a field of this fact type" if loc[:1] == ["fields"] else "not a key of a fact"
    elif error["type"] == "missing":
        message = "required field is missing"
    elif error["type"] == "value_error":
        message = str(error.get("ctx", {}).get("error", message))
    known_id = fact_id if isinstance(fact_id, str) and fact_id else None
    return Problem(code=ErrorCode.FACT_INVALID, path=format_path(loc), fact_id=known_id,
                   message=f"fact '{known_id or '?'}'{kind}: field '{field}': {message}",
                   says="fact_field", params={"fact": known_id or "?", "type": fact_type, "field": field or "",
                                              "reason": input_words(error)})
