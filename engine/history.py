"""What scoring remembers of a resident's past, and the rules that read it: limits, repeats, sequences.

A limit (每月限 1 次) reads the points and applications already counted in its span; a
repeat offence (一年内第二次起加倍扣分) reads the earlier occurrences of its rule or category;
a sequence (调解后再次…) looks back to the earlier facts that met its pattern (``engine.patterns``);
a threshold (累计满 50 小时) adds up the period's facts. An evaluation starts from an empty
``History``, or from one filled from a ledger (``History.record``) so that all hold across
requests. Calendar limits keep a sum per period; rolling windows and occurrences keep each
item's day or moment, read by bisection.
A history scores in time order (each fact on or after the facts it scored before, whoever's):
it drops what no later fact can read (``forget_before``). Calendar limits and thresholds keep
their counts by period, so that a period that has ended goes for every resident at once; the
rest goes once older than the longest span read. A history shared by a long stream holds the
periods still running and about that span's worth of each resident's past.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right, insort
from collections import defaultdict
from collections.abc import Callable, Iterable, MutableMapping, Sequence
from decimal import Decimal
from functools import lru_cache
from heapq import heappop, heappush
from itertools import accumulate
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict

from .accounting import period_keys, period_window, span_window
from .facts import SHANGHAI, Fact
from .patterns import EarlierTest
from .ruleset import FieldSpec, Limit, Repeats, Rule

#: A calendar period's length in days, roughly: how limits are ordered, shortest first.
PERIOD_DAYS = {"day": 1, "week": 7, "month": 31, "quarter": 92, "year": 366}
_BIG = 1 << 62
#: A resident's own past is trimmed at most once in this many days (``History.forget_before``): a history
#: then holds up to a week more than any fact reads, which changes no result; trimming at every fact was
#: a twentieth of scoring a batch in the service, where a holder's fact comes every day or two.
SWEEP_DAYS = 7
_ZERO = Decimal(0)
_Entries = TypeVar("_Entries", bound=MutableMapping[Any, Any])  # a resident's entries in one part


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

    Calendar limits and thresholds keep their counts by period, each period's by resident: an
    ended period goes whole. The other parts are kept per resident, so that ``forget_before``
    visits only the resident scored.
    """

    def __init__(self, keep_days: int = 0) -> None:
        self.used: dict[tuple, _Period] = {}  # (scope, owner, sign, period, its key) → its counters by holder
        self.recent: defaultdict[str, dict[tuple, _Rolling]] = \
            defaultdict(dict)  # resident → {window: its applications by day}
        self.occurred: defaultdict[str, defaultdict[tuple, list[tuple[dt.datetime, str]]]] = \
            defaultdict(lambda: defaultdict(list))  # resident → {(scope, owner, award): [(when, fact)]}
        self.marked: defaultdict[str, defaultdict[str, list[tuple[tuple[dt.datetime, str], int, frozenset[str]]]]] \
            = defaultdict(lambda: defaultdict(list))  # resident → {ruleset: [((when, fact id), day, marks)]}
        self.tallies: dict[tuple, _Tallies] = {}  # (ruleset, rule, period key) → its facts and totals by resident
        # A history shared by rulesets (versions of a batch) must keep what the longest-reaching one
        # reads, even while scoring a fact of another: its creator says how far that is.
        self.keep_days = keep_days
        self.swept = -_BIG  # the latest day ``forget_before`` was given
        # the periods of ``used`` by the last day ``forget_before`` may be given with each kept (``_kept_until``)
        self.endings: list[tuple[int, int, tuple, _Period]] = []
        self.due: dict[str, int] = {}  # resident → the day ``forget_before`` next trims their past (a week on)

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
            period = self.used.get(_counter(limit, day))
            counted = period.counts.get(_holder(limit, resident, member)) if period is not None else None
            return (counted[0], counted[1]) if counted is not None else (_ZERO, 0)
        windows = self.recent.get(resident)
        applied = windows.get(_window(limit, member)) if windows else None
        if applied is None:
            return Decimal(0), 0
        last = day.toordinal()
        return applied.between(last - limit.days + 1, last)

    def use(self, resident: str, limit: LimitRef, day: dt.date, size: Decimal, member: str | None = None) -> None:
        """Count one application of ``size`` points against ``limit`` on ``day`` (by ``member``, if it counts them)."""
        if limit.days is None:
            key = _counter(limit, day)
            period = self.used.get(key)
            if period is None:
                period = self.used[key] = _Period(_last_day(limit.period, day))
                heappush(self.endings, (self._kept_until(key, period), id(period), key, period))
            holder = _holder(limit, resident, member)
            counted = period.counts.get(holder)
            if counted is None:
                period.counts[holder] = [_ZERO + size, 1]
            else:
                counted[0] += size
                counted[1] += 1
        else:
            windows = self.recent[resident]
            key = _window(limit, member)
            applied = windows.get(key)
            if applied is None:
                applied = windows[key] = _Rolling(limit.days)
            applied.add(day.toordinal(), size)

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
        key = (ruleset, rule_id, period)
        tallies = self.tallies.get(key)
        if tallies is None:  # the threshold's first fact of a period: an earlier period of it has ended
            for ended in [other for other, them in self.tallies.items()
                          if other[:2] == key[:2] and them.latest < fact.occurred_at]:
                del self.tallies[ended]
            tallies = self.tallies[key] = _Tallies(fact.occurred_at)
        counted = tallies.of(fact.resident)
        tallies.latest = max(tallies.latest, fact.occurred_at)
        kept = counted.kept
        at = bisect_left(kept, fact.sort_key, key=_first)
        if at == len(kept) or kept[at][0] != fact.sort_key:  # a fact counts once, however it came in
            kept.insert(at, (fact.sort_key, value))
        return counted.before(at), [*counted.names, *(key[1] for key, _ in kept[:at + 1])]

    def total_before(self, ruleset: str, fact: Fact, rule_id: str, period: str) -> Decimal:
        """A threshold's total for its period over the facts before ``fact`` (``tally`` counts them)."""
        tallies = self.tallies.get((ruleset, rule_id, period))
        counted = tallies.by.get(fact.resident) if tallies is not None else None
        if counted is None:
            return Decimal(0)
        return counted.before(bisect_left(counted.kept, fact.sort_key, key=_first))

    def forget_before(self, resident: str, day: int) -> None:
        """Drop what no later fact reads: ended periods, and what the resident used, occurred or kept up to ``day``.

        The caller passes the fact's day less the longest span its ruleset reads (or
        ``keep_days``, if longer): scoring in time order, no later fact looks back that far,
        so results are the same and a history is bounded by that span, however long the
        stream. The fact's day is thus at least ``day + keep_days`` (a history made with its
        ruleset's ``lookback_days`` knows it exactly) and at least a period's length after
        ``day``: a calendar limit's period goes, for everyone, once it has ended before that,
        since a limit reads only the period holding the fact; a threshold's once its latest fact
        is older than ``day`` (or a fact of its next period is counted, ``tally``); a rolling
        window's applications once the window has passed them. A threshold's facts before that
        day are folded into its total (``_Tally``). A resident's own parts (windows, sequences,
        occurrences, threshold facts) are trimmed once in ``SWEEP_DAYS``: what a trim leaves is
        never read, so a later one does it as well.
        """
        if day > self.swept:
            if day // SWEEP_DAYS > self.swept // SWEEP_DAYS:  # weekly: keep the residents whose trim is to come
                self.due = {holder: due for holder, due in self.due.items() if due > day}
            self.swept = day
            endings = self.endings
            while endings and endings[0][0] < day:  # the periods that ended before it, soonest first
                _, _, key, period = heappop(endings)
                if self.used.get(key) is period:
                    del self.used[key]
            start = _edges(day, self.keep_days)[1]
            for key in [key for key, tallies in self.tallies.items() if tallies.latest < start]:
                del self.tallies[key]
        due = self.due.get(resident)
        if due is not None and day < due:
            return
        self.due[resident] = day + SWEEP_DAYS
        now, start, today = _edges(day, self.keep_days)
        _drop(self.recent, resident, lambda _, applied: applied.drop_through(max(day, now - applied.span)))
        _drop(self.marked, resident, lambda _, kept: _shed(kept, bisect_right(kept, day, key=_day)))  # days rise
        _drop(self.occurred, resident, lambda _, occurred: _shed(occurred, bisect_left(occurred, (start, ""))))
        for tallies in self.tallies.values():
            counted = tallies.by.get(resident)
            if counted is not None:
                counted.fold(today)

    def _kept_until(self, key: tuple, period: _Period) -> int:
        """The last day ``forget_before`` may be given with the period still kept: a fact may still read it."""
        return period.last - max(self.keep_days, PERIOD_DAYS[key[3]])

    def held(self) -> dict[str, int]:
        """How many items each part holds, over all residents: what a long stream makes grow, if anything."""
        return {"limit counters": sum(len(period.counts) for period in self.used.values()),
                "window entries": sum(len(a.days) for w in self.recent.values() for a in w.values()),
                "occurrences": sum(len(o) for w in self.occurred.values() for o in w.values()),
                "kept facts": sum(len(k) for w in self.marked.values() for k in w.values()),
                "threshold counts": sum(len(t.names) + len(t.kept) for w in self.tallies.values()
                                        for t in w.by.values())}


@lru_cache(maxsize=256)
def _edges(day: int, keep_days: int) -> tuple[int, dt.datetime, dt.datetime]:
    """The scored fact's earliest day, when the day after ``day`` starts and when that earliest day starts.

    What is older than the second is forgotten, what is older than the third folded. Remembered:
    the service keeps a history per account holder, and a batch's holders share a few days.
    """
    now = day + keep_days
    return (now, dt.datetime.combine(dt.date.fromordinal(day + 1), dt.time(), SHANGHAI),
            dt.datetime.combine(dt.date.fromordinal(max(now, day + 1)), dt.time(), SHANGHAI))


def _drop(part: MutableMapping[str, _Entries], resident: str, gone: Callable[[Any, Any], bool]) -> None:
    """Forget the resident's entries in ``part`` that ``gone`` finds empty (after trimming them), then the resident.

    An empty entry kept would cost more than the items it once held, for every resident gone quiet.
    """
    entries = part.get(resident)
    if entries is None:
        return
    for key in [key for key, entry in entries.items() if gone(key, entry)]:
        del entries[key]
    if not entries:
        del part[resident]


def _shed(items: list, oldest: int) -> bool:
    """Drop the ``oldest`` first items; whether none is left."""
    del items[:oldest]
    return not items


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

    __slots__ = ("days", "sizes", "span", "stale", "sums")

    def __init__(self, span: int) -> None:
        self.span = span  # the window's length in days
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

    def drop_through(self, day: int) -> bool:
        """Forget the applications of days up to ``day`` (sums rebuilt at the next read); whether none is left."""
        cut = bisect_right(self.days, day)
        if cut:
            del self.days[:cut], self.sizes[:cut]
            self.stale = True
        return not self.days

    def between(self, first: int, last: int) -> tuple[Decimal, int]:
        """Points and applications on days ``first`` … ``last``."""
        if self.stale:
            self.sums = [Decimal(0), *accumulate(self.sizes)]
            self.stale = False
        low, high = bisect_left(self.days, first), bisect_right(self.days, last)
        return self.sums[high] - self.sums[low], high - low


class _Period:
    """A calendar limit's counts in one period, by holder (a resident, or a resident's member): [points, times]."""

    __slots__ = ("counts", "last")

    def __init__(self, last: int) -> None:
        self.last = last  # the ordinal of the period's last day
        self.counts: dict[str | tuple[str, str | None], list[Any]] = {}


class _Tallies:
    """A threshold's facts in one period, by resident, and when the latest of them happened."""

    __slots__ = ("by", "latest")

    def __init__(self, first: dt.datetime) -> None:
        self.by: dict[str, _Tally] = {}
        self.latest = first

    def of(self, resident: str) -> _Tally:
        counted = self.by.get(resident)
        if counted is None:
            counted = self.by[resident] = _Tally()
        return counted


class _Tally:
    """A resident's facts counted by a threshold in one period: the earlier folded into a total and names.

    Scoring in time order counts no fact before those folded (``forget_before`` folds the facts
    before the scored fact's day), so their moments and values need not be kept: a resident's
    year of volunteering costs only the names an award may cite.
    """

    __slots__ = ("folded", "kept", "names")

    def __init__(self) -> None:
        self.folded = _ZERO  # the total of the facts folded
        self.names: tuple[str, ...] = ()  # their ids, in order
        self.kept: list[tuple[tuple[dt.datetime, str], Decimal]] = []  # the others: ((when, fact), value)

    def before(self, at: int) -> Decimal:
        """The total of the facts folded and of the first ``at`` kept."""
        return sum((value for _, value in self.kept[:at]), self.folded)

    def fold(self, today: dt.datetime) -> None:
        """Fold the facts counted before ``today`` into the total and the names."""
        cut = bisect_left(self.kept, (today, ""), key=_first)
        if cut:
            self.folded = sum((value for _, value in self.kept[:cut]), self.folded)
            self.names = (*self.names, *(fact_id for (_, fact_id), _ in self.kept[:cut]))
            del self.kept[:cut]


@lru_cache(maxsize=4096)
def _last_day(period: str, day: dt.date) -> int:
    """The ordinal of the last day of the calendar ``period`` holding ``day``."""
    _, end = period_window(period, dt.datetime.combine(day, dt.time(), SHANGHAI))
    return end.date().toordinal() - 1


def _counter(limit: LimitRef, day: dt.date) -> tuple:
    return limit.scope, limit.id, limit.sign, limit.period, period_keys(day)[limit.period]


def _holder(limit: LimitRef, resident: str, member: str | None) -> str | tuple[str, str | None]:
    return (resident, member) if limit.per_member else resident


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
