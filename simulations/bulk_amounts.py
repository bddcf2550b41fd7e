"""A rule's raw amounts as whole hundredths of a point, exactly as ``raw_amount`` gives them.

Money never passes through a float: every amount a ruleset states or a rule computes has at
most ``MAX_DECIMALS`` places, so it is an integer count of hundredths. A per-unit or table
amount depends on one field only, so it is computed by the engine's own ``raw_amount`` once
per distinct value of that field and joined back: the same Decimal rounding, by construction,
at the cost of one Python call per distinct value (a city's hours take few values).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import polars as pl

from xinzhi.engine.amounts import MAX_DECIMALS
from xinzhi.engine.compiler import CompiledRule
from xinzhi.engine.evaluator import raw_amount
from xinzhi.engine.ruleset import FieldSpec

SCALE = 10 ** MAX_DECIMALS


def hundredths(amount: Decimal) -> int:
    """``amount`` as whole hundredths; it has at most ``MAX_DECIMALS`` places (``amounts.Points``, ``round_down``)."""
    scaled = amount.scaleb(MAX_DECIMALS)
    assert scaled == scaled.to_integral_value(), f"{amount} has more than {MAX_DECIMALS} places"
    return int(scaled)


def as_decimal(scaled: int) -> Decimal:
    """Hundredths back to points, with no more places than the value needs (5, not 5.00)."""
    places = 0
    while places < MAX_DECIMALS and scaled % 10 ** (MAX_DECIMALS - places):
        places += 1
    return Decimal(scaled // 10 ** (MAX_DECIMALS - places)).scaleb(-places) if places else \
        Decimal(scaled // SCALE)


def the_field(compiled_rule: CompiledRule) -> str | None:
    """The one field a rule's amount reads (``per`` or a table's), or None for fixed points."""
    award = compiled_rule.rule.award
    return award.table.field if award.table is not None else award.per


def raw_column(compiled_rule: CompiledRule, matched: pl.DataFrame, fields: dict[str, FieldSpec],
               decimals: int) -> pl.Expr:
    """The raw amount of each matched fact, in hundredths."""
    name = the_field(compiled_rule)
    spec = fields.get(name) if name is not None else None
    field_type = spec.type if spec is not None else None
    if name is None:
        points = compiled_rule.rule.award.points
        assert points is not None, "AwardSpec._one_form: no 'per' and no 'table' means fixed 'points'"
        return pl.lit(hundredths(points), dtype=pl.Int64)
    if field_type is None:  # not a field of the fact type: never given
        return pl.lit(_raw(compiled_rule, name, None, field_type, decimals), dtype=pl.Int64)
    known = [value for value in matched.get_column(name).unique().to_list() if value is not None]
    missing = pl.lit(_raw(compiled_rule, name, None, field_type, decimals), dtype=pl.Int64)
    if not known:
        return missing
    lookup = pl.col(name).replace_strict(
        pl.Series(known, dtype=matched.schema[name]),
        pl.Series([_raw(compiled_rule, name, value, field_type, decimals) for value in known], dtype=pl.Int64),
        return_dtype=pl.Int64)
    return pl.when(pl.col(name).is_null()).then(missing).otherwise(lookup)


def _raw(compiled_rule: CompiledRule, name: str, value: Any, field_type: str | None, decimals: int) -> int:
    if value is not None and field_type == "date":  # the column holds the engine's integer; the fact a date
        value = dt.date(value // 10000, value // 100 % 100, value % 100)
    fact = SimpleNamespace(fields={} if value is None else {name: value})  # all ``raw_amount`` reads
    return hundredths(raw_amount(compiled_rule, fact, decimals))  # type: ignore[arg-type]
