"""Running a ruleset's embedded tests: the gate a ruleset must pass before publication."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import replace

from pydantic import BaseModel

from .amounts import signed
from .compiler import CompiledRuleset
from .errors import FactError
from .evaluator import balances, evaluate
from .facts import SHANGHAI
from .ruleset import RulesetTest


class TestOutcome(BaseModel):
    """One embedded test's result: passed, or each difference between what it expected and what came."""

    name: str
    passed: bool
    failures: list[str] = []


def run_tests(compiled: CompiledRuleset) -> list[TestOutcome]:
    """Each embedded test evaluated from empty accounts; one outcome per test."""
    return [run_test(compiled, test) for test in compiled.ruleset.tests]


def run_test(compiled: CompiledRuleset, test: RulesetTest) -> TestOutcome:
    """One embedded test from empty accounts; facts the ruleset rejects fail the test instead of raising."""
    try:
        evaluation = evaluate(_dated_for(compiled, test), test.facts, closes_until=test.closes_until)
    except FactError as exc:
        return TestOutcome(name=test.name, passed=False, failures=[p.message for p in exc.problems])
    failures: list[str] = []
    if test.expect.awards is not None:
        want_limits = any(e.limited_by for e in test.expect.awards)
        got = Counter((a.fact_id, a.period, a.rule_id, a.amount, a.limited_by if want_limits else None)
                      for a in evaluation.awards)
        want = Counter((e.fact, e.period, e.rule, e.amount, e.limited_by if want_limits else None)
                       for e in test.expect.awards)
        for item in sorted((want - got).keys(), key=str):
            failures.append(f"expected award {_show(item)} was not given")
        for item in sorted((got - want).keys(), key=str):
            failures.append(f"unexpected award {_show(item)}")
    if test.expect.balances:
        actual = balances(compiled.ruleset, evaluation.awards, test.expect.balances, evaluation.resets)
        for resident, expected in test.expect.balances.items():
            balance = actual[resident]
            for key in ("index", "points", "tier", "flags"):
                want_value = getattr(expected, key)
                if want_value is not None and getattr(balance, key) != want_value:
                    failures.append(f"{resident}: {key} is {getattr(balance, key)}, expected {want_value}")
    return TestOutcome(name=test.name, passed=not failures, failures=failures)


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


def _show(item: tuple) -> str:
    fact, period, rule, amount, limited = item
    return f"{rule} {signed(amount)} for " + (f"fact {fact}" if fact is not None else f"period {period}") + \
        (f" (limited by {limited})" if limited else "")
