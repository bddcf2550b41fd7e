"""Sequences column-wise (调解后再次夜间扰民): a rule that counts only after, or not after, an earlier fact.

The engine keeps each fact that meets an ``after`` / ``not_after`` pattern (its mark) in
the resident's history and, for a fact the rule matches, looks for the latest such fact
before it in scoring order, within ``within_days`` local days (``History.latest``). Here
that lookup is one as-of join per pattern: the marked facts by resident and row, backward,
strictly before; then the window's test on the one found.
"""

from __future__ import annotations

import polars as pl

from xinzhi.engine.compiler import CompiledRule
from xinzhi.engine.patterns import EarlierTest
from xinzhi.engine.ruleset import FieldSpec

from .bulk_conditions import expression
from .bulk_frame import Columns


def follow(found: pl.DataFrame, compiled_rule: CompiledRule, laid: Columns,
           fields: dict[str, dict[str, FieldSpec]]) -> pl.DataFrame:
    """``found`` (a rule's matching rows) less those its sequence rules out, with ``after_fact``."""
    found = found.with_columns(after_fact=pl.lit(None, dtype=pl.String))
    if compiled_rule.after is None and compiled_rule.not_after is None:
        return found
    found = found.join(laid.facts.select("row", "resident", "day"), on="row", maintain_order="left")
    if compiled_rule.after is not None:
        found = _latest(found, compiled_rule.after, laid, fields)
        found = found.filter(pl.col("earlier").is_not_null()).with_columns(after_fact=pl.col("earlier"))
    if compiled_rule.not_after is not None:
        found = _latest(found, compiled_rule.not_after, laid, fields).filter(pl.col("earlier").is_null())
    return found.drop("resident", "day", "earlier")


def _latest(found: pl.DataFrame, test: EarlierTest, laid: Columns,
            fields: dict[str, dict[str, FieldSpec]]) -> pl.DataFrame:
    """``found`` with ``earlier``: the id of the latest marked fact of the resident within the window, or null."""
    frame = laid.fields.get(test.fact)
    marked = laid.facts.head(0).select("row", "resident", "day", "id") if frame is None else \
        frame.filter(expression(test.condition, fields[test.fact])).select("row").join(
            laid.facts.select("row", "resident", "day", "id"), on="row", maintain_order="left")
    marked = marked.rename({"row": "marked_row", "day": "marked_day", "id": "earlier"})
    joined = found.drop("earlier", strict=False).sort("row").join_asof(
        marked.sort("marked_row"), left_on="row", right_on="marked_row", by="resident", strategy="backward",
        allow_exact_matches=False, check_sortedness=False)
    inside = (pl.col("day") - pl.col("marked_day")).dt.total_days() < test.within_days
    return joined.with_columns(earlier=pl.when(inside).then(pl.col("earlier"))).drop("marked_row", "marked_day")
