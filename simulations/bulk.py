"""A columnar evaluator for simulations: the same compiled rules and limits, scored with Polars.

Issue 15 allows it for what-ifs over a city only, selected explicitly and named in the
report, because durable-rules stays the matcher of record: tests/simulations/
test_bulk_differential.py proves it gives exactly the awards of ``evaluate`` (without
``closes_until``: period rules and resets are paid afterwards from these awards, by
``closing_awards`` / ``closing_resets``, as for ``evaluate``).

It covers what a rule decides from its fact alone — conditions, fixed, per-unit and table
amounts, exclusive rows, vetoes and lifts (their awards; the vetoes themselves act on
balances), points expiry, households holding accounts — and what it reads of the resident's
earlier facts in four ways: calendar limits, sequences (after / not_after), a rule's own
repeats in a calendar period and thresholds (reaches), rows of an exclusive group among them.
The rest is refused up front by ``bulk_supports``, never scored differently: rolling-day
limits, and repeats of a category, over rolling days or of an exclusive row
(``bulk_repeats.refused``).
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from xinzhi.engine import conditions
from xinzhi.engine.compiler import CompiledRule, CompiledRuleset, compile_ruleset
from xinzhi.engine.evaluator import Award
from xinzhi.engine.facts import Fact
from xinzhi.engine.ruleset import FactIn

from . import bulk_repeats, bulk_sequences, bulk_thresholds
from .bulk_amounts import raw_column
from .bulk_conditions import expression
from .bulk_frame import Columns, columns
from .bulk_limits import NEEDED, limited
from .bulk_output import awards

#: How a simulation report names this evaluator.
NAME = "polars-bulk"
_EXACT_FLOAT = 2 ** 53  # an int a float column compares exactly with


class BulkUnsupported(ValueError):
    """The ruleset uses a construct the bulk path does not score; each reason names the rule and the construct."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("the bulk evaluator cannot score this ruleset: " + "; ".join(reasons))
        self.reasons = reasons


def bulk_supports(compiled: CompiledRuleset) -> list[str]:
    """Why the bulk path cannot score ``compiled`` (empty when it can)."""
    return list(dict.fromkeys(reason for _, reason in _refusals(compiled)))  # a category's limit: once per rule


def without_refused(compiled: CompiledRuleset) -> CompiledRuleset:
    """``compiled`` with the rules the bulk path refuses switched off: another standard, for comparisons only.

    The benchmark times a standard this way where the bulk path refuses rules of it (none of
    the repository's, today); a committee's what-if never should, since it would leave out
    rules the standard has.
    """
    refused = {rule_id for rule_id, _ in _refusals(compiled)}
    rules = [rule.model_copy(update={"enabled": False}) if rule.id in refused else rule
             for rule in compiled.ruleset.rules]
    return compile_ruleset(compiled.ruleset.model_copy(update={"rules": rules}))


def _refusals(compiled: CompiledRuleset) -> list[tuple[str, str]]:
    reasons = []
    fields = {t.id: t.fields for t in compiled.ruleset.fact_types}
    for rule_id, compiled_rule in compiled.rules.items():
        rule = compiled_rule.rule
        repeats = bulk_repeats.refused(compiled_rule)
        if repeats is not None:
            reasons.append((rule_id, f"rule '{rule_id}': {repeats}"))
        for limit in (*compiled_rule.limits, *compiled_rule.deduction_limits):
            if limit.days is not None:
                reasons.append((rule_id, f"rule '{rule_id}': limit {limit} (a rolling window of {limit.days} days)"))
        for test in conditions.leaves(compiled_rule.condition):
            spec = fields[rule.fact].get(test.field)
            values = test.value if isinstance(test.value, list) else [test.value]
            if spec is not None and spec.type == "number" and any(
                    type(v) is int and abs(v) > _EXACT_FLOAT for v in values):
                reasons.append((rule_id, f"rule '{rule_id}': test of '{test.field}' with an integer beyond 2**53"))
    return reasons


def evaluate_bulk(compiled: CompiledRuleset, facts: Iterable[FactIn | dict | Fact]) -> list[Award]:
    """Exactly ``evaluate(compiled, facts).awards``, computed column-wise; ``BulkUnsupported`` if it cannot be."""
    reasons = bulk_supports(compiled)
    if reasons:
        raise BulkUnsupported(reasons)
    laid = columns(compiled, facts)
    rules = list(compiled.rules.values())
    cands = candidates(compiled, laid, rules)
    scored, refs = limited(cands, rules, laid.ordered)
    return awards(compiled, scored, rules, refs, laid.ordered)


def candidates(compiled: CompiledRuleset, laid: Columns, rules: list[CompiledRule]) -> pl.DataFrame:
    """The rules that match each fact with an amount to give, largest of each exclusive group, in scoring order."""
    fields = {t.id: t.fields for t in compiled.ruleset.fact_types}
    tallied = bulk_thresholds.tallies(laid, rules, fields)
    parts = []
    for index, compiled_rule in enumerate(rules):
        rule = compiled_rule.rule
        frame = laid.fields.get(rule.fact)
        if frame is None:
            continue
        matched = frame.filter(expression(compiled_rule.condition, fields[rule.fact]))
        found = matched.select("row", rule=pl.lit(index, dtype=pl.Int64),
                               raw=raw_column(compiled_rule, matched, fields[rule.fact], compiled.decimals),
                               group=pl.lit(rule.exclusive, dtype=pl.String))
        found = bulk_thresholds.reached(found, index, rules, tallied)  # its facts counted whatever else holds
        found = bulk_sequences.follow(found, compiled_rule, laid, fields)
        if rule.veto is None and not rule.lifts:  # a veto's fact gives an award (of 0 too); others need an amount
            found = found.filter(pl.col("raw") != 0)
        parts.append(found)
    empty = pl.DataFrame(schema={"row": pl.Int64, "rule": pl.Int64, "raw": pl.Int64, "group": pl.String,
                                 "reached": pl.List(pl.String), "reached_total": pl.String, "after_fact": pl.String})
    cands = pl.concat([empty, *parts]).sort("row", "rule")
    size = pl.col("raw").abs()
    first_largest = pl.col("rule").filter(size == size.max()).min()  # the first listed on a tie
    cands = cands.filter(pl.col("group").is_null() | (pl.col("rule") == first_largest.over("row", "group")))
    cands = (cands.with_row_index("cand").with_columns(pl.col("cand").cast(pl.Int64))
             .join(laid.facts, on="row", how="left", maintain_order="left")
             .select(*NEEDED, "after_fact", "reached", "reached_total"))
    return bulk_repeats.repeated(cands, rules)
