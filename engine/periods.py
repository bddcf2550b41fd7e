"""Period rules: what a resident earns when a period closes (连续 12 个月无违规加 10 分).

A period rule reads the awards of the resident's facts in each closed period: whether it
had none of some categories (无违规), or its points of a category are at least (or at
most) a number. ``streak: N`` asks that of N consecutive periods; it pays on the Nth, and
again on every Nth period of a longer run (a payment in the N-1 periods before is the
run's previous one). Periods wholly inside the version's dates count; one that began
before the standard did never qualifies.

The same function decides for the engine (a dry-run, an embedded test, a simulation: the
awards it just computed) and for the store's closing job (the ledger's sums), so both
agree; the closing job writes what is missing and restates what changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from .accounting import add_months, period_keys, period_window
from .facts import SHANGHAI
from .ruleset import PeriodRule, Ruleset


@dataclass(frozen=True, slots=True)
class ClosedPeriod:
    """One calendar period: its key (``2021-05``), first day and the day after its last."""

    key: str
    start: dt.date
    end: dt.date

    @property
    def last_moment(self) -> dt.datetime:
        """When a period award happens: the last second of the period, Shanghai time."""
        return dt.datetime.combine(self.end, dt.time(), SHANGHAI) - dt.timedelta(seconds=1)


_NOTHING = Decimal(0)


class PeriodTotals:
    """A resident's awards of facts in one period, per category: how many (not nothing) and their points."""

    __slots__ = ("counted", "points")

    def __init__(self) -> None:
        self.counted: dict[str, int] = {}
        self.points: dict[str, Decimal] = {}

    def add(self, category: str, amount: Decimal, raw_amount: Decimal) -> None:
        """Count one award of a fact (a deduction capped to nothing still happened)."""
        if raw_amount:
            self.counted[category] = self.counted.get(category, 0) + 1
        self.points[category] = self.points.get(category, _NOTHING) + amount


def periods_between(period: str, first: dt.date, last: dt.date) -> list[ClosedPeriod]:
    """The periods that begin on or after ``first`` and end by ``last`` (the day after their last day)."""
    found: list[ClosedPeriod] = []
    start = first
    while True:
        low, high = period_window(period, dt.datetime.combine(start, dt.time(), SHANGHAI))
        begin, end = low.date(), high.date()
        if begin < first:  # the period holding ``first`` began earlier: start with the next one
            start = end
            continue
        if end > last:
            return found
        found.append(ClosedPeriod(period_keys(begin)[period], begin, end))
        start = end


def rule_periods(ruleset: Ruleset, rule: PeriodRule, first: dt.date, last: dt.date) -> list[ClosedPeriod]:
    """The periods of ``rule`` a version closes between ``first`` and ``last``: within its own dates."""
    high = last if ruleset.effective_to is None else min(last, ruleset.effective_to + dt.timedelta(days=1))
    return periods_between(rule.period, max(first, ruleset.effective_from), high)


def qualifies(rule: PeriodRule, totals: PeriodTotals | None) -> bool:
    """Whether one period meets the rule's condition (no totals: the resident had no awards in it)."""
    counted = totals.counted if totals else {}
    points = totals.points if totals else {}
    if any(counted.get(category, 0) for category in rule.without):
        return False
    if rule.points is not None:
        have = points.get(rule.points.category, 0)
        if rule.points.at_least is not None and have < rule.points.at_least:
            return False
        if rule.points.at_most is not None and have > rule.points.at_most:
            return False
    return True


def period_payments(rule: PeriodRule, periods: list[ClosedPeriod], totals: Mapping[str, PeriodTotals],
                    paid_before: Iterable[str] = (), *, lead: int = 0) -> list[tuple[ClosedPeriod, list[str]]]:
    """The periods (of ``periods[lead:]``) the rule pays for, each with the periods of the run that qualified.

    ``periods`` are consecutive; the first ``lead`` of them are only read (a streak's earlier
    periods), as are ``paid_before``: the keys of periods paid for earlier.
    """
    paid = set(paid_before)
    run: list[str] = []
    payments = []
    for number, period in enumerate(periods):
        if not qualifies(rule, totals.get(period.key)):
            run = []
            continue
        run.append(period.key)
        window = run[-rule.streak:]
        if len(window) == rule.streak and not paid.intersection(window[:-1]) and number >= lead:
            paid.add(period.key)
            payments.append((period, window))
    return payments


def lookback_start(rule: PeriodRule, first: dt.date) -> dt.date:
    """How far back closing the periods from ``first`` on reads: a streak's earlier periods."""
    months = {"month": 1, "quarter": 3, "year": 12}.get(rule.period)
    if months:
        return add_months(first, -months * (rule.streak - 1))
    return first - dt.timedelta(days=(7 if rule.period == "week" else 1) * (rule.streak - 1))


#: At most this many (resident, period) decisions in one evaluation that closes periods: a
#: dry-run or an embedded test chooses ``closes_until`` freely, and a daily rule closed to
#: 2099 for a thousand residents is 36 million decisions (seconds each 100,000 of them).
MAX_CLOSINGS = 200_000

_SHORTEST_DAYS = {"day": 1, "week": 7, "month": 28, "quarter": 90, "year": 365}


def closings(ruleset: Ruleset, residents: int, first: dt.date, until: dt.date, carrying: int = 0) -> int:
    """How many (resident, period) decisions closing from ``first`` to ``until`` reads, at most (without counting).

    Each period rule decides its periods; each reset of an account (年度清零) its period ends,
    at each of which it also reads the ``carrying`` facts (of rules that carry over or lift).
    """
    high = until if ruleset.effective_to is None else min(until, ruleset.effective_to + dt.timedelta(days=1))
    def periods(low: dt.date, period: str) -> int:
        return max(0, (high - low).days) // _SHORTEST_DAYS[period] + 1

    decided = sum(periods(max(lookback_start(rule, first), ruleset.effective_from), rule.period)
                  for rule in ruleset.period_rules if rule.enabled) * residents
    ends = sum(periods(max(first, ruleset.effective_from), reset.every)
               for reset in (ruleset.accounts.resets if ruleset.accounts else []))
    return decided + ends * (residents + carrying)


@dataclass(frozen=True, slots=True)
class Payment:
    """A period rule pays a resident for a closed period; ``qualified``: the run of periods that earned it."""

    resident: str
    rule: PeriodRule
    period: ClosedPeriod
    qualified: tuple[str, ...]


class Earned(Protocol):
    """What a period rule reads of an award of a fact: an engine ``Award`` as it is, or a ledger row's ``Granted``."""

    @property
    def resident(self) -> str:
        """Whose account it went to."""

    @property
    def category(self) -> str:
        """The category of its rule."""

    @property
    def occurred_at(self) -> dt.datetime:
        """When its fact happened."""

    @property
    def amount(self) -> Decimal:
        """What it gave, after limits."""

    @property
    def raw_amount(self) -> Decimal:
        """What its rule gave before limits (a deduction capped to nothing still happened)."""


@dataclass(frozen=True, slots=True)
class Granted:
    """An award of a fact read back from the ledger, as period rules read it."""

    resident: str
    category: str
    occurred_at: dt.datetime
    amount: Decimal
    raw_amount: Decimal


def payments(ruleset: Ruleset, granted: Iterable[Earned], residents: Iterable[str], first: dt.date,
             until: dt.date, paid_before: Mapping[tuple[str, str], set[str]] | None = None, *,
             known_from: dt.date | None = None, moved_in: Mapping[str, dt.date] | None = None) -> list[Payment]:
    """What every enabled period rule pays each resident for the periods from ``first`` that end by ``until``.

    ``granted`` holds the awards of facts from ``lookback_start`` the earliest rule's periods on;
    ``paid_before`` the keys each (resident, rule) was paid for before ``first``. With
    ``known_from``, no period that begins earlier is read: the facts begin there (a
    simulation's first month), and a month before them is unknown, not clean. ``moved_in``
    says the same of each account it names: a month before a family came was not a clean
    month here (连续 12 个月无违规 counts the months it lived in the community).
    """
    rules = [rule for rule in ruleset.period_rules if rule.enabled]
    if not rules:
        return []
    totals: dict[tuple[str, str, str], PeriodTotals] = {}  # (resident, period kind, key) → totals
    kinds = {rule.period for rule in rules}
    read = {category for rule in rules  # the categories ``qualifies`` reads: no totals of the others
            for category in (*rule.without, *((rule.points.category,) if rule.points is not None else ()))}
    for award in granted:
        if award.category not in read:  # most awards, skipped: a period of none of these reads as no awards
            continue
        keys = period_keys(award.occurred_at.astimezone(SHANGHAI).date())
        for kind in kinds:
            key = (award.resident, kind, keys[kind])
            period = totals.get(key)
            if period is None:  # made once a period (``setdefault`` would make one for every award)
                period = totals[key] = PeriodTotals()
            period.add(award.category, award.amount, award.raw_amount)
    found = []
    for rule in rules:
        periods = rule_periods(ruleset, rule, max(lookback_start(rule, first), known_from or dt.date.min), until)
        lead = sum(1 for period in periods if period.start < first)
        for resident in residents:
            lived, ahead = periods, lead
            if moved_in and resident in moved_in:  # only the periods it lived here
                lived = [period for period in periods if period.start >= moved_in[resident]]
                ahead = sum(1 for period in lived if period.start < first)
            mine = {p.key: t for p in lived if (t := totals.get((resident, rule.period, p.key))) is not None}
            paid = (paid_before or {}).get((resident, rule.id), set())
            found += [Payment(resident, rule, period, tuple(run))
                      for period, run in period_payments(rule, lived, mine, paid, lead=ahead)]
    return sorted(found, key=lambda p: (p.period.end, p.resident, p.rule.id))
