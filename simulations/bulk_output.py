"""The scored columns back as the engine's ``Award`` objects, field for field as ``evaluator._award`` fills them.

Phase 1 of the bulk path hands back the same list ``evaluate`` does, so every consumer
(reports, summaries, ``closing_awards``) reads it unchanged; building one object per award
is then the largest cost left (see benchmarks/bulk.py). So the loop only looks values up:
whole columns come out of Polars at once, and whatever a rule, a limit, an amount or a
month fixes is worked out once, not once per award.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

import polars as pl

from xinzhi.engine.accounting import expiry_date
from xinzhi.engine.compiler import CompiledRule, CompiledRuleset
from xinzhi.engine.evaluator import Award
from xinzhi.engine.facts import Fact
from xinzhi.engine.history import LimitRef

from .bulk_amounts import as_decimal

_UNLIMITED = (None, None, None)  # limited_by, limit_max, limit_times


class _Decimals(dict[int, Decimal]):
    """Hundredths → points, each distinct amount converted once (a city's awards take few)."""

    def __missing__(self, scaled: int) -> Decimal:
        value = self[scaled] = as_decimal(scaled)
        return value


def awards(compiled: CompiledRuleset, scored: pl.DataFrame, rules: Sequence[CompiledRule], refs: Sequence[LimitRef],
           ordered: Sequence[Fact]) -> list[Award]:
    """One award per scored candidate, in scoring order."""
    decimal = _Decimals()
    expire_after = compiled.points_expire_after_months
    ruleset = compiled.ref
    constant = [(r.rule.id, r.rule.title, r.rule.category, r.repeat.describe() if r.repeat is not None else None,
                 r.award_accounts, r.deduction_accounts) for r in rules]
    binding = [{"max": (str(ref), ref.max, None), "times": (str(ref), None, ref.times)} for ref in refs]  # by cap
    expiries: dict[int, dt.date] = {}  # by local day, as days since 1970
    frame = scored.sort("cand").select("row", "rule", "raw", "amount", "bound", "cap", pl.col("day").cast(pl.Int32),
                                       "occurrence", "earlier", "after_fact", "reached", "reached_total")
    out = []
    for (row, index, raw, amount, bound, cap, day, occurrence, earlier, after_fact, reached,
         reached_total) in zip(*(column.to_list() for column in frame.iter_columns()), strict=True):
        fact = ordered[row]
        rule_id, title, category, repeat_span, award_accounts, deduction_accounts = constant[index]
        accounts = award_accounts if raw > 0 else deduction_accounts
        limited_by, limit_max, limit_times = binding[bound][cap] if bound is not None else _UNLIMITED
        expires = None
        if expire_after and amount > 0 and "points" in accounts:
            expires = expiries.get(day)
            if expires is None:  # the local day fixes the month, and so the expiry
                expires = expiries[day] = expiry_date(fact.occurred_at, expire_after)
        out.append(Award(
            fact_id=fact.id, resident=fact.resident, occurred_at=fact.occurred_at, ruleset=ruleset,
            rule_id=rule_id, rule_title=title, category=category, raw_amount=decimal[raw], amount=decimal[amount],
            limited_by=limited_by, limit_max=limit_max, limit_times=limit_times, accounts=accounts,
            points_expire_on=expires, after_fact=after_fact, occurrence=occurrence,
            earlier=tuple(earlier) if earlier else (), reached=tuple(reached) if reached else (),
            reached_total=reached_total, repeat_span=repeat_span, member=fact.member))
    return out
