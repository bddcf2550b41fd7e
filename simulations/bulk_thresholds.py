"""Thresholds column-wise (全年累计满 50 小时): a rule that pays on the fact whose period's total reaches a goal.

The engine adds every fact the rule's condition matches to the resident's total for the
calendar period, whatever else holds (a sequence unmet, a row not chosen), and pays on the
fact with ``before < goal <= total`` (``evaluator._threshold``); a row of an exclusive group
pays only what is still owed over the highest row whose own total had reached its goal
before the fact (``_row_paid``). Here a total is a running sum over (resident, period) in
scoring order, and what a row paid is an as-of join to each row's totals, strictly before.

The engine adds Decimals in the default context, 28 digits: its sums are exact, and so
whole units of the rule's smallest place in an Int64 column, as long as they cannot
overflow 63 bits, which a city's hours never do. A rule whose values could (a float like
1e-300 among them) has its totals replayed through the engine's own Decimal additions,
rounding included, as ``bulk_limits`` replays entangled counters.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import polars as pl

from xinzhi.engine.amounts import exact, places
from xinzhi.engine.compiler import CompiledRule
from xinzhi.engine.evaluator import threshold_value
from xinzhi.engine.ruleset import FieldSpec, Reaches

from .bulk_amounts import hundredths
from .bulk_conditions import expression
from .bulk_frame import Columns
from .bulk_periods import latest_ids, period_key

_KEY = ["resident", "pkey"]  # a total's: the account holder and the threshold's period
_INT64 = 2 ** 63


def tallies(laid: Columns, rules: Sequence[CompiledRule],
            fields: dict[str, dict[str, FieldSpec]]) -> dict[int, pl.DataFrame]:
    """Every threshold rule's counted facts, by the rule's index, in scoring order.

    Each with ``above`` (the period's total with the fact has reached the goal) and, on the
    fact that reaches it, ``total`` (as ``Award.reached_total`` writes it) and ``reached``.
    """
    out = {}
    for index, compiled_rule in enumerate(rules):
        rule = compiled_rule.rule
        frame = laid.fields.get(rule.fact)
        if rule.reaches is None or frame is None:
            continue
        cell = pl.col(rule.reaches.sum) if rule.reaches.sum is not None else pl.lit(None, dtype=pl.Int64)
        counted = (frame.filter(expression(compiled_rule.condition, fields[rule.fact])).select("row", cell=cell)
                   .join(laid.facts.select("row", "resident", "day", "id"), on="row", maintain_order="left")
                   .with_columns(pkey=period_key(pl.lit(rule.reaches.period))))
        out[index] = _summed(counted, rule.reaches).with_columns(
            reached=pl.when(pl.col("total").is_not_null()).then(latest_ids(_KEY, own=True)))
    return out


def reached(found: pl.DataFrame, index: int, rules: Sequence[CompiledRule],
            tallied: dict[int, pl.DataFrame]) -> pl.DataFrame:
    """``found`` (rule ``index``'s matching rows) less those that do not reach its threshold, with what they reached.

    ``reached`` and ``reached_total`` as ``Award`` names them (null for a rule without a
    threshold); a row of an exclusive group is owed only what the group's rows had not paid.
    """
    tally = tallied.get(index)
    if tally is None:
        return found.with_columns(reached=pl.lit(None, dtype=pl.List(pl.String)),
                                  reached_total=pl.lit(None, dtype=pl.String))
    hits = tally.filter(pl.col("total").is_not_null()).select("row", "resident", "day", "reached",
                                                                reached_total="total")
    found = found.join(hits, on="row", maintain_order="left")
    if rules[index].rule.exclusive:
        found = _less_paid(found, rules[index], rules, tallied)
    return found.drop("resident", "day")


def _less_paid(found: pl.DataFrame, compiled_rule: CompiledRule, rules: Sequence[CompiledRule],
               tallied: dict[int, pl.DataFrame]) -> pl.DataFrame:
    """``found`` with the amount still owed: the rows ``_row_paid`` reads, each joined as of the fact, strictly before.

    The highest of their ``points`` whose total had reached its goal was paid; a fact it
    covers gets nothing.
    """
    rule = compiled_rule.rule
    found = found.with_columns(paid=pl.lit(0, dtype=pl.Int64))
    for other_index, other in enumerate(rules):
        row = other.rule
        if row.fact != rule.fact or row.exclusive != rule.exclusive or row.reaches is None or row.award.points is None:
            continue
        before = tallied[other_index].select("resident", "pkey", "above", counted_row="row")
        found = (found.with_columns(pkey=period_key(pl.lit(row.reaches.period)))
                 .join_asof(before, left_on="row", right_on="counted_row", by=_KEY, strategy="backward",
                            allow_exact_matches=False, check_sortedness=False)
                 .with_columns(paid=pl.max_horizontal("paid", pl.when(pl.col("above"))
                                                      .then(pl.lit(hundredths(row.award.points))).otherwise(0)))
                 .drop("pkey", "counted_row", "above"))
    covered = (pl.col("raw") > 0) & (pl.col("paid") >= pl.col("raw"))
    return found.filter(~covered).with_columns(raw=pl.col("raw") - pl.col("paid")).drop("paid")


def _summed(counted: pl.DataFrame, reaches: Reaches) -> pl.DataFrame:
    """``counted`` with ``above`` and ``total``, column-wise where 63 bits hold every sum exactly, else replayed."""
    goal = exact(reaches.at_least)
    values = {cell: threshold_value(reaches, SimpleNamespace(fields={} if cell is None else {reaches.sum: cell}))  # type: ignore[arg-type]
              for cell in counted.get_column("cell").unique().to_list()}
    scale = max(places(value) for value in (goal, *values.values()))
    scaled = {cell: int(value.scaleb(scale)) for cell, value in values.items()}
    longest = max(counted.group_by(_KEY).len().get_column("len").to_list(), default=0)
    if max(map(abs, scaled.values()), default=0) * longest < _INT64 and goal.scaleb(scale) < _INT64:
        return _columnwise(counted, scaled, int(goal.scaleb(scale)), scale)
    return _replayed(counted, values, goal)


def _columnwise(counted: pl.DataFrame, scaled: dict[Any, int], goal: int, scale: int) -> pl.DataFrame:
    """Totals as running sums of whole units of ``10 ** -scale``: no sum can reach 2**63."""
    units = pl.DataFrame({"cell": pl.Series(list(scaled), dtype=counted.schema["cell"]),
                          "units": pl.Series(list(scaled.values()), dtype=pl.Int64)})
    counted = (counted.join(units, on="cell", how="left", nulls_equal=True, maintain_order="left")
               .with_columns(sum=pl.col("units").cum_sum().over(_KEY)))
    reaching = (pl.col("sum") - pl.col("units") < goal) & (pl.col("sum") >= goal)
    totals = counted.filter(reaching).select(
        "row", total=pl.col("sum").map_elements(lambda units: _written(Decimal(units).scaleb(-scale)),
                                                return_dtype=pl.String))
    return (counted.with_columns(above=pl.col("sum") >= goal).drop("units", "sum")
            .join(totals, on="row", how="left", maintain_order="left"))


def _replayed(counted: pl.DataFrame, values: dict[Any, Decimal], goal: Decimal) -> pl.DataFrame:
    """Totals added up as ``History.tally`` adds them: one Decimal addition a fact, in scoring order."""
    totals: dict[tuple, Decimal] = {}
    above, written = [], []
    for resident, pkey, cell in counted.select(*_KEY, "cell").iter_rows():
        before = totals.get((resident, pkey), Decimal(0))
        total = totals[resident, pkey] = before + values[cell]
        above.append(total >= goal)
        written.append(_written(total) if before < goal <= total else None)
    return counted.with_columns(above=pl.Series(above, dtype=pl.Boolean), total=pl.Series(written, dtype=pl.String))


def _written(total: Decimal) -> str:
    """The total as ``score_fact`` writes it into ``reached_total``: 55, not 55.0."""
    return f"{total.normalize():f}"
