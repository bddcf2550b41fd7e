"""What scoring remembers of a resident's past, and the rules that read it: limits, repeats, sequences.

A limit (每月限 1 次) reads the points and applications already counted in its span; a
repeat offence (一年内第二次起加倍扣分) reads the earlier occurrences of its rule or category;
a sequence (调解后再次…) looks back to the earlier facts that met its pattern (``engine.patterns``);
a threshold (累计满 50 小时) adds up the period's facts. An evaluation starts from an empty
``History``, or from one filled from a ledger (``History.record``) so that all hold across
requests. Calendar limits keep a sum per period; rolling windows and occurrences keep each
item's day or moment, read by bisection.
Scoring in time order drops what no later fact can read (``forget_before``), so a history
shared by a long stream holds about the longest span's worth of each resident's past.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right, insort
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from itertools import accumulate
from typing import Any

from pydantic import BaseModel, ConfigDict

from .accounting import period_keys, span_window
from .facts import SHANGHAI, Fact
from .patterns import EarlierTest
from .ruleset import FieldSpec, Limit, Repeats, Rule

#: A calendar period's length in days, roughly: how limits are ordered, shortest first.
PERIOD_DAYS = {"day": 1, "week": 7, "month": 31, "quarter": 92, "year": 366}
_BIG = 1 << 62
_NOTHING_USED = (Decimal(0), 0, 0)  # points, applications, latest day


class LimitRef(BaseModel):
    """One limit as scoring applies it: its owner (a rule or a category), span, caps and sign."""

    model_config = ConfigDict(frozen=True)

    scope: str  # "rule" or "category"
    id: str
    period: str  # a calendar period, or "30d" for a rolling window
    days: int | None = None  # the rolling window's length; None for a calendar period
    max: Decimal | None = None  # points (a deduction's size)
    times: int | None = None  # applications
    sign: int = 1  # 1: caps awards; -1: caps deductions
    per_member: bool = False  # where households hold the accounts: each member's usage, not the household's

    def __str__(self) -> str:
        return f"{self.scope}:{self.id}/{self.period}" + ("/deductions" if self.sign < 0 else "") + \
            ("/member" if self.per_member else "")

    def covers(self, rule_id: str | None, category: str | None, amount: Decimal) -> bool:
        """Whether ``amount`` given by ``rule_id`` (a rule of ``category``) falls under this limit."""
        return amount != 0 and (amount > 0) == (self.sign > 0) and \
            self.id == (rule_id if self.scope == "rule" else category)

    def window(self, moment: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
        """Start (inclusive) and end (exclusive) of the span that counts for a fact at ``moment``."""
        return span_window(None if self.days else self.period, self.days, moment)

    @property
    def reach(self) -> int:
        """The most days back from a fact's day that its span can hold."""
        return self.days if self.days is not None else PERIOD_DAYS[self.period]

    @property
    def length(self) -> tuple[int, int]:
        """Sort key: shorter spans first, a calendar period before a rolling window of its length."""
        return (self.days, 1) if self.days is not None else (PERIOD_DAYS[self.period], 0)


class RepeatRef(BaseModel):
    """A rule's repeats as scoring applies them: whose occurrences count, over which span, and the scale."""

    model_config = ConfigDict(frozen=True)

    scope: str  # "rule" or "category"
    id: str
    period: str | None
    days: int | None
    amounts: tuple[Decimal, ...] | None
    multipliers: tuple[int, ...] | None

    def window(self, moment: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
        """The span whose earlier occurrences count for a fact at ``moment``."""
        return span_window(self.period, self.days, moment)

    def amount(self, raw: Decimal, occurrence: int) -> Decimal:
        """The amount of occurrence number ``occurrence`` (1 for the first), the last entry repeating."""
        if self.amounts is not None:
            return self.amounts[min(occurrence, len(self.amounts)) - 1]
        assert self.multipliers is not None, "Repeats._one_span_and_one_scale: amounts or multipliers"
        return raw * self.multipliers[min(occurrence, len(self.multipliers)) - 1]

    @property
    def reach(self) -> int:
        """The most days back from a fact's day that its span can hold."""
        if self.days is not None:
            return self.days
        assert self.period is not None, "Repeats._one_span_and_one_scale: a period or days"
        return PERIOD_DAYS[self.period]

    def describe(self) -> str:
        """The span in words: 'the month', '365 days'."""
        return f"the {self.period}" if self.period else f"{self.days} days"


def repeat_ref(rule: Rule, repeats: Repeats) -> RepeatRef:
    """The compiled form of a rule's ``repeats``."""
    of_category = repeats.of == "category"
    return RepeatRef(scope=repeats.of, id=rule.category if of_category else rule.id, period=repeats.period,
                     days=repeats.days, amounts=tuple(repeats.amounts) if repeats.amounts else None,
                     multipliers=tuple(repeats.multipliers) if repeats.multipliers else None)


class History:
    """A resident's past as limits, repeats, sequences and thresholds read it (see the module's docstring).

    Each part is kept per resident, so that ``forget_before`` visits only the resident scored.
    """

    def __init__(self, keep_days: int = 0) -> None:
        self.used: defaultdict[str, dict[tuple, list[Any]]] = \
            defaultdict(dict)  # resident → {calendar limit and period: [points, times, latest day]}
        self.recent: defaultdict[str, defaultdict[tuple, _Rolling]] = \
            defaultdict(lambda: defaultdict(_Rolling))  # resident → {window: its applications by day}
        self.occurred: defaultdict[str, defaultdict[tuple, list[tuple[dt.datetime, str]]]] = \
            defaultdict(lambda: defaultdict(list))  # resident → {(scope, owner, award): [(when, fact)]}
        self.marked: defaultdict[str, defaultdict[str, list[tuple[tuple[dt.datetime, str], int, frozenset[str]]]]] \
            = defaultdict(lambda: defaultdict(list))  # resident → {ruleset: [((when, fact id), day, marks)]}
        self.tallies: defaultdict[str, defaultdict[tuple, list[tuple[tuple[dt.datetime, str], Decimal]]]] = \
            defaultdict(lambda: defaultdict(list))  # resident → {(ruleset, rule, period): [((when, fact), value)]}
        # A history shared by rulesets (versions of a batch) must keep what the longest-reaching one
        # reads, even while scoring a fact of another: its creator says how far that is.
        self.keep_days = keep_days
        self.swept: dict[str, int] = {}  # resident → the last day ``forget_before`` dropped

    def record(self, resident: str, *, limits: Iterable[LimitRef], counted: frozenset[tuple[str, str]],
               rule_id: str | None, category: str | None, moment: dt.datetime, fact_id: str | None,
               amount: Decimal, raw_amount: Decimal, member: str | None = None) -> None:
        """Remember an amount granted earlier (from a ledger) against every limit and count it falls under.

        This is the one statement of what a limit and a repeat read: a non-zero amount of the
        limit's sign, given by its rule or any rule of its category, uses its room; a
        non-zero raw amount of the rule (or category) is an occurrence, one per fact.
        ``score_fact`` counts what it grants by the same rule.
        """
        day = moment.astimezone(SHANGHAI).date()
        for limit in limits:
            if limit.covers(rule_id, category, amount):
                self.use(resident, limit, day, abs(amount), member)
        if raw_amount and fact_id is not None:
            for scope, owner in (("rule", rule_id), ("category", category)):
                if owner is not None and (scope, owner) in counted:
                    self.occur(resident, scope, owner, raw_amount > 0, moment, fact_id)

    def spent(self, resident: str, limit: LimitRef, day: dt.date, member: str | None = None) -> tuple[Decimal, int]:
        """Points and applications already counted against ``limit`` in its span holding ``day`` (a member's)."""
        if limit.days is None:
            counted = self.used.get(resident)
            points, times, _ = counted.get(_counter(limit, day, member), _NOTHING_USED) if counted else _NOTHING_USED
            return points, times
        windows = self.recent.get(resident)
        applied = windows.get(_window(limit, member)) if windows else None
        if applied is None:
            return Decimal(0), 0
        last = day.toordinal()
        return applied.between(last - limit.days + 1, last)

    def use(self, resident: str, limit: LimitRef, day: dt.date, size: Decimal, member: str | None = None) -> None:
        """Count one application of ``size`` points against ``limit`` on ``day`` (by ``member``, if it counts them)."""
        if limit.days is None:
            counted = self.used[resident].setdefault(_counter(limit, day, member), [Decimal(0), 0, 0])
            counted[0] += size
            counted[1] += 1
            counted[2] = max(counted[2], day.toordinal())
        else:
            self.recent[resident][_window(limit, member)].add(day.toordinal(), size)

    def earlier(self, resident: str, repeat: RepeatRef, award: bool, moment: dt.datetime, fact_id: str,
                named: int) -> tuple[int, tuple[str, ...]]:
        """How many earlier occurrences (awards if ``award``, else deductions) the span holds, and their facts.

        Only the latest ``named`` facts, oldest first: two bisections and a short slice, however long the span.
        """
        owners = self.occurred.get(resident)
        occurred = owners.get((repeat.scope, repeat.id, award)) if owners else None
        if not occurred:
            return 0, ()
        start, _ = repeat.window(moment)
        first, end = bisect_left(occurred, (start, "")), bisect_left(occurred, (moment, fact_id))
        return end - first, tuple(f for _, f in occurred[max(first, end - named):end])

    def occur(self, resident: str, scope: str, owner: str, award: bool, moment: dt.datetime, fact_id: str) -> None:
        """Remember one occurrence of a rule's (or a category's) award or deduction for a fact."""
        occurred = self.occurred[resident][(scope, owner, award)]
        item = (moment, fact_id)
        at = bisect_left(occurred, item)
        if at == len(occurred) or occurred[at] != item:  # one per fact, however many of its rules count
            occurred.insert(at, item)

    def remember(self, ruleset: str, fact: Fact, marks: frozenset[str], day: int) -> None:
        """Keep a fact that sequences may look back to, with its ``marks``: the patterns of ``ruleset`` it met.

        Marks are kept per compiled ruleset (its ``name``): a version's rules read only what
        met that version's patterns, as when the earlier fact is read back from the store.
        """
        insort(self.marked[fact.resident][ruleset], (fact.sort_key, day, marks), key=_first)

    def latest(self, ruleset: str, fact: Fact, day: int, test: EarlierTest) -> str | None:
        """The latest fact kept for ``ruleset`` before ``fact`` with the test's mark, within ``within_days`` days."""
        kinds = self.marked.get(fact.resident)
        kept = kinds.get(ruleset) if kinds else None
        if not kept:
            return None
        for at in range(bisect_left(kept, fact.sort_key, key=_first) - 1, -1, -1):  # newest first, no copy
            (_, fact_id), kept_day, marks = kept[at]
            if kept_day <= day - test.within_days:
                return None
            if test.mark in marks:
                return fact_id
        return None

    def tally(self, ruleset: str, fact: Fact, rule_id: str, period: str,
              value: Decimal) -> tuple[Decimal, list[str]]:
        """Add a fact's value to a threshold's total for its period; the total before it and the facts counted.

        Totals are kept per ruleset version, as marks are: each version's condition decides what counts.
        """
        kept = self.tallies[fact.resident][(ruleset, rule_id, period)]
        at = bisect_left(kept, fact.sort_key, key=_first)
        if at == len(kept) or kept[at][0] != fact.sort_key:  # a fact counts once, however it came in
            kept.insert(at, (fact.sort_key, value))
        return sum((v for _, v in kept[:at]), Decimal(0)), [key[1] for key, _ in kept[:at + 1]]

    def total_before(self, ruleset: str, fact: Fact, rule_id: str, period: str) -> Decimal:
        """A threshold's total for its period over the facts before ``fact`` (``tally`` counts them)."""
        kept = self.tallies[fact.resident].get((ruleset, rule_id, period), [])
        return sum((v for _, v in kept[:bisect_left(kept, fact.sort_key, key=_first)]), Decimal(0))

    def forget_before(self, resident: str, day: int) -> None:
        """Drop what the resident used, occurred, was kept or counted on days up to ``day``.

        The caller passes the fact's day less the longest span its ruleset reads (or
        ``keep_days``, if longer): scoring in time order, no later fact looks back that far,
        so results are the same and a resident's history is bounded by that span, however
        long the stream. A calendar counter goes once its latest use is that old: a period
        no longer than the span cannot hold both that use and a later fact.
        """
        if self.swept.get(resident, -_BIG) >= day:
            return  # nothing has become old enough since the last call
        self.swept[resident] = day
        start = dt.datetime.combine(dt.date.fromordinal(day + 1), dt.time(), SHANGHAI)
        for kept in self.marked.get(resident, {}).values():  # days rise with the kept facts' order
            del kept[:bisect_right(kept, day, key=_day)]
        counted = self.used.get(resident)
        if counted:
            for key in [key for key, (_, _, latest) in counted.items() if latest <= day]:
                del counted[key]
        for applied in self.recent.get(resident, {}).values():
            applied.drop_through(day)
        for occurred in self.occurred.get(resident, {}).values():
            del occurred[:bisect_left(occurred, (start, ""))]
        for totals in self.tallies.get(resident, {}).values():
            del totals[:bisect_left(totals, (start, ""), key=_first)]

    def held(self) -> dict[str, int]:
        """How many items each part holds, over all residents: what a long stream makes grow, if anything."""
        return {"limit counters": sum(map(len, self.used.values())),
                "window entries": sum(len(a.days) for w in self.recent.values() for a in w.values()),
                "occurrences": sum(len(o) for w in self.occurred.values() for o in w.values()),
                "kept facts": sum(len(k) for w in self.marked.values() for k in w.values()),
                "threshold counts": sum(len(t) for w in self.tallies.values() for t in w.values())}


def _first(item: tuple) -> Any:
    return item[0]


def _day(item: tuple) -> int:
    return item[1]


class _Rolling:
    """A rolling window's applications by day, with running sums, so a window's total is two bisections.

    Applications counted in time order (as scoring counts them) are appended and keep the
    running sums current; one counted out of order (a ledger's rows come in any order) is
    inserted and the sums are rebuilt once, at the next read. Summing the window on every
    read instead made a resident's long stream quadratic.
    """

    __slots__ = ("days", "sizes", "sums", "stale")

    def __init__(self) -> None:
        self.days: list[int] = []
        self.sizes: list[Decimal] = []
        self.sums: list[Decimal] = [Decimal(0)]  # sums[i]: the points of the first i applications
        self.stale = False

    def add(self, day: int, size: Decimal) -> None:
        if not self.days or day >= self.days[-1]:
            self.days.append(day)
            self.sizes.append(size)
            if not self.stale:
                self.sums.append(self.sums[-1] + size)
            return
        at = bisect_right(self.days, day)
        self.days.insert(at, day)
        self.sizes.insert(at, size)
        self.stale = True

    def drop_through(self, day: int) -> None:
        """Forget the applications of days up to ``day`` (the sums are rebuilt at the next read)."""
        cut = bisect_right(self.days, day)
        if cut:
            del self.days[:cut], self.sizes[:cut]
            self.stale = True

    def between(self, first: int, last: int) -> tuple[Decimal, int]:
        """Points and applications on days ``first`` … ``last``."""
        if self.stale:
            self.sums = [Decimal(0), *accumulate(self.sizes)]
            self.stale = False
        low, high = bisect_left(self.days, first), bisect_right(self.days, last)
        return self.sums[high] - self.sums[low], high - low


def _counter(limit: LimitRef, day: dt.date, member: str | None) -> tuple:
    return limit.scope, limit.id, limit.sign, limit.period, period_keys(day)[limit.period], \
        member if limit.per_member else None


def _window(limit: LimitRef, member: str | None) -> tuple:
    return limit.scope, limit.id, limit.sign, limit.period, member if limit.per_member else None


def amount_signs(rule: Rule, fields: dict[str, FieldSpec]) -> set[int]:
    """The signs a rule's amounts can take: 1 for awards, -1 for deductions.

    Per-unit amounts take the sign of ``points`` unless the field may be negative.
    """
    award = rule.award
    if award.table is not None:
        amounts = [*award.table.values.values(), award.table.else_]
    elif award.per is not None:
        spec = fields.get(award.per)
        may_be_negative = spec is None or spec.min is None or spec.min < 0
        points = award.points or Decimal(0)
        amounts = [points, -points if may_be_negative else Decimal(0)]
    else:
        amounts = [award.points or Decimal(0)]
    return {1 if amount > 0 else -1 for amount in amounts if amount}


def limit_refs(scope: str, owner_id: str, limits: list[Limit], signs: set[int]) -> list[LimitRef]:
    """The limits written on a rule or a category whose rules give amounts of ``signs``.

    Each names its owner so usage is counted per owner, and the sign it caps:
    ``applies_to`` where written, else deductions where the owner only deducts, else awards.
    """
    return [LimitRef(scope=scope, id=owner_id, period=lim.span, days=lim.days, max=lim.max, times=lim.times,
                     sign=limit_sign(lim, signs), per_member=lim.per == "member") for lim in limits]


def limit_sign(limit: Limit, signs: set[int]) -> int:
    """The sign of the amounts ``limit`` caps, for an owner whose rules give amounts of ``signs``."""
    if limit.applies_to is not None:
        return 1 if limit.applies_to == "awards" else -1
    return -1 if signs == {-1} else 1


def apply_limits(raw: Decimal, resident: str, moment: dt.datetime, limits: Sequence[LimitRef],
                 history: History, member: str | None = None) -> tuple[Decimal, LimitRef | None, str | None]:
    """Cut an amount to what every limit still allows (a deduction by its size); record what was granted.

    ``limits`` are those of the amount's sign. Returns the amount, the binding limit (the
    one with the least room left, the first listed on a tie: rule limits before category
    limits, shorter spans first) and which of its caps bound: ``max`` or ``times``.
    """
    if raw == 0 or not limits:
        return raw, None, None
    day = moment.astimezone(SHANGHAI).date()
    size, bound, cap = abs(raw), None, None
    for limit in limits:
        points, times = history.spent(resident, limit, day, member)
        if limit.times is not None and times >= limit.times:
            room, which = Decimal(0), "times"
        elif limit.max is not None:
            room, which = max(Decimal(0), limit.max - points), "max"
        else:
            continue
        if room < size:
            size, bound, cap = room, limit, which
    if size:
        for limit in limits:
            history.use(resident, limit, day, size, member)
    return (size if raw > 0 else -size), bound, cap
