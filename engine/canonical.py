"""Facts as programs write them, read without pydantic: what the fact type's model would make of them.

Most facts arrive canonical: strings where text is declared, ints and floats where numbers
are, an ISO 8601 moment. For those, ``FactValidator`` takes this quick reading — a few type
and range comparisons — and pydantic's (a model and a fields model a fact, a Python
validator a moment) only for the rest: a spreadsheet's spellings, coercions, anything
wrong, whose problems pydantic words. ``tests/engine/test_canonical.py`` holds the two to
the same facts, value types and key order included.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any, TypeGuard

from .moments import ISO_WITH_OFFSET, LOCAL_ISO
from .ruleset import IDENTIFIER, FactType, FieldSpec

KEYS = frozenset({"id", "type", "household", "resident", "occurred_at", "fields"})
_EXACT = 2 ** 53  # an int beyond this is left to pydantic's float, whose rounding is its own
#: A field's quick reading: the value as the model would hold it, or ``_NOT_CANONICAL``.
Reader = Callable[[Any], Any]
_NOT_CANONICAL = object()


def _within(spec: FieldSpec, value: float) -> bool:
    return (spec.min is None or value >= spec.min) and (spec.max is None or value <= spec.max)


def _reader(spec: FieldSpec) -> Reader | None:
    """How one field is read quickly, or None where only pydantic reads it (dates)."""
    if spec.type == "int":
        return lambda v: v if type(v) is int and _within(spec, v) else _NOT_CANONICAL
    if spec.type == "number":
        def number(v: Any) -> Any:
            if type(v) is int and abs(v) <= _EXACT or type(v) is float and math.isfinite(v):
                return float(v) if _within(spec, float(v)) else _NOT_CANONICAL
            return _NOT_CANONICAL
        return number
    if spec.type == "string":
        return lambda v: v if type(v) is str and len(v) <= spec.max_length else _NOT_CANONICAL
    if spec.type == "bool":
        return lambda v: v if type(v) is bool else _NOT_CANONICAL
    if spec.type == "enum":
        values = frozenset(spec.values or ())
        return lambda v: v if type(v) is str and v in values else _NOT_CANONICAL
    return None


def _name(value: Any) -> TypeGuard[str]:
    return type(value) is str and 1 <= len(value) <= 128


#: (id, type, resident, household, moment, fields as given): what ``FactIn`` would hold
Base = tuple[str, str, str | None, str | None, dt.datetime, Any]


def read_base(raw: dict[str, Any]) -> Base | None:
    """The keys every fact has, as ``FactIn`` would hold them; None if any is not canonical."""
    if not raw.keys() <= KEYS:
        return None
    fact_id, fact_type, resident, household = raw.get("id"), raw.get("type"), raw.get("resident"), raw.get("household")
    if not _name(fact_id) or type(fact_type) is not str or not IDENTIFIER.fullmatch(fact_type) \
            or not (resident is None or _name(resident)) or not (household is None or _name(household)) \
            or resident is None and household is None:
        return None
    moment = _moment(raw.get("occurred_at"))
    return None if moment is None else (fact_id, fact_type, resident, household, moment, raw.get("fields", {}))


class CanonicalReader:
    """One fact type's quick reading: ``read`` gives (id, resident, household, moment, fields) or None."""

    def __init__(self, fact_type: FactType) -> None:
        readers = {name: _reader(spec) for name, spec in fact_type.fields.items()}
        self.whole = all(reader is not None for reader in readers.values())  # else pydantic reads every fact
        self.fields = [(name, spec.required, reader) for name, spec in fact_type.fields.items()
                       if (reader := readers[name]) is not None]
        self.known = frozenset(fact_type.fields)

    def read(self, raw: dict[str, Any]) -> tuple[str, str | None, str | None, dt.datetime, dict[str, Any]] | None:
        """The fact's parts as the model would give them, in its field order; None if anything is not canonical."""
        base = read_base(raw) if self.whole else None
        if base is None:
            return None
        fact_id, _, resident, household, moment, given = base
        fields = self.read_fields(given)
        return None if fields is None else (fact_id, resident, household, moment, fields)

    def read_fields(self, given: Any) -> dict[str, Any] | None:
        """A fact's fields as the fields model would give them, in its order; None if any is not canonical."""
        if not self.whole or type(given) is not dict or not given.keys() <= self.known:
            return None
        fields = {}
        for name, required, reader in self.fields:
            value = given.get(name)
            if value is None:
                if required:
                    return None
                continue
            value = reader(value)
            if value is _NOT_CANONICAL:
                return None
            fields[name] = value
        return fields


def _moment(text: Any) -> dt.datetime | None:
    """An ISO 8601 moment as pydantic reads it (naive without an offset); None for any other spelling."""
    if type(text) is not str or not (ISO_WITH_OFFSET.fullmatch(text) or LOCAL_ISO.fullmatch(text)):
        return None
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:  # no such day or hour: pydantic says so
        return None
