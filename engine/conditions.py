"""Conditions as a small tree of tests, in negation normal form.

A rule's ``when`` is turned into ``All`` / ``Any`` groups over ``Test`` leaves, with every
``not`` pushed down to the leaves. The same tree is compiled to a durable-rules
expression (which does the matching) and, only when an explanation is asked for,
walked in Python to name the first test that failed. Semantics, shared by both:
a comparison on a field the fact does not have is false; ``present: false`` is the only
test a missing field passes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from .ruleset import Comparison, Condition, FieldSpec

#: comparison keyword → operator, in the order a comparison's keys are tested
OPERATORS = {"is_": "eq", "is_not": "ne", "above": "gt", "at_least": "ge", "below": "lt",
             "at_most": "le", "in_": "in", "not_in": "not_in", "present": "present"}
NEGATED = {"eq": "ne", "ne": "eq", "gt": "le", "ge": "lt", "lt": "ge", "le": "gt",
           "in": "not_in", "not_in": "in", "present": "absent", "absent": "present"}
WORDS = {"eq": "", "ne": "not", "gt": "above", "ge": "at least", "lt": "below", "le": "at most",
         "in": "one of", "not_in": "none of", "present": "present", "absent": "absent"}
DURABLE_ORDER = {"gt": "$gt", "ge": "$gte", "lt": "$lt", "le": "$lte"}


@dataclass(frozen=True)
class Test:
    """One test of one field; ``op`` is a key of ``NEGATED``, ``value`` None for present/absent."""

    field: str
    op: str
    value: Any = None


@dataclass(frozen=True)
class All:
    """Holds when every part holds, so an empty ``All`` (a rule without ``when``) always holds."""

    parts: tuple[Expr, ...]


@dataclass(frozen=True)
class Any_:
    """Holds when at least one part holds (the underscore keeps ``typing.Any`` usable here)."""

    parts: tuple[Expr, ...]


Expr = Test | All | Any_


def build(condition: Condition | None, fields: dict[str, FieldSpec]) -> Expr:
    """The condition as a negation-normal tree; an absent condition is an empty ``All``."""
    if condition is None:
        return All(())
    return _build(condition, fields, negate=False)


def _build(condition: Condition, fields: dict[str, FieldSpec], negate: bool) -> Expr:
    parts: list[Expr] = []
    for name, test in (condition.model_extra or {}).items():
        comparison = test if isinstance(test, Comparison) else Comparison(is_=test)
        for key, op in OPERATORS.items():
            value = getattr(comparison, key)
            if value is None:
                continue
            if op == "present" and value is False:
                op = "absent"
            parts.append(_leaf(Test(name, op, value if op not in ("present", "absent") else None),
                               fields.get(name), negate))
    for child in condition.all_ or ():
        parts.append(_build(child, fields, negate))
    if condition.any_:
        group = [_build(child, fields, negate) for child in condition.any_]
        parts.append(All(tuple(group)) if negate else Any_(tuple(group)))
    if condition.not_ is not None:
        parts.append(_build(condition.not_, fields, not negate))
    return _flatten(Any_(tuple(parts)) if negate else All(tuple(parts)))


def _leaf(test: Test, spec: FieldSpec | None, negate: bool) -> Expr:
    if not negate:
        return test
    flipped = Test(test.field, NEGATED[test.op], test.value)
    if test.op in ("present", "absent") or spec is None or spec.required:
        return flipped
    # "not (hours at least 3)" also holds when an optional field is missing
    return Any_((flipped, Test(test.field, "absent")))


def _flatten(expr: Expr) -> Expr:
    if isinstance(expr, Test):
        return expr
    kind = type(expr)
    parts: list[Expr] = []
    for part in expr.parts:
        part = _flatten(part)
        parts.extend(part.parts if type(part) is kind else (part,))
    return parts[0] if len(parts) == 1 else kind(tuple(parts))


def satisfiable_by_absence(expr: Expr) -> bool:
    """True when some way of satisfying ``expr`` tests nothing but missing fields.

    durable-rules treats session state as a fact, so such a rule could match it and loop
    (rules #222, #288); we refuse them at load.
    """
    if isinstance(expr, Test):
        return expr.op == "absent"
    if isinstance(expr, All):
        return bool(expr.parts) and all(satisfiable_by_absence(p) for p in expr.parts)
    return any(satisfiable_by_absence(p) for p in expr.parts)


def engine_value(value: Any) -> Any:
    """Values as the engine sees them: dates become sortable integers (20210501)."""
    if isinstance(value, dt.date):
        return value.year * 10000 + value.month * 100 + value.day
    return value


def to_durable(expr: Expr) -> dict:
    """The durable-rules JSON expression for ``expr``."""
    if isinstance(expr, All):
        return {"$and": [to_durable(p) for p in expr.parts]}
    if isinstance(expr, Any_):
        return {"$or": [to_durable(p) for p in expr.parts]}
    field, op = expr.field, expr.op
    if op == "present":
        return {"$ex": {field: 1}}
    if op == "absent":
        return {"$nex": {field: 1}}
    if op in ("in", "not_in"):
        tests = [{field: engine_value(v)} if op == "in" else {"$neq": {field: engine_value(v)}}
                 for v in expr.value]
        return tests[0] if len(tests) == 1 else {"$or" if op == "in" else "$and": tests}
    value = engine_value(expr.value)
    if op == "eq":
        return {field: value}
    if op == "ne":
        return {"$neq": {field: value}}
    return {DURABLE_ORDER[op]: {field: value}}


@dataclass(frozen=True)
class Failure:
    """The first test of a condition a fact did not pass."""

    field: str
    op: str
    expected: Any
    actual: Any  # the fact's value, or None when missing
    missing: bool

    def describe(self) -> str:
        """The reason a resident reads, e.g. ``hours must be at least 1 (fact has 0.5)``."""
        got = "missing" if self.missing else repr(self.actual)
        expected = "" if self.op in ("present", "absent") else repr(self.expected)
        wanted = " ".join(part for part in (WORDS[self.op], expected) if part)
        return f"{self.field} must be {wanted} (fact has {got})"


def first_failure(expr: Expr, values: dict[str, Any]) -> Failure | None:
    """Why ``values`` do not satisfy ``expr`` (None when they do); for explanations only."""
    if isinstance(expr, Test):
        return None if _holds(expr, values) else Failure(
            expr.field, expr.op, expr.value, values.get(expr.field), expr.field not in values)
    if isinstance(expr, All):
        for part in expr.parts:
            failure = first_failure(part, values)
            if failure:
                return failure
        return None
    failures = [first_failure(part, values) for part in expr.parts]
    return None if any(f is None for f in failures) else failures[0]


def _holds(test: Test, values: dict[str, Any]) -> bool:
    if test.op == "absent":
        return test.field not in values
    if test.field not in values:
        return False
    actual = values[test.field]
    expected = engine_value(test.value) if test.op not in ("in", "not_in") else \
        [engine_value(v) for v in test.value]
    return {
        "present": lambda: True,
        "eq": lambda: actual == expected,
        "ne": lambda: actual != expected,
        "gt": lambda: actual > expected,
        "ge": lambda: actual >= expected,
        "lt": lambda: actual < expected,
        "le": lambda: actual <= expected,
        "in": lambda: actual in expected,
        "not_in": lambda: actual not in expected,
    }[test.op]()


def leaves(expr: Expr):
    """Every test in the tree, depth first."""
    if isinstance(expr, Test):
        yield expr
    else:
        for part in expr.parts:
            yield from leaves(part)
