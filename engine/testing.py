"""Running a ruleset's embedded tests: the gate a ruleset must pass before publication."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import replace
from typing import Any

from pydantic import BaseModel

from .amounts import json_ready, signed
from .compiler import CompiledRuleset
from .errors import FactError
from .evaluator import evaluate
from .facts import SHANGHAI
from .ruleset import RulesetTest
from .sheet import balances


class Mismatch(BaseModel):
    """One difference between a test's ``expect`` and what came, as data an editor can turn into a new expectation.

    ``path`` is inside the test's ``expect``: ``["awards", 2]`` is the third expected award
    (``actual`` the award that came in its place, or None when none came), ``["awards"]`` an
    award that came unlisted (``expected`` None), ``["balances", "r1", "index"]`` one part of a
    balance. An award is written as a test writes it: fact or period, rule, amount, and the
    limit that cut it when the test checks limits.
    """

    path: list[str | int]
    expected: Any = None
    actual: Any = None


class Said(BaseModel):
    """What one failure says, as data: a sentence key and its parameters (and, for a refused fact, its code).

    A failure's sentence is English; a reader of another language is told the same from this
    (``xinzhi.messages``), as a ``Problem`` is. It travels as plain data, from a draft's worker too.
    """

    says: str | None = None
    params: dict[str, Any] = {}
    code: str = ""


class TestOutcome(BaseModel):
    """One embedded test's result: passed, or each difference between what it expected and what came.

    ``failures`` says each difference in a sentence, and ``said`` (one for each, in the same
    order) what the sentence is made of; ``mismatches`` says the same differences as data (none
    when the facts themselves were refused).
    """

    name: str
    passed: bool
    failures: list[str] = []
    said: list[Said] = []
    mismatches: list[Mismatch] = []


def run_tests(compiled: CompiledRuleset) -> list[TestOutcome]:
    """Each embedded test evaluated from empty accounts; one outcome per test."""
    return [run_test(compiled, test) for test in compiled.ruleset.tests]


def run_test(compiled: CompiledRuleset, test: RulesetTest) -> TestOutcome:
    """One embedded test from empty accounts; facts the ruleset rejects fail the test instead of raising."""
    try:
        evaluation = evaluate(_dated_for(compiled, test), test.facts, closes_until=test.closes_until)
    except FactError as exc:
        return TestOutcome(name=test.name, passed=False, failures=[p.message for p in exc.problems],
                           said=[Said(says=p.says, params=p.params, code=p.code) for p in exc.problems])
    failures: list[str] = []
    said: list[Said] = []
    mismatches: list[Mismatch] = []
    if test.expect.awards is not None:
        want_limits = any(e.limited_by for e in test.expect.awards)
        got_items = [(a.fact_id, a.period, a.rule_id, a.amount, a.limited_by if want_limits else None)
                     for a in evaluation.awards]
        want_items = [(e.fact, e.period, e.rule, e.amount, e.limited_by if want_limits else None)
                      for e in test.expect.awards]
        got, want = Counter(got_items), Counter(want_items)
        for item in sorted((want - got).keys(), key=str):
            failures.append(f"expected award {_show(item)} was not given")
            said.append(Said(says="test.award_missing", params={"award": _said_award(item)}))
        for item in sorted((got - want).keys(), key=str):
            failures.append(f"unexpected award {_show(item)}")
            said.append(Said(says="test.award_extra", params={"award": _said_award(item)}))
        mismatches += _award_mismatches(want_items, got_items, want - got, got - want)
    if test.expect.balances:
        actual = balances(compiled.ruleset, evaluation.awards, test.expect.balances, evaluation.resets)
        for resident, expected in test.expect.balances.items():
            balance = actual[resident]
            for key in ("index", "points", "tier", "flags"):
                want_value = getattr(expected, key)
                if want_value is not None and getattr(balance, key) != want_value:
                    failures.append(f"{resident}: {key} is {getattr(balance, key)}, expected {want_value}")
                    said.append(Said(says="test.balance", params={"resident": resident, "part": key,
                                                                  "actual": str(getattr(balance, key)),
                                                                  "expected": str(want_value)}))
                    mismatches.append(Mismatch(path=["balances", resident, key], expected=json_ready(want_value),
                                               actual=json_ready(getattr(balance, key))))
    return TestOutcome(name=test.name, passed=not failures, failures=failures, said=said, mismatches=mismatches)


def _award_mismatches(want_items: list[tuple], got_items: list[tuple], missing: Counter,
                      extra: Counter) -> list[Mismatch]:
    """The awards that differ, an expected one paired with what came for the same fact (or period) and rule.

    So an award whose amount (or limit) changed is one mismatch at its own place in the test,
    not a "not given" and an "unexpected" far apart.
    """
    missing, extra = Counter(missing), Counter(extra)
    unmatched_want = []  # (index in expect.awards, item), in the order the test lists them
    for index, item in enumerate(want_items):
        if missing[item]:
            missing[item] -= 1
            unmatched_want.append((index, item))
    unmatched_got = []  # in the order they were awarded
    for item in got_items:
        if extra[item]:
            extra[item] -= 1
            unmatched_got.append(item)
    out = []
    for index, item in unmatched_want:
        twin = next((g for g in unmatched_got if g[:3] == item[:3]), None)
        if twin is not None:
            unmatched_got.remove(twin)
        out.append(Mismatch(path=["awards", index], expected=_written(item),
                            actual=_written(twin) if twin else None))
    out += [Mismatch(path=["awards"], actual=_written(item)) for item in unmatched_got]
    return out


def _written(item: tuple) -> dict[str, Any]:
    """An award as a test's ``expect.awards`` writes it."""
    fact, period, rule, amount, limited = item
    written = {"fact": fact} if fact is not None else {"period": period}
    written |= {"rule": rule, "amount": json_ready(amount)}
    return written | ({"limited_by": limited} if limited else {})


def _dated_for(compiled: CompiledRuleset, test: RulesetTest) -> CompiledRuleset:
    """The version as a test of period rules reads it: in force from 1 January of the test's first fact's year.

    A new version copied for a later year keeps its tests; their facts then predate it, and
    periods before a version's first day never count. Scored facts ignore the version's
    dates anyway, so the test's periods count from where its facts begin, as in the year the
    test was written for.
    """
    if test.closes_until is None:
        return compiled
    days = [(f.occurred_at.replace(tzinfo=SHANGHAI) if f.occurred_at.tzinfo is None else f.occurred_at)
            .astimezone(SHANGHAI).date() for f in test.facts]
    start = dt.date(min(days).year, 1, 1)
    if start >= compiled.ruleset.effective_from:
        return compiled
    return replace(compiled, ruleset=compiled.ruleset.model_copy(update={"effective_from": start,
                                                                          "effective_to": None}))


def _said_award(item: tuple) -> dict[str, Any]:
    """An award as ``_show`` says it, as data: rule, signed amount, its fact or period, and the limit that cut it."""
    fact, period, rule, amount, limited = item
    return {"says": "test.award_for_fact" if fact is not None else "test.award_for_period",
            "params": {"rule": rule, "amount": signed(amount), "fact": fact or "", "period": period or "",
                       "limited": {"says": "test.limited" if limited else "test.unlimited",
                                   "params": {"limit": limited or ""}}}}


def _show(item: tuple) -> str:
    fact, period, rule, amount, limited = item
    return f"{rule} {signed(amount)} for " + (f"fact {fact}" if fact is not None else f"period {period}") + \
        (f" (limited by {limited})" if limited else "")
