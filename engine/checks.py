"""Cross-reference checks on a resolved ruleset: everything pydantic cannot see alone.

Each check returns problems located where the offending text was written (which may be
the parent's file for an inherited part), with a "did you mean" when a name is close.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable, Iterator
from decimal import Decimal
from itertools import pairwise
from typing import Any

from . import conditions
from .amounts import LARGEST, exact, places, signed
from .errors import ErrorCode, Problem
from .history import amount_signs, limit_sign
from .moments import FIRST_DAY, LAST_DAY
from .ruleset import RESERVED_FIELD_NAMES, Comparison, Condition, Earlier, FactType, FieldSpec, Node, Rule, Ruleset

ORDERED_TYPES = {"int", "number", "date"}


def check_ruleset(ruleset: Ruleset) -> list[Problem]:
    """Every problem of a resolved ruleset, in no particular order."""
    problems: list[Problem] = []
    if ruleset.accounts is None:
        problems.append(ruleset.problem(ErrorCode.MISSING_KEY,
                                        "required key 'accounts' is missing (and no parent provides it)",
                                        says="missing_key_inherited", key="accounts"))
    if not ruleset.tiers:
        problems.append(ruleset.problem(ErrorCode.MISSING_KEY,
                                        "required key 'tiers' is missing (and no parent provides it)",
                                        says="missing_key_inherited", key="tiers"))
    else:
        problems += _check_tiers(ruleset)
    for key in ("effective_from", "effective_to"):
        day = getattr(ruleset, key)
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            problems.append(ruleset.problem(ErrorCode.BAD_VALUE, f"{key} {day} is outside the years 2000-2099",
                                            key, says="day_outside_years", key=key, day=str(day)))
    if ruleset.effective_to and ruleset.effective_to < ruleset.effective_from:
        problems.append(ruleset.problem(ErrorCode.BAD_VALUE, "effective_to is before effective_from",
                                        "effective_to", says="dates_reversed", start=str(ruleset.effective_from),
                                        end=str(ruleset.effective_to)))
    for kind, items in (("tier", ruleset.tiers or []), ("category", ruleset.categories),
                        ("fact type", ruleset.fact_types), ("rule", [*ruleset.rules, *ruleset.period_rules])):
        problems += _duplicates(kind, items)
    problems += _duplicates("test", ruleset.tests, key="name")
    for fact_type in ruleset.fact_types:
        if fact_type.charged_to_role is not None and (fact_type.names != "household" or (
                ruleset.accounts is not None and ruleset.accounts.held_by == "household")):
            problems.append(fact_type.problem(
                ErrorCode.BAD_VALUE, "'charged_to_role' charges a household's own fact to one member, where residents "
                "hold the accounts: it needs 'names: household' and residents holding the accounts", "charged_to_role",
                says="charged_to_role_misplaced"))
        for name in fact_type.fields:
            if name in RESERVED_FIELD_NAMES:
                problems.append(fact_type.problem(ErrorCode.BAD_VALUE,
                                                  f"field name '{name}' is reserved; choose another",
                                                  "fields", name, says="reserved_field", name=name))
    for rule in ruleset.rules:
        problems += _check_rule(ruleset, rule)
    problems += _check_period_rules(ruleset)
    problems += _check_vetoes(ruleset)
    problems += _check_resets(ruleset)
    problems += _check_exclusive_groups(ruleset)
    problems += _check_limits(ruleset)
    problems += _check_tests(ruleset)
    problems += _check_decimals(ruleset)
    return problems


def _check_decimals(ruleset: Ruleset) -> list[Problem]:
    """Every amount the ruleset states has at most the decimal places it allows itself (``accounts.decimals``)."""
    decimals = ruleset.accounts.decimals if ruleset.accounts else 0
    return [node.problem(ErrorCode.BAD_VALUE, f"{value} has more decimal places than accounts.decimals "
                         f"({decimals}) allows", *path, says="too_many_decimals", value=str(value),
                         decimals=decimals)
            for node, path, value in _amounts(ruleset) if places(value) > decimals]


def _amounts(node: Node) -> Iterator[tuple[Node, tuple[str | int, ...], Decimal]]:
    """Every amount written under ``node``: the node it belongs to, its key path there, and the amount."""
    def walk(value: Any, path: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], Any]]:
        if isinstance(value, list):
            for n, item in enumerate(value):
                yield from walk(item, (*path, n))
        elif isinstance(value, dict):
            for key, item in value.items():
                yield from walk(item, (*path, key))
        else:
            yield path, value
    for name in type(node).model_fields:
        for path, value in walk(getattr(node, name), (name,)):
            if isinstance(value, Node):
                yield from _amounts(value)
            elif isinstance(value, Decimal):
                yield node, path, value


def _check_period_rules(ruleset: Ruleset) -> list[Problem]:
    """Every category a period rule names is declared (one it reads, or the one it pays into)."""
    categories = {c.id for c in ruleset.categories}
    problems = []
    for rule in ruleset.period_rules:
        named = [(rule.category, ("category",)), *((c, ("without", i)) for i, c in enumerate(rule.without))]
        if rule.points is not None:
            named.append((rule.points.category, ("points", "category")))
        problems += [_unknown(rule, ErrorCode.UNKNOWN_CATEGORY, "category", category, categories, *path)
                     for category, path in named if category not in categories]
    return problems


def _check_vetoes(ruleset: Ruleset) -> list[Problem]:
    """A veto caps at a declared tier; a rule lifts only rules that set a veto or carry over."""
    tiers = {t.id for t in ruleset.tiers or []}
    vetoes = {r.id for r in ruleset.rules if r.veto is not None or r.carries_over}
    problems = []
    for rule in ruleset.rules:
        if rule.veto is not None and rule.veto.tier_at_most is not None and rule.veto.tier_at_most not in tiers:
            problems.append(_unknown(rule, ErrorCode.UNKNOWN_TIER, "tier", rule.veto.tier_at_most, tiers, "veto",
                                     "tier_at_most"))
        for position, lifted in enumerate(rule.lifts):
            if lifted == rule.id:
                problems.append(rule.problem(ErrorCode.BAD_VALUE, "a rule cannot lift itself: its next fact would "
                                             "end what its last one set", "lifts", position, says="lifts_itself"))
            elif lifted not in vetoes:
                problems.append(rule.problem(
                    ErrorCode.UNKNOWN_RULE, f"'{lifted}' is not a rule with a veto or carries_over, so there is "
                    "nothing to lift" + (f" (such rules: {', '.join(sorted(vetoes))})" if vetoes else ""),
                    "lifts", position, says="lifts_nothing" if vetoes else "lifts_nothing.none", name=lifted,
                    rules=", ".join(sorted(vetoes))))
    return problems


def _check_resets(ruleset: Ruleset) -> list[Problem]:
    """One reset per account, never on expiring points; only deductions of a reset account carry over."""
    accounts = ruleset.accounts
    if accounts is None:
        return []
    problems, reset = [], set()
    for item in accounts.resets:
        if item.account in reset:
            problems.append(item.problem(ErrorCode.BAD_VALUE, f"the {item.account} account is reset twice; write "
                                         "one reset per account", "account", says="reset_twice",
                                         account=item.account))
        if item.account == "points" and accounts.points_expire is not None:
            problems.append(item.problem(ErrorCode.BAD_VALUE, "points both expire (accounts.points_expire) and are "
                                         "reset here: say one of the two", "account", says="expire_and_reset"))
        reset.add(item.account)
    fields = {f.id: f.fields for f in ruleset.fact_types}
    for rule in ruleset.rules:
        if not rule.carries_over:
            continue
        lowered = set(rule.accounts or accounts.deductions_lower)
        if 1 in amount_signs(rule, fields.get(rule.fact, {})):
            problems.append(rule.problem(ErrorCode.BAD_VALUE, "only a deduction carries over, and this rule can "
                                         "award points", "carries_over", says="carries_over_awards"))
        elif not lowered & reset:
            problems.append(rule.problem(
                ErrorCode.BAD_VALUE, f"no account this rule lowers ({', '.join(sorted(lowered))}) is reset "
                "(accounts.resets), so there is nothing to carry over", "carries_over", says="carries_over_no_reset",
                accounts=", ".join(sorted(lowered))))
    return problems


def _check_exclusive_groups(ruleset: Ruleset) -> list[Problem]:
    """A group chooses among rules that can match one fact together: two or more, enabled, of one fact type."""
    groups: dict[str, list[Rule]] = {}
    for rule in ruleset.rules:
        if rule.exclusive:
            groups.setdefault(rule.exclusive, []).append(rule)
    problems = []
    for name, rules in groups.items():
        enabled = [r for r in rules if r.enabled]
        facts = sorted({r.fact for r in enabled})
        if len(enabled) < 2:
            message = f"exclusive group '{name}' has only rule '{rules[0].id}'; a group chooses among two or more"
            said = {"says": "exclusive_alone", "group": name, "rule": rules[0].id}
        elif len(facts) > 1:
            message = (f"exclusive group '{name}' mixes fact types {', '.join(facts)}; only rules of one fact "
                       "type can match the same fact")
            said = {"says": "exclusive_mixed", "group": name, "facts": ", ".join(facts)}
        else:
            continue
        problems += [rule.problem(ErrorCode.EXCLUSIVE_GROUP, message, "exclusive", **said) for rule in rules]
    return problems


def _duplicates(kind: str, items: Iterable[Node], key: str = "id") -> list[Problem]:
    seen: set[str] = set()
    problems = []
    for item in items:
        value = getattr(item, key)
        if value in seen:
            problems.append(item.problem(ErrorCode.DUPLICATE_ID, f"{kind} '{value}' is defined twice", key,
                                         says="defined_twice", kind=kind, name=value))
        seen.add(value)
    return problems


def _check_tiers(ruleset: Ruleset) -> list[Problem]:
    lowest = float("-inf")
    tiers = sorted(ruleset.tiers or [], key=lambda t: lowest if t.index_from is None else t.index_from)
    problems = []
    for tier in tiers:
        if tier.index_from is not None and tier.index_below is not None and tier.index_below <= tier.index_from:
            problems.append(tier.problem(ErrorCode.BAD_VALUE,
                                         f"tier '{tier.id}': index_below must be greater than index_from",
                                         "index_below", says="tier_bounds", tier=tier.id))
    if tiers[0].index_from is not None:
        problems.append(tiers[0].problem(ErrorCode.TIER_GAP,
                                         f"an index below {tiers[0].index_from} falls in no tier; leave "
                                         f"index_from out on the lowest tier ('{tiers[0].id}')", "index_from",
                                         says="tier_gap_below", index=tiers[0].index_from, tier=tiers[0].id))
    if tiers[-1].index_below is not None:
        problems.append(tiers[-1].problem(ErrorCode.TIER_GAP,
                                          f"an index of {tiers[-1].index_below} or more falls in no tier; leave "
                                          f"index_below out on the highest tier ('{tiers[-1].id}')", "index_below",
                                          says="tier_gap_above", index=tiers[-1].index_below, tier=tiers[-1].id))
    for lower, upper in pairwise(tiers):
        end = lower.index_below
        if end is None or (upper.index_from is not None and end > upper.index_from):
            problems.append(upper.problem(ErrorCode.TIER_OVERLAP,
                                          f"tiers '{lower.id}' and '{upper.id}' overlap", "index_from",
                                          says="tier_overlap", lower=lower.id, upper=upper.id))
        elif upper.index_from is not None and end < upper.index_from:
            problems.append(upper.problem(ErrorCode.TIER_GAP,
                                          f"an index from {end} up to {upper.index_from} falls in no tier "
                                          f"(between '{lower.id}' and '{upper.id}')", "index_from",
                                          says="tier_gap_between", start=end, end=upper.index_from, lower=lower.id,
                                          upper=upper.id))
    return problems


def _unknown(node: Node, code: ErrorCode, kind: str, name: str, known: Iterable[str], *path) -> Problem:
    hint = difflib.get_close_matches(name, list(known), n=1)
    suggestion = f"; did you mean '{hint[0]}'?" if hint else ""
    return node.problem(code, f"unknown {kind} '{name}'{suggestion}", *path, says="unknown_reference",
                        name=name, hint=hint[0] if hint else "")


def _check_rule(ruleset: Ruleset, rule: Rule) -> list[Problem]:
    problems = []
    categories = {c.id for c in ruleset.categories}
    if rule.category not in categories:
        problems.append(_unknown(rule, ErrorCode.UNKNOWN_CATEGORY, "category", rule.category, categories,
                                 "category"))
    fact_types = {f.id: f for f in ruleset.fact_types}
    fact_type = fact_types.get(rule.fact)
    if fact_type is None:
        problems.append(_unknown(rule, ErrorCode.UNKNOWN_FACT_TYPE, "fact type", rule.fact, fact_types, "fact"))
        return problems
    fields = fact_type.fields
    if rule.when is not None:
        problems += _check_condition(rule.when, fields, rule.fact)
        if not problems and conditions.satisfiable_by_absence(conditions.build(rule.when, fields)):
            problems.append(rule.problem(
                ErrorCode.ABSENCE_ONLY,
                f"rule '{rule.id}' could match a fact only because fields are missing; add a test that "
                "something is present or has a value", "when", says="absence_only", rule=rule.id))
    award = rule.award
    if award.per is not None:
        spec = fields.get(award.per)
        if spec is None:
            problems.append(_unknown(award, ErrorCode.UNKNOWN_FIELD, f"field of '{rule.fact}'", award.per,
                                     fields, "per"))
        elif spec.type not in ("int", "number"):
            problems.append(award.problem(ErrorCode.TYPE_MISMATCH,
                                          f"'per' needs a numeric field; '{award.per}' is {spec.type}", "per",
                                          says="needs_numeric", key="per", field=award.per, field_type=spec.type))
        elif award.points and any(bound is None or abs(exact(bound)) / exact(award.every or 1) * abs(award.points)
                                  > LARGEST for bound in (spec.max, spec.min)):
            problems.append(award.problem(
                ErrorCode.BAD_VALUE, f"'{award.per}' needs 'min' and 'max' such that one award stays within "
                                     f"±{LARGEST:,} points ({award.points} per unit)", "per",
                says="per_unbounded", field=award.per, largest=f"{LARGEST:,}", points=str(award.points)))
    if award.table is not None:
        spec = fields.get(award.table.field)
        if spec is None:
            problems.append(_unknown(award.table, ErrorCode.UNKNOWN_FIELD, f"field of '{rule.fact}'",
                                     award.table.field, fields, "field"))
        else:
            for key in award.table.values:
                mismatch = _value_mismatch(spec, key)
                if mismatch:
                    problems.append(award.table.problem(ErrorCode.TYPE_MISMATCH, f"table key {key!r}: {mismatch[0]}",
                                                        "values", key, says="table_key_mismatch", value=str(key),
                                                        reason=mismatch[1]))
    problems += _check_repeats(rule)
    reaches = rule.reaches
    if reaches is not None and reaches.sum is not None:
        spec = fields.get(reaches.sum)
        if spec is None:
            problems.append(_unknown(reaches, ErrorCode.UNKNOWN_FIELD, f"field of '{rule.fact}'", reaches.sum, fields,
                                     "sum"))
        elif spec.type not in ("int", "number"):
            problems.append(reaches.problem(ErrorCode.TYPE_MISMATCH,
                                            f"'sum' needs a numeric field; '{reaches.sum}' is {spec.type}", "sum",
                                            says="needs_numeric", key="sum", field=reaches.sum,
                                            field_type=spec.type))
    for key in ("after", "not_after"):
        earlier = getattr(rule, key)
        if earlier is not None:
            problems += _check_earlier(earlier, fact_types)
    return problems


def _check_earlier(earlier: Earlier, fact_types: dict[str, FactType]) -> list[Problem]:
    """An ``after`` / ``not_after`` names a known fact type and a condition on its fields."""
    fact_type = fact_types.get(earlier.fact)
    if fact_type is None:
        return [_unknown(earlier, ErrorCode.UNKNOWN_FACT_TYPE, "fact type", earlier.fact, fact_types, "fact")]
    if earlier.when is None:
        return []
    problems = _check_condition(earlier.when, fact_type.fields, earlier.fact)
    if not problems and conditions.satisfiable_by_absence(conditions.build(earlier.when, fact_type.fields)):
        problems.append(earlier.problem(ErrorCode.ABSENCE_ONLY, f"the earlier '{earlier.fact}' could match only "
                                        "because fields are missing; add a test that something is present or has "
                                        "a value", "when", says="absence_only.earlier", fact=earlier.fact))
    return problems


def _check_repeats(rule: Rule) -> list[Problem]:
    """``amounts`` take the place of fixed points, so they need fixed points of the same sign (never 0).

    Sizes are bounded by the model (points and amounts to ±1,000,000, multipliers to 1,000), so
    no occurrence exceeds what a ledger entry holds (a 64-bit count of hundredths of a point).
    """
    repeats, award = rule.repeats, rule.award
    if repeats is None or repeats.amounts is None:
        return []
    if award.points is None or award.per is not None:
        return [repeats.problem(ErrorCode.BAD_VALUE, "'amounts' replace the rule's fixed points; an award per "
                                "unit or from a table scales by 'multipliers' instead", "amounts",
                                says="amounts_need_fixed_points")]
    return [repeats.problem(ErrorCode.BAD_VALUE, f"amount {amount} of occurrence {n}: the rule's points "
                            f"are {signed(award.points)}, so every amount needs that sign (and is never 0)",
                            "amounts", n - 1, says="amount_sign", amount=str(amount), n=n,
                            points=signed(award.points))
            for n, amount in enumerate(repeats.amounts, start=1) if amount * award.points <= 0]


def _check_limits(ruleset: Ruleset) -> list[Problem]:
    """Every limit caps something: amounts of its sign from an enabled rule it covers, once per span and sign."""
    fields = {f.id: f.fields for f in ruleset.fact_types}
    signs: dict[str, set[int]] = {}
    for rule in ruleset.rules:
        if rule.enabled and rule.fact in fields:
            signs[rule.id] = amount_signs(rule, fields[rule.fact])
            signs.setdefault(f"category {rule.category}", set()).update(signs[rule.id])
    owners = [("rule", r, r.id) for r in ruleset.rules if r.id in signs] + \
        [("category", c, f"category {c.id}") for c in ruleset.categories]
    problems = []
    for kind, owner, key in owners:
        name, whose = f"{kind} '{owner.id}'", {"kind": kind, "name": owner.id}
        seen: set[tuple[str, int, str | None]] = set()
        for position, limit in enumerate(owner.limits):
            given = signs.get(key)
            if not given:
                problems.append(owner.problem(ErrorCode.LIMIT_CAPS_NOTHING,
                                              f"{name} has no enabled rule: its limit would cap nothing",
                                              "limits", position, says="limit_no_rule", **whose))
                continue
            sign = limit_sign(limit, given)
            if limit.per == "member" and (ruleset.accounts is None or ruleset.accounts.held_by != "household"):
                problems.append(limit.problem(ErrorCode.BAD_VALUE, "'per: member' counts each member of a "
                                              "household, and residents hold this standard's accounts: each is "
                                              "counted alone already", "per", says="per_member_by_resident"))
            if sign not in given:
                wanted, other = ("deductions", "deducts") if sign < 0 else ("awards", "awards points")
                problems.append(limit.problem(ErrorCode.LIMIT_CAPS_NOTHING,
                                              f"this limit caps {wanted}, but no enabled rule of {name} {other}: "
                                              "it would cap nothing", "applies_to", says="limit_wrong_sign",
                                              sign=wanted, **whose))
            elif (limit.span, sign, limit.per) in seen:
                problems.append(limit.problem(
                    ErrorCode.LIMIT_CAPS_NOTHING, f"{name} has two limits per {limit.span} on its "
                    f"{'deductions' if sign < 0 else 'awards'}; write one limit with both 'max' and 'times'",
                    "period" if limit.period else "days", says="limit_twice", span=limit.span,
                    sign="deductions" if sign < 0 else "awards", **whose))
            seen.add((limit.span, sign, limit.per))
    return problems


def _check_condition(condition: Condition, fields: dict[str, FieldSpec], fact: str) -> list[Problem]:
    problems = []
    for name, test in (condition.model_extra or {}).items():
        spec = fields.get(name)
        if spec is None:
            problems.append(_unknown(condition, ErrorCode.UNKNOWN_FIELD, f"field of '{fact}'", name, fields,
                                     name))
            continue
        comparison = test if isinstance(test, Comparison) else Comparison(is_=test)
        for key in comparison.model_fields_set:
            value = getattr(comparison, key)
            word = type(comparison).model_fields[key].alias or key
            path = (name, word) if isinstance(test, Comparison) else (name,)
            if key == "present":
                continue
            if key in ("above", "at_least", "below", "at_most") and spec.type not in ORDERED_TYPES:
                problems.append(condition.problem(ErrorCode.TYPE_MISMATCH,
                                                  f"'{word}' compares order, but '{name}' is {spec.type}", *path,
                                                  says="order_on_unordered", word=word, field=name,
                                                  field_type=spec.type))
                continue
            for item in value if isinstance(value, list) else [value]:
                mismatch = _value_mismatch(spec, item)
                if mismatch:
                    problems.append(condition.problem(
                        ErrorCode.TYPE_MISMATCH, f"'{name}' {word} {item!r}: {mismatch[0]}", *path,
                        says="condition_mismatch", field=name, word=word, value=str(item), reason=mismatch[1]))
    for child in [*(condition.all_ or ()), *(condition.any_ or ())]:
        problems += _check_condition(child, fields, fact)
    if condition.not_ is not None:
        problems += _check_condition(condition.not_, fields, fact)
    return problems


def _value_mismatch(spec: FieldSpec, value: Any) -> tuple[str, dict[str, Any]] | None:
    """Why ``value`` cannot be compared with a field of this type, in English and as data (None when it can)."""
    kind = spec.type
    ok = {
        "int": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, (int, float)) and not isinstance(value, bool),
        "string": isinstance(value, str),
        "enum": isinstance(value, str),
        "bool": isinstance(value, bool),
        "date": isinstance(value, dt.date) and not isinstance(value, dt.datetime),
    }[kind]
    if not ok:
        return f"the field is {kind}, the value is {type(value).__name__}", {
            "says": "mismatch.type", "params": {"field_type": kind, "value_type": type(value).__name__}}
    if kind == "enum" and value not in (spec.values or []):
        listed = ", ".join(spec.values or [])
        return f"not one of {listed}", {"says": "mismatch.enum", "params": {"values": listed}}
    return None


def _check_tests(ruleset: Ruleset) -> list[Problem]:
    problems = []
    rules = {r.id for r in ruleset.rules}
    period_rules = {r.id for r in ruleset.period_rules}
    tiers = {t.id for t in ruleset.tiers or []}
    for test in ruleset.tests:
        for expected in test.expect.awards or []:
            if expected.rule not in rules | period_rules:
                problems.append(_unknown(expected, ErrorCode.UNKNOWN_RULE, "rule", expected.rule,
                                         rules | period_rules, "rule"))
            elif (expected.rule in period_rules) != (expected.period is not None):
                by_period = expected.rule in period_rules
                problems.append(expected.problem(
                    ErrorCode.BAD_VALUE, f"rule '{expected.rule}' pays for " + (
                        "a closed period: name its 'period' (e.g. 2021-12), not a fact"
                        if by_period else "a fact: name its 'fact', not a period"),
                    "period" if expected.period is not None else "fact",
                    says="expected_by_period" if by_period else "expected_by_fact", rule=expected.rule))
        if test.closes_until is None and any(e.period is not None for e in test.expect.awards or []):
            problems.append(test.problem(ErrorCode.BAD_VALUE, "the test expects period awards but closes no "
                                                              "period: add 'closes_until' (e.g. 2022-01-01)",
                                         "closes_until", says="test_closes_nothing"))
        for balance in (test.expect.balances or {}).values():
            if balance.tier is not None and balance.tier not in tiers:
                problems.append(_unknown(balance, ErrorCode.UNKNOWN_TIER, "tier", balance.tier, tiers, "tier"))
    return problems
