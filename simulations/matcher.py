"""An optional Python matcher for simulations, compiled from the same ruleset model.

durable-rules is the matcher of record. For large what-if runs, issue 5 allows a matcher
compiled from the same rule conditions, provided a differential test shows identical
awards on every ruleset in the repository and on property-generated facts
(tests/simulations/test_matcher_differential.py), and the report names the matcher used.

It plugs in below the evaluator, as its ``matcher`` argument: only *which rules match a
fact* changes hands; amounts, limits, accounts and ordering stay the engine's own code.
Only a simulation worker passes it; a service process never does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from xinzhi.engine import conditions
from xinzhi.engine.compiler import CompiledRuleset

NAMES = ("durable-rules", "python")

Predicate = Callable[[dict[str, Any]], bool]


def predicate(expr: conditions.Expr) -> Predicate:
    """A closure testing ``expr`` with the engine's own leaf semantics (``conditions``)."""
    if isinstance(expr, conditions.Test):
        test = expr
        return lambda values: conditions._holds(test, values)
    parts = [predicate(p) for p in expr.parts]
    if isinstance(expr, conditions.All):
        return lambda values: all(p(values) for p in parts)
    return lambda values: any(p(values) for p in parts)  # an empty ``any`` never holds


class PythonMatcher:
    """Same interface as ``engine._matcher.Matcher.match``, for registered compiled rulesets."""

    def __init__(self) -> None:
        self._rules: dict[str, list[tuple[str, str, Predicate]]] = {}

    def register(self, compiled: CompiledRuleset) -> None:
        """Needed once per compiled ruleset before ``match`` is asked about it (a worker registers its side)."""
        marks = [(test.mark, test.fact, predicate(test.condition)) for rule in compiled.rules.values()
                 for test in (rule.after, rule.not_after) if test is not None]
        self._rules[compiled.name] = [(rule_id, rule.rule.fact, predicate(rule.condition))
                                      for rule_id, rule in compiled.rules.items()] + marks

    def match(self, name: str, definition: dict, message: dict) -> list[str]:
        """Rule ids of ruleset ``name`` that ``message`` satisfies; ``definition`` is part of the interface, unused."""
        rules = self._rules.get(name)
        if rules is None:
            raise KeyError(f"ruleset {name} is not registered with the Python matcher")
        kind = message.get("type")
        return [rule_id for rule_id, fact, test in rules if fact == kind and test(message)]
