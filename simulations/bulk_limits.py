"""Calendar limits column-wise: who could ever hit one, and what each award keeps when they do.

The engine cuts awards in scoring order, each taking what room its limits have left
(``history.apply_limits``). A limit's usage lives in one counter per holder and calendar
period. Three cases, decided per counter:

- *never binding*: even if every award under the counter were granted whole it would stay
  within ``max`` and ``times``; nothing it counts is cut by it (most counters in a city).
- *binding alone*: the awards it counts have no other counter that binds, so each keeps a
  capped running sum, ``min(cum_i, max) - min(cum_{i-1}, max)``, and the ``times`` cap takes
  the granted-whole-or-in-part prefix after ``times`` of them.
- *entangled*: an award under two binding counters, or a counter two limits of one owner
  share (each use counted once per limit, as the engine does). Every award under such a
  counter is replayed through the engine's own ``apply_limits``, in scoring order.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import polars as pl

from xinzhi.engine.compiler import CompiledRule
from xinzhi.engine.facts import Fact
from xinzhi.engine.history import History, LimitRef, apply_limits

from .bulk_amounts import as_decimal, hundredths
from .bulk_periods import period_key

#: Candidates' columns read here: their place in scoring order, the fact's row, the rule's index, the raw amount.
NEEDED = ("cand", "row", "rule", "raw", "resident", "member", "day", "id")


def limited(cands: pl.DataFrame, rules: Sequence[CompiledRule], ordered: Sequence[Fact]) -> tuple[
        pl.DataFrame, list[LimitRef]]:
    """``cands`` with ``amount`` (hundredths), ``bound`` (an index into the limits returned) and ``cap``."""
    refs, table, lists = _limits(rules)
    uses = (cands.filter(pl.col("raw") != 0)
            .with_columns(sign=pl.col("raw").sign().cast(pl.Int8), size=pl.col("raw").abs())
            .join(lists, on=["rule", "sign"])
            .join(table, on="limit"))
    key = ["counter", "resident", "holder", "pkey"]
    uses = uses.with_columns(pkey=period_key(pl.col("period")),
                             holder=pl.when(pl.col("per_member")).then(pl.col("member")))
    uses = uses.with_columns(unsafe=pl.col("shared")
                             | (pl.col("max") < pl.col("size").sum().over(key)).fill_null(False)
                             | (pl.col("times") < pl.len().over(key)).fill_null(False))
    uses = uses.with_columns(tangled=pl.col("unsafe") & (pl.col("shared") | (pl.col("unsafe").sum().over("cand") > 1)))
    uses = uses.with_columns(tangled=pl.col("unsafe") & pl.col("tangled").any().over(key))
    replayed = uses.filter(pl.col("tangled")).get_column("cand").unique()
    alone = uses.filter(pl.col("unsafe") & ~pl.col("tangled")).sort("cand")
    cut = _capped(alone, key).select("cand", "kept", "bound", "cap")
    out = (cands.join(cut, on="cand", how="left")
           .with_columns(amount=pl.when(pl.col("kept").is_null()).then(pl.col("raw"))
                         .otherwise(pl.col("kept") * pl.col("raw").sign()))
           .drop("kept"))
    again = out.filter(pl.col("cand").is_in(replayed.implode()))
    if again.height:
        out = out.update(_replay(again, rules, ordered, {ref: i for i, ref in enumerate(refs)}), on="cand",
                         include_nulls=True)
    return out, refs


def _limits(rules: Sequence[CompiledRule]) -> tuple[list[LimitRef], pl.DataFrame, pl.DataFrame]:
    """Every limit once, as a table; each rule's limits by sign; which counters two limits share."""
    refs: dict[LimitRef, int] = {}
    lists: dict[str, list] = {"rule": [], "sign": [], "limit": []}
    shared: set[tuple] = set()
    for index, compiled_rule in enumerate(rules):
        for sign, limits in ((1, compiled_rule.limits), (-1, compiled_rule.deduction_limits)):
            counters = [_counter(ref) for ref in limits]
            shared.update(c for c in counters if counters.count(c) > 1)
            for ref in limits:
                lists["rule"].append(index)
                lists["sign"].append(sign)
                lists["limit"].append(refs.setdefault(ref, len(refs)))
    ordered = list(refs)
    numbers = {c: i for i, c in enumerate(dict.fromkeys(_counter(ref) for ref in ordered))}
    table = pl.DataFrame({
        "limit": pl.Series(range(len(ordered)), dtype=pl.Int64),
        "counter": pl.Series([numbers[_counter(ref)] for ref in ordered], dtype=pl.Int64),
        "period": pl.Series([ref.period for ref in ordered], dtype=pl.String),
        "per_member": pl.Series([ref.per_member for ref in ordered], dtype=pl.Boolean),
        "max": pl.Series([None if ref.max is None else hundredths(ref.max) for ref in ordered], dtype=pl.Int64),
        "times": pl.Series([ref.times for ref in ordered], dtype=pl.Int64),
        "shared": pl.Series([_counter(ref) in shared for ref in ordered], dtype=pl.Boolean),
    })
    return ordered, table, pl.DataFrame({"rule": pl.Series(lists["rule"], dtype=pl.Int64),
                                         "sign": pl.Series(lists["sign"], dtype=pl.Int8),
                                         "limit": pl.Series(lists["limit"], dtype=pl.Int64)})


def _counter(ref: LimitRef) -> tuple:
    """What the engine keys a limit's usage by (``history._counter``, ``_holder``), less the period's key."""
    return ref.scope, ref.id, ref.sign, ref.period, ref.per_member


def _capped(alone: pl.DataFrame, key: list[str]) -> pl.DataFrame:
    """What each award under a counter that binds alone keeps (its size), and whether and how it was cut."""
    size, cap = pl.col("size"), pl.col("max")
    cum = size.cum_sum().over(key)
    kept = pl.when(cap.is_null()).then(size).otherwise(
        pl.min_horizontal(cum, cap) - pl.min_horizontal(cum - size, cap))
    alone = alone.with_columns(kept=kept, rank=pl.int_range(pl.len()).over(key))
    granted = (pl.col("kept") > 0).sum().over(key)  # granted something: a prefix of the counter's awards
    spent = (pl.col("times") <= pl.min_horizontal(pl.col("rank"), granted)).fill_null(False)
    return alone.with_columns(
        kept=pl.when(spent).then(0).otherwise(pl.col("kept")),
        bound=pl.when(spent | (pl.col("kept") < size)).then(pl.col("limit")),
        cap=pl.when(spent).then(pl.lit("times")).when(pl.col("kept") < size).then(pl.lit("max")))


def _replay(again: pl.DataFrame, rules: Sequence[CompiledRule], ordered: Sequence[Fact],
            index: dict[LimitRef, int]) -> pl.DataFrame:
    """The entangled awards through the engine's ``apply_limits``, in scoring order, from an empty history."""
    history = History()
    cands, amounts, bounds, caps = [], [], [], []
    for cand, row, rule, raw in again.sort("cand").select("cand", "row", "rule", "raw").iter_rows():
        fact, compiled_rule = ordered[row], rules[rule]
        limits = compiled_rule.limits if raw > 0 else compiled_rule.deduction_limits
        amount, bound, cap = apply_limits(as_decimal(raw), fact.resident, fact.occurred_at, limits, history,
                                          fact.member)
        cands.append(cand)
        amounts.append(hundredths(Decimal(amount)))
        bounds.append(None if bound is None else index[bound])
        caps.append(cap)
    return pl.DataFrame({"cand": pl.Series(cands, dtype=pl.Int64), "amount": pl.Series(amounts, dtype=pl.Int64),
                         "bound": pl.Series(bounds, dtype=pl.Int64), "cap": pl.Series(caps, dtype=pl.String)})
