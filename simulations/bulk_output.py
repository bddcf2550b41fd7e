"""The scored columns back as the engine's ``Award`` objects, field for field as ``evaluator._award`` fills them.

Phase 1 of the bulk path hands back the same list ``evaluate`` does, so every consumer
(reports, summaries, ``closing_awards``) reads it unchanged; building one object per award
is then the largest cost left (see benchmarks/bulk.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import polars as pl

from xinzhi.engine.accounting import expiry_date
from xinzhi.engine.compiler import CompiledRule, CompiledRuleset
from xinzhi.engine.evaluator import Award
from xinzhi.engine.facts import Fact
from xinzhi.engine.history import LimitRef

from .bulk_amounts import as_decimal


def awards(compiled: CompiledRuleset, scored: pl.DataFrame, rules: Sequence[CompiledRule], refs: Sequence[LimitRef],
           ordered: Sequence[Fact]) -> list[Award]:
    """One award per scored candidate, in scoring order."""
    decimal = lru_cache(maxsize=None)(as_decimal)
    expire_after = compiled.points_expire_after_months
    bounds = [str(ref) for ref in refs]
    out = []
    rows = scored.sort("cand").select("row", "rule", "raw", "amount", "bound", "cap", "occurrence", "earlier",
                                         "after_fact", "reached", "reached_total")
    for (row, index, raw, amount, bound, cap, occurrence, earlier, after_fact, reached,
         reached_total) in rows.iter_rows():
        fact, compiled_rule = ordered[row], rules[index]
        rule = compiled_rule.rule
        accounts = compiled_rule.award_accounts if raw > 0 else compiled_rule.deduction_accounts
        limit = refs[bound] if bound is not None else None
        out.append(Award(
            fact_id=fact.id, resident=fact.resident, occurred_at=fact.occurred_at, ruleset=compiled.ref,
            rule_id=rule.id, rule_title=rule.title, category=rule.category, raw_amount=decimal(raw),
            amount=decimal(amount), limited_by=bounds[bound] if bound is not None else None,
            limit_max=limit.max if limit is not None and cap == "max" else None,
            limit_times=limit.times if limit is not None and cap == "times" else None, accounts=accounts,
            points_expire_on=expiry_date(fact.occurred_at, expire_after)
            if expire_after and amount > 0 and "points" in accounts else None,
            after_fact=after_fact, occurrence=occurrence, earlier=tuple(earlier) if earlier else (),
            reached=tuple(reached) if reached else (), reached_total=reached_total,
            repeat_span=compiled_rule.repeat.describe() if compiled_rule.repeat is not None else None,
            member=fact.member))
    return out
