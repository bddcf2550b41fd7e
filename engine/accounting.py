"""Accounting rules applied after matching: calendar periods, limits, tiers, expiry.

All periods are calendar periods in Asia/Shanghai time (weeks start on Monday, ISO
numbering), because that is the calendar a community office keeps. Limits cap the points
or the number of awards (or of deductions) a resident receives in a period or a rolling
window.
"""

from __future__ import annotations

import calendar
import datetime as dt
from bisect import bisect_left, bisect_right, insort
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from pydantic import BaseModel, ConfigDict

from .facts import SHANGHAI
from .ruleset import FieldSpec, Limit, Rule, Tier


def period_key(period: str, moment: dt.datetime) -> str:
    """The calendar period containing ``moment``, e.g. '2021-05', '2021-W17', '2021-Q2'."""
    keys = _period_keys(moment.astimezone(SHANGHAI).date())
    if period not in keys:
        raise ValueError(f"unknown period {period!r}")
    return keys[period]


@lru_cache(maxsize=4096)
def _period_keys(day: dt.date) -> dict[str, str]:
    """Every period's key for one local day (cached: a day's facts share them)."""
    year, week, _ = day.isocalendar()
    return {
        "day": day.isoformat(),
        "week": f"{year}-W{week:02d}",
        "month": f"{day.year}-{day.month:02d}",
        "quarter": f"{day.year}-Q{(day.month - 1) // 3 + 1}",
        "year": str(day.year),
    }


def period_window(period: str, moment: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """Start (inclusive) and end (exclusive) of the period containing ``moment``, in Shanghai time."""
    day = moment.astimezone(SHANGHAI).date()
    if period == "day":
        start = day
        end = day + dt.timedelta(days=1)
    elif period == "week":
        start = day - dt.timedelta(days=day.weekday())
        end = start + dt.timedelta(days=7)
    elif period == "month":
        start = day.replace(day=1)
        end = add_months(start, 1)
    elif period == "quarter":
        start = day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
        end = add_months(start, 3)
    elif period == "year":
        start = day.replace(month=1, day=1)
        end = start.replace(year=start.year + 1)
    else:
        raise ValueError(f"unknown period {period!r}")
    return (dt.datetime.combine(start, dt.time(), SHANGHAI), dt.datetime.combine(end, dt.time(), SHANGHAI))


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (or earlier), the month's last day where it is shorter."""
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def expiry_date(moment: dt.datetime, after_months: int) -> dt.date:
    """Points awarded at ``moment`` expire at the end of the month ``after_months`` later."""
    local = moment.astimezone(SHANGHAI)
    return _month_end_after(local.year, local.month, after_months)


@lru_cache(maxsize=1024)
def _month_end_after(year: int, month: int, after_months: int) -> dt.date:
    target = add_months(dt.date(year, month, 1), after_months)
    return target.replace(day=calendar.monthrange(target.year, target.month)[1])


#: A calendar period's length in days, roughly: how limits are ordered, shortest first.
PERIOD_DAYS = {"day": 1, "week": 7, "month": 31, "quarter": 92, "year": 366}


class LimitRef(BaseModel):
    """One limit as scoring applies it: its owner (a rule or a category), span, caps and sign."""

    model_config = ConfigDict(frozen=True)

    scope: str  # "rule" or "category"
    id: str
    period: str  # a calendar period, or "30d" for a rolling window
    days: int | None = None  # the rolling window's length; None for a calendar period
    max: int | None = None  # points (a deduction's size)
    times: int | None = None  # applications
    sign: int = 1  # 1: caps awards; -1: caps deductions

    def __str__(self) -> str:
        return f"{self.scope}:{self.id}/{self.period}" + ("/deductions" if self.sign < 0 else "")

    def covers(self, rule_id: str | None, category: str | None, amount: int) -> bool:
        """Whether ``amount`` given by ``rule_id`` (a rule of ``category``) falls under this limit."""
        return (amount > 0) == (self.sign > 0) and amount != 0 and \
            self.id == (rule_id if self.scope == "rule" else category)

    def window(self, moment: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
        """Start (inclusive) and end (exclusive) of the span that counts for a fact at ``moment``."""
        if self.days is None:
            return period_window(self.period, moment)
        day = moment.astimezone(SHANGHAI).date()
        start, end = day - dt.timedelta(days=self.days - 1), day + dt.timedelta(days=1)
        return dt.datetime.combine(start, dt.time(), SHANGHAI), dt.datetime.combine(end, dt.time(), SHANGHAI)

    @property
    def length(self) -> tuple[int, int]:
        """Sort key: shorter spans first, a calendar period before a rolling window of its length."""
        return (self.days, 1) if self.days is not None else (PERIOD_DAYS[self.period], 0)


@dataclass
class LimitUsage:
    """What each limit has already counted, per resident: points and applications.

    Calendar limits keep a sum per period; rolling windows keep each application's day,
    summed over the window when asked. An evaluation starts from an empty usage, or from
    one filled from a ledger (``record_granted``) so that limits hold across requests.
    """

    used: defaultdict[tuple, list[int]]
    recent: defaultdict[tuple, list[tuple[int, int]]]

    def __init__(self) -> None:
        self.used = defaultdict(lambda: [0, 0])
        self.recent = defaultdict(list)

    def record_granted(self, resident: str, limits: Iterable[LimitRef], *, rule_id: str | None,
                       category: str | None, moment: dt.datetime, amount: int) -> None:
        """Count an amount granted earlier against every limit it falls under.

        This is the one statement of what uses up a limit's room: a non-zero amount of the
        limit's sign, given by the limit's rule or by any rule of its category.
        ``apply_limits`` counts what it grants by the same rule: a compiled rule's limits of
        each sign are exactly those that cover its amounts of that sign.
        """
        day = moment.astimezone(SHANGHAI).date()
        for limit in limits:
            if limit.covers(rule_id, category, amount):
                self.count(resident, limit, day, abs(amount))

    def spent(self, resident: str, limit: LimitRef, day: dt.date) -> tuple[int, int]:
        """Points and applications already counted against ``limit`` in its span holding ``day``."""
        if limit.days is None:
            points, times = self.used.get(_counter(resident, limit, day), (0, 0))
            return points, times
        applied = self.recent.get(_window(resident, limit))
        if not applied:
            return 0, 0
        last = day.toordinal()
        inside = applied[bisect_left(applied, (last - limit.days + 1, -1)):bisect_right(applied, (last, _BIG))]
        return sum(size for _, size in inside), len(inside)

    def count(self, resident: str, limit: LimitRef, day: dt.date, size: int) -> None:
        """Count one application of ``size`` points against ``limit`` on ``day``."""
        if limit.days is None:
            counted = self.used[_counter(resident, limit, day)]
            counted[0] += size
            counted[1] += 1
        else:
            insort(self.recent[_window(resident, limit)], (day.toordinal(), size))


_BIG = 1 << 62


def _counter(resident: str, limit: LimitRef, day: dt.date) -> tuple:
    return resident, limit.scope, limit.id, limit.sign, limit.period, _period_keys(day)[limit.period]


def _window(resident: str, limit: LimitRef) -> tuple:
    return resident, limit.scope, limit.id, limit.sign, limit.period


def limit_refs(scope: str, owner_id: str, limits: list[Limit], signs: set[int]) -> list[LimitRef]:
    """The limits written on a rule or a category whose rules give amounts of ``signs``.

    Each names its owner so usage is counted per owner, and the sign it caps:
    ``applies_to`` where written, else deductions where the owner only deducts, else awards.
    """
    return [LimitRef(scope=scope, id=owner_id, period=lim.span, days=lim.days, max=lim.max, times=lim.times,
                     sign=limit_sign(lim, signs)) for lim in limits]


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
        amounts = [award.points or 0, -(award.points or 0) if may_be_negative else 0]
    else:
        amounts = [award.points or 0]
    return {1 if amount > 0 else -1 for amount in amounts if amount}


def limit_sign(limit: Limit, signs: set[int]) -> int:
    """The sign of the amounts ``limit`` caps, for an owner whose rules give amounts of ``signs``."""
    if limit.applies_to is not None:
        return 1 if limit.applies_to == "awards" else -1
    return -1 if signs == {-1} else 1


def apply_limits(raw: int, resident: str, moment: dt.datetime, limits: Sequence[LimitRef],
                 usage: LimitUsage) -> tuple[int, LimitRef | None, str | None]:
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
        points, times = usage.spent(resident, limit, day)
        if limit.times is not None and times >= limit.times:
            room, which = 0, "times"
        elif limit.max is not None:
            room, which = max(0, limit.max - points), "max"
        else:
            continue
        if room < size:
            size, bound, cap = room, limit, which
    if size:
        for limit in limits:
            usage.count(resident, limit, day, size)
    return (size if raw > 0 else -size), bound, cap


def tier_for(index: int, tiers: list[Tier]) -> Tier:
    """The tier whose band holds ``index`` (the loader guarantees exactly one)."""
    for tier in tiers:
        if (tier.index_from is None or index >= tier.index_from) and \
                (tier.index_below is None or index < tier.index_below):
            return tier
    raise ValueError(f"no tier holds index {index}")
