"""Validated facts as columns: one frame of who and when, one frame of fields per fact type.

Facts are validated one by one with the engine's own validator (``validate_facts``) and put
in the engine's scoring order, (occurred_at, id): a fact's ``row`` is its place in that
order. Fields get a frame per fact type because two types may give one field name two types.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from operator import attrgetter

import polars as pl

from xinzhi.engine import conditions
from xinzhi.engine.compiler import CompiledRuleset
from xinzhi.engine.evaluator import ignores_unknown_types, validate_facts
from xinzhi.engine.facts import Fact
from xinzhi.engine.ruleset import FactIn

from .bulk_conditions import DTYPES


@dataclass(frozen=True)
class Columns:
    """The facts in scoring order, and the same as columns."""

    ordered: list[Fact]
    facts: pl.DataFrame  # row, id, resident (the account holder), member, day (local date)
    fields: dict[str, pl.DataFrame]  # fact type → row and one column per declared field


def columns(compiled: CompiledRuleset, given: Iterable[FactIn | dict | Fact]) -> Columns:
    """Validate (all or nothing, as ``evaluate``), order and lay out the facts; unknown types as ``evaluate`` does."""
    facts = list(given)
    if ignores_unknown_types(compiled):
        facts = [f for f in facts if compiled.validator.knows(f)]
    # the engine's order, (occurred_at, id): by id, then stably by time (a tuple key compares several times slower)
    ordered = sorted(sorted(validate_facts(compiled, facts), key=attrgetter("id")), key=attrgetter("occurred_at"))
    who = pl.DataFrame({
        "row": pl.Series(range(len(ordered)), dtype=pl.Int64),
        "id": pl.Series([f.id for f in ordered], dtype=pl.String),
        "resident": pl.Series([f.resident for f in ordered], dtype=pl.String),
        "member": pl.Series([f.member for f in ordered], dtype=pl.String),
        "day": pl.Series([f.occurred_at.date() for f in ordered], dtype=pl.Date),  # already Shanghai time
    })
    by_type: dict[str, list[int]] = {}
    for row, fact in enumerate(ordered):
        by_type.setdefault(fact.type, []).append(row)
    specs = {t.id: t.fields for t in compiled.ruleset.fact_types}
    fields = {}
    for kind, rows in by_type.items():
        data = {"row": pl.Series(rows, dtype=pl.Int64)}
        stated = [ordered[row].fields for row in rows]
        for name, spec in specs[kind].items():
            values = [one.get(name) for one in stated]
            if spec.type == "date":
                values = [None if v is None else conditions.engine_value(v) for v in values]
            elif spec.type == "number":  # -0.0 is 0.0 to every test and amount; one key for lookups
                values = [None if v is None else v + 0.0 for v in values]
            try:
                data[name] = pl.Series(name, values, dtype=DTYPES[spec.type], strict=True)
            except (OverflowError, TypeError, pl.exceptions.PolarsError) as exc:
                raise ValueError(f"field '{name}' of fact type '{kind}' holds a value the bulk path cannot "
                                 f"hold in a {DTYPES[spec.type]} column: {exc}") from exc
        fields[kind] = pl.DataFrame(data)
    return Columns(ordered, who, fields)
