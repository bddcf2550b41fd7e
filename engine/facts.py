"""Facts: what a resident did, validated and coerced against its fact type.

durable-rules compares mixed types as strings (``"10" >= 9`` is false), so no raw value
may reach it: each fact type becomes a pydantic model that coerces ``"10"`` to 10 for a
number field and rejects ``"ten"`` with a message naming the fact and the field.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, create_model

from .errors import ErrorCode, FactError, Problem
from .ruleset import FactIn, FactType, FieldSpec, Ruleset

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Fact(BaseModel):
    """A validated fact: typed field values, ``occurred_at`` in Asia/Shanghai time."""

    model_config = ConfigDict(frozen=True)

    id: str
    type: str
    resident: str
    occurred_at: dt.datetime
    fields: dict[str, Any]

    @property
    def sort_key(self) -> tuple[dt.datetime, str]:
        return (self.occurred_at, self.id)


def _annotation(spec: FieldSpec) -> Any:
    bounds = {k: v for k, v in (("ge", spec.min), ("le", spec.max)) if v is not None}
    base: Any = {
        "int": Annotated[int, Field(strict=False, **bounds)],
        "number": Annotated[float, Field(allow_inf_nan=False, **bounds)],
        "string": Annotated[str, StringConstraints(max_length=spec.max_length)],
        "bool": bool,
        "enum": Literal[tuple(spec.values or ())],
        "date": dt.date,
    }[spec.type]
    return (base, ...) if spec.required else (base | None, None)


class FactValidator:
    """Validates facts for one ruleset; one pydantic model per fact type, built once."""

    def __init__(self, ruleset: Ruleset):
        self._types: dict[str, FactType] = {t.id: t for t in ruleset.fact_types}

    @cached_property
    def _models(self) -> dict[str, type[BaseModel]]:
        return {
            type_id: create_model(
                f"Fields_{type_id}",
                __config__=ConfigDict(extra="forbid"),
                **{name: _annotation(spec) for name, spec in fact_type.fields.items()},
            )
            for type_id, fact_type in self._types.items()
        }

    def validate(self, raw: FactIn | dict[str, Any]) -> Fact:
        """One fact, or ``FactError`` listing every problem with it."""
        try:
            fact_in = raw if isinstance(raw, FactIn) else FactIn.model_validate(raw)
        except ValidationError as exc:
            fact_id = raw.get("id", "?") if isinstance(raw, dict) else "?"
            raise FactError([_problem(fact_id, "", e) for e in exc.errors()]) from None
        model = self._models.get(fact_in.type)
        if model is None:
            known = ", ".join(sorted(self._types))
            raise FactError([Problem(code=ErrorCode.FACT_UNKNOWN_TYPE, path="type",
                                     message=f"fact '{fact_in.id}': unknown type '{fact_in.type}'; "
                                             f"this ruleset knows {known}")])
        try:
            values = model.model_validate(fact_in.fields)
        except ValidationError as exc:
            raise FactError([_problem(fact_in.id, fact_in.type, e, "fields") for e in exc.errors()]) from None
        occurred = fact_in.occurred_at
        occurred = occurred.replace(tzinfo=SHANGHAI) if occurred.tzinfo is None else occurred.astimezone(SHANGHAI)
        return Fact(id=fact_in.id, type=fact_in.type, resident=fact_in.resident, occurred_at=occurred,
                    fields={k: v for k, v in values.model_dump().items() if v is not None})


def _problem(fact_id: str, fact_type: str, error: dict, prefix: str = "") -> Problem:
    field = ".".join(str(p) for p in error["loc"])
    path = f"{prefix}.{field}" if prefix else field
    kind = f" ({fact_type})" if fact_type else ""
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        message = "not a field of this fact type"
    elif error["type"] == "missing":
        message = "required field is missing"
    return Problem(code=ErrorCode.FACT_INVALID, path=path,
                   message=f"fact '{fact_id}'{kind}: field '{field}': {message}")
