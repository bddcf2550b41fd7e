"""A rule's condition as one Polars expression over its fact type's columns.

The tree is the engine's own (``engine.conditions``: negation already pushed to the leaves),
so only the leaves need the engine's semantics: a comparison on a missing field (a null
cell) is false, and ``absent`` is the one test a missing field passes. ``engine.checks``
has made every compared value fit its field's type, so a column's dtype holds them all.
"""

from __future__ import annotations

from functools import reduce
from operator import and_, or_

import polars as pl

from xinzhi.engine import conditions
from xinzhi.engine.ruleset import FieldSpec

#: A field type's column: dates as the engine's sortable integers (20210501), enums as text.
DTYPES: dict[str, pl.DataType] = {"int": pl.Int64(), "number": pl.Float64(), "string": pl.String(),
                                  "enum": pl.String(), "bool": pl.Boolean(), "date": pl.Int64()}

_ORDER = {"eq": "eq", "ne": "ne", "gt": "gt", "ge": "ge", "lt": "lt", "le": "le"}


def expression(expr: conditions.Expr, fields: dict[str, FieldSpec]) -> pl.Expr:
    """``expr`` as a boolean column without nulls: an empty ``All`` holds, an empty ``Any_`` does not."""
    if isinstance(expr, conditions.Test):
        return _leaf(expr, fields.get(expr.field))
    parts = [expression(part, fields) for part in expr.parts]
    if isinstance(expr, conditions.All):
        return reduce(and_, parts) if parts else pl.lit(True)
    return reduce(or_, parts) if parts else pl.lit(False)


def _leaf(test: conditions.Test, spec: FieldSpec | None) -> pl.Expr:
    if spec is None:  # a field the fact type does not declare is never given (the validator forbids it)
        return pl.lit(test.op == "absent")
    column = pl.col(test.field)
    if test.op == "absent":
        return column.is_null()
    if test.op == "present":
        return column.is_not_null()
    dtype = DTYPES[spec.type]
    if test.op in ("in", "not_in"):
        listed = pl.lit(pl.Series([conditions.engine_value(v) for v in test.value], dtype=dtype)).implode()
        found = column.is_in(listed)
        return (found if test.op == "in" else ~found).fill_null(False)
    value = pl.lit(conditions.engine_value(test.value), dtype=dtype)
    return getattr(column, _ORDER[test.op])(value).fill_null(False)
