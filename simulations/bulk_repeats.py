"""Repeat offences column-wise (一年内第二次起加倍扣分): a rule's amount by its occurrence in a calendar period.

The engine counts a rule's earlier occurrences for the resident in the span and scales the
raw amount by that count (``RepeatRef.amount``), then counts this one (``History.occur``)
if the scaled amount is not 0, by its sign. Where the count cannot change what is counted,
it is a rank: the rule's own occurrences (``of: rule``), in a calendar period, of a rule no
exclusive group can drop (``engine.checks`` has made scaled amounts keep the raw amount's
sign, never 0). ``bulk_supports`` refuses the rest.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from xinzhi.engine.compiler import CompiledRule
from xinzhi.engine.history import RepeatRef

from .bulk_amounts import hundredths
from .bulk_periods import latest_ids, period_key


def refused(compiled_rule: CompiledRule) -> str | None:
    """Why the bulk path cannot count this rule's repeats (None when it can, or it has none)."""
    repeat = compiled_rule.repeat
    if repeat is None:
        return None
    if repeat.scope != "rule":
        return "repeats of its category"
    if repeat.days is not None:
        return f"repeats within a rolling window of {repeat.days} days"
    if compiled_rule.rule.exclusive:
        return "repeats of a rule in an exclusive group"
    return None


def repeated(cands: pl.DataFrame, rules: Sequence[CompiledRule]) -> pl.DataFrame:
    """``cands`` with each repeating rule's amount by occurrence, its ``occurrence`` and the ``earlier`` facts."""
    cands = cands.with_columns(occurrence=pl.lit(None, dtype=pl.Int64),
                               earlier=pl.lit(None, dtype=pl.List(pl.String)))
    repeating = {index: rule.repeat for index, rule in enumerate(rules) if rule.repeat is not None}
    if not repeating:
        return cands
    parts = [cands.filter(~pl.col("rule").is_in(list(repeating)))]
    for index, repeat in repeating.items():
        assert repeat.period is not None, "a rolling repeat is refused (refused)"
        key = ["resident", pl.col("raw").sign(), period_key(pl.lit(repeat.period))]
        counted = pl.col("raw") != 0  # nothing (a veto's fact) is no occurrence
        occurrence = pl.int_range(1, pl.len() + 1).over(key)
        parts.append(cands.filter(pl.col("rule") == index).with_columns(
            raw=pl.when(counted).then(_scaled(repeat, occurrence)).otherwise(pl.col("raw")),
            occurrence=pl.when(counted).then(occurrence),
            earlier=pl.when(counted).then(latest_ids(key, own=False))))
    return pl.concat(parts).sort("cand")


def _scaled(repeat: RepeatRef, occurrence: pl.Expr) -> pl.Expr:
    """``RepeatRef.amount`` of the raw amount: the last entry repeating."""
    steps = [hundredths(amount) for amount in repeat.amounts] if repeat.amounts is not None else None
    factors = steps or list(repeat.multipliers or ())
    value = pl.lit(factors[-1], dtype=pl.Int64)
    for number in range(len(factors) - 1, 0, -1):
        value = pl.when(occurrence == number).then(pl.lit(factors[number - 1], dtype=pl.Int64)).otherwise(value)
    return value if steps is not None else pl.col("raw") * value
