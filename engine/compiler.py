"""Compiling a resolved ruleset into durable-rules' JSON form, plus what scoring needs.

Each rule becomes one durable-rules rule named by its id, its pattern built by
``engine.patterns`` (the fact alone, or joined to earlier facts). Disabled rules are left
out. The compiled definition is pure data; registering it with the engine happens on
first use (``engine._matcher``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from operator import attrgetter

from . import conditions, patterns
from .facts import FactValidator
from .history import PERIOD_DAYS, LimitRef, RepeatRef, amount_signs, limit_refs, repeat_ref
from .patterns import AFTER, NOT_AFTER, EarlierTest, earlier_test
from .ruleset import Account, Rule, Ruleset

SHORTER_FIRST = attrgetter("length")  # the order ``apply_limits`` breaks ties in


@dataclass(frozen=True)
class CompiledRule:
    """A rule as scoring reads it: its condition tree, its limits in tie-break order, the accounts it moves."""

    rule: Rule
    condition: conditions.Expr
    limits: tuple[LimitRef, ...]  # of awards
    deduction_limits: tuple[LimitRef, ...]
    repeat: RepeatRef | None  # repeat offences: the amount by occurrence
    after: EarlierTest | None  # counts only after such an earlier fact
    not_after: EarlierTest | None  # counts only without such an earlier fact
    award_accounts: tuple[Account, ...]  # what a positive amount moves
    deduction_accounts: tuple[Account, ...]  # what a negative amount moves


@dataclass(frozen=True)
class CompiledRuleset:
    """A resolved ruleset ready to evaluate; ``name`` is unique per distinct definition."""

    ruleset: Ruleset
    definition: dict
    rules: dict[str, CompiledRule]
    name: str
    ref: str
    validator: FactValidator = field(repr=False)
    by_fact_type: dict[str, tuple[CompiledRule, ...]] = field(repr=False, default_factory=dict)
    points_expire_after_months: int | None = None
    decimals: int = 0  # of amounts: per-unit awards are cut to them
    counted: frozenset[tuple[str, str]] = frozenset()  # (scope, owner) whose occurrences a repeat reads
    remembered: frozenset[str] = frozenset()  # fact types a sequence reads: kept in the history
    tallied: frozenset[str] = frozenset()  # fact types a threshold ('reaches') adds up over its period
    tally_periods: frozenset[str] = frozenset()  # the periods of those thresholds
    window_days: int = 0  # the longest window of those reads
    lookback_days: int = 0  # the longest span anything reads: limits, repeats, sequences


def compile_ruleset(ruleset: Ruleset) -> CompiledRuleset:
    """Compile every enabled rule; the name carries a digest so two drafts never collide."""
    accounts = ruleset.accounts
    assert accounts is not None, "a loaded ruleset has accounts (checks.check_ruleset)"
    fields = {t.id: t.fields for t in ruleset.fact_types}
    categories = {c.id: c for c in ruleset.categories}
    signs = {rule.id: amount_signs(rule, fields[rule.fact]) for rule in ruleset.rules if rule.enabled}
    category_signs: dict[str, set[int]] = {}
    for rule in ruleset.rules:
        if rule.enabled:
            category_signs.setdefault(rule.category, set()).update(signs[rule.id])
    definition: dict = {}
    rules: dict[str, CompiledRule] = {}
    for rule in ruleset.rules:
        if not rule.enabled:
            continue
        expr = conditions.build(rule.when, fields[rule.fact])
        after, not_after = earlier_test(rule, AFTER, fields), earlier_test(rule, NOT_AFTER, fields)
        definition.update(patterns.definitions(rule, expr, after, not_after))
        limits = sorted(limit_refs("rule", rule.id, rule.limits, signs[rule.id]), key=SHORTER_FIRST) + sorted(
            limit_refs("category", rule.category, categories[rule.category].limits, category_signs[rule.category]),
            key=SHORTER_FIRST)
        rules[rule.id] = CompiledRule(
            rule=rule, condition=expr, limits=tuple(lim for lim in limits if lim.sign > 0),
            deduction_limits=tuple(lim for lim in limits if lim.sign < 0),
            repeat=repeat_ref(rule, rule.repeats) if rule.repeats else None, after=after, not_after=not_after,
            award_accounts=tuple(rule.accounts or accounts.awards_raise),
            deduction_accounts=tuple(rule.accounts or accounts.deductions_lower),
        )
    digest = hashlib.sha256(json.dumps(definition, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    by_fact_type: dict[str, tuple[CompiledRule, ...]] = {}
    for compiled_rule in rules.values():
        fact = compiled_rule.rule.fact
        by_fact_type[fact] = by_fact_type.get(fact, ()) + (compiled_rule,)
    expiry = accounts.points_expire
    counted = frozenset((c.repeat.scope, c.repeat.id) for c in rules.values() if c.repeat is not None)
    reads = [test for c in rules.values() for test in (c.after, c.not_after) if test is not None]
    return CompiledRuleset(ruleset=ruleset, definition=definition, rules=rules,
                           name=f"{ruleset.ref}#{digest[:16]}", ref=ruleset.ref, validator=FactValidator(ruleset),
                           by_fact_type=by_fact_type,
                           points_expire_after_months=expiry.after_months if expiry else None, counted=counted,
                           decimals=accounts.decimals,
                           remembered=frozenset(test.fact for test in reads),
                           tallied=frozenset(c.rule.fact for c in rules.values() if c.rule.reaches),
                           tally_periods=frozenset(c.rule.reaches.period for c in rules.values() if c.rule.reaches),
                           window_days=max((test.within_days for test in reads), default=0),
                           lookback_days=max(map(reach, rules.values()), default=0))


def reach(compiled_rule: CompiledRule) -> int:
    """How many days back a rule reads: its limits (its category's too), repeats, sequences and threshold."""
    spans = [*compiled_rule.limits, *compiled_rule.deduction_limits, compiled_rule.repeat, compiled_rule.after,
             compiled_rule.not_after]
    reaches = compiled_rule.rule.reaches
    return max([span.reach for span in spans if span is not None] +
               ([PERIOD_DAYS[reaches.period]] if reaches else []), default=0)
