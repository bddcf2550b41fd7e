"""Every rule's durable-rules pattern, and the marks that sequences (调解后再次夜间扰民) leave.

Each pattern matches ``type == fact`` and the rule's condition, guarded with ``$s`` absent
so session state can never match (rules #222, #288).

A rule with ``after`` (or ``not_after``) also registers the earlier fact it looks for as
a pattern of its own, named ``<rule>/after`` (``<rule>/not_after``): durable-rules matches
it against every fact like any rule, and a fact that matches is kept, with that mark, in
the resident's ``History`` for the window. When a later fact matches the rule, the join —
an earlier fact with the mark, within ``within_days`` — is a lookup in that history.

Why not a durable-rules join of the two facts in one session: measured on 2.0.28, a
``$not`` over a reference to another fact crashes the process when the two patterns share
their first tests, and joins over a resident's asserted window crashed it after a few
dozen rulesets had been matched in the process (docs/durable-rules-notes.md). Facts that
completed a rule also leave that rule's memory, which would hide an earlier fact from the
fact scored. One fact per session, as everywhere else, has none of these.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import conditions
from .ruleset import Earlier, FieldSpec, Rule

STATE_GUARD = {"$nex": {"$s": 1}}
AFTER, NOT_AFTER = "/after", "/not_after"  # a mark's suffix: never part of a rule id


@dataclass(frozen=True)
class EarlierTest:
    """An ``after`` / ``not_after``: the mark its earlier facts carry, their kind, condition and window."""

    mark: str
    fact: str
    condition: conditions.Expr
    within_days: int

    @property
    def reach(self) -> int:
        """The most days back from a fact's day that its earlier fact can lie (as for limits and repeats)."""
        return self.within_days


def earlier_test(rule: Rule, suffix: str, fields: dict[str, dict[str, FieldSpec]]) -> EarlierTest | None:
    """The compiled form of a rule's ``after`` (``suffix`` AFTER) or ``not_after`` (None when it has none)."""
    earlier: Earlier | None = rule.after if suffix == AFTER else rule.not_after
    if earlier is None:
        return None
    return EarlierTest(rule.id + suffix, earlier.fact, conditions.build(earlier.when, fields[earlier.fact]),
                       earlier.within_days)


def pattern(fact_type: str, expr: conditions.Expr) -> dict:
    """One fact of ``fact_type`` meeting ``expr``: a durable-rules rule."""
    parts = [{"type": fact_type}, STATE_GUARD]
    if not (isinstance(expr, conditions.All) and not expr.parts):
        parts.append(conditions.to_durable(expr))
    return {"all": [{"m": {"$and": parts}}]}


def definitions(rule: Rule, condition: conditions.Expr, *tests: EarlierTest | None) -> dict[str, dict]:
    """The durable-rules rules of one rule: its own pattern, and the pattern of each earlier fact it reads."""
    found = {rule.id: pattern(rule.fact, condition)}
    for test in tests:
        if test is not None:
            found[test.mark] = pattern(test.fact, test.condition)
    return found
