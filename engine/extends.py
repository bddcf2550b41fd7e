"""Resolving ``extends``: a community reuses another's standard and states only what differs.

Merge semantics (documented in docs/ruleset-language.md):
identity, dates and tests come from the child; ``accounts`` and ``tiers`` from the child
when given, else the parent; categories, fact types and period rules are merged by id
(the child's entry replaces the parent's); the parent's rules are kept with the child's
``overrides`` applied, and the child's own ``rules`` are added after them.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable

from .errors import ErrorCode, Problem
from .ruleset import Ruleset

#: ref → (parsed parent or None, its problems), or None when no such ruleset exists.
ParentLoader = Callable[[str], "tuple[Ruleset | None, list[Problem]] | None"]


def resolve(ruleset: Ruleset, load_parent: ParentLoader,
            _chain: tuple[str, ...] = ()) -> tuple[Ruleset | None, list[Problem]]:
    """Return the ruleset with its whole ``extends`` chain applied, or the problems found."""
    if ruleset.extends is None:
        return ruleset, []
    chain = _chain + (ruleset.ref,)
    if ruleset.extends in chain:
        cycle = " → ".join(chain + (ruleset.extends,))
        return None, [ruleset.problem(ErrorCode.EXTENDS_CYCLE, f"extends forms a cycle: {cycle}", "extends",
                                      says="extends_cycle", cycle=cycle)]
    loaded = load_parent(ruleset.extends)
    if loaded is None:
        return None, [ruleset.problem(ErrorCode.EXTENDS_UNKNOWN,
                                      f"extends '{ruleset.extends}', but no ruleset with that id and version "
                                      "is known", "extends", says="extends_unknown", ref=ruleset.extends)]
    parent, problems = loaded
    if parent is None or problems:
        return None, problems
    parent, problems = resolve(parent, load_parent, chain)
    if parent is None:
        return None, problems
    return _merge(parent, ruleset)


def _merge(parent: Ruleset, child: Ruleset) -> tuple[Ruleset, list[Problem]]:
    problems: list[Problem] = []
    rules = {rule.id: rule for rule in parent.rules}
    for override in child.overrides:
        rule = rules.get(override.rule)
        if rule is None:
            hint = difflib.get_close_matches(override.rule, list(rules), n=1)
            problems.append(override.problem(ErrorCode.UNKNOWN_RULE,
                                             f"override of unknown rule '{override.rule}' in {parent.ref}"
                                             + (f"; did you mean '{hint[0]}'?" if hint else ""), "rule",
                                             says="override_unknown", rule=override.rule, parent=parent.ref,
                                             hint=hint[0] if hint else ""))
            continue
        changes = {name: getattr(override, name) for name in override.model_fields_set if name != "rule"}
        rules[rule.id] = rule.model_copy(update=changes)
    for rule in child.rules:
        if rule.id in rules:
            problems.append(rule.problem(ErrorCode.DUPLICATE_ID,
                                         f"rule '{rule.id}' already exists in {parent.ref}; change it under "
                                         "'overrides' instead", "id", says="rule_in_parent", rule=rule.id,
                                         parent=parent.ref))
            continue
        rules[rule.id] = rule
    merged = child.model_copy(update={
        "extends": None,
        "overrides": [],
        "accounts": child.accounts or parent.accounts,
        "tiers": child.tiers if child.tiers is not None else parent.tiers,
        "publicity_days": child.publicity_days if child.publicity_days is not None else parent.publicity_days,
        "unknown_fact_types": child.unknown_fact_types or parent.unknown_fact_types,
        "categories": _merge_by_id(parent.categories, child.categories),
        "fact_types": _merge_by_id(parent.fact_types, child.fact_types),
        "period_rules": _merge_by_id(parent.period_rules, child.period_rules),
        "rules": list(rules.values()),
    })
    merged._origin = child._origin
    merged._lineage = (child.ref,) + parent.lineage
    return merged, problems


def _merge_by_id(parents: list, children: list) -> list:
    merged = {item.id: item for item in parents}
    merged.update({item.id: item for item in children})
    return list(merged.values())

