"""Accounting rules applied after matching: calendar periods, limits, tiers, expiry.

All periods are calendar periods in Asia/Shanghai time (weeks start on Monday, ISO
numbering), because that is the calendar a community office keeps. Limits cap the sum
of positive awards a resident receives in a period; deductions are never capped.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from pydantic import BaseModel, ConfigDict

from .facts import SHANGHAI
from .ruleset import Limit, Tier


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


class LimitRef(BaseModel):
    """Which limit applies: to one rule or to a whole category, per calendar period."""

    model_config = ConfigDict(frozen=True)

    scope: str  # "rule" or "category"
    id: str
    period: str
    max: int

    def __str__(self) -> str:
        return f"{self.scope}:{self.id}/{self.period}"

    def covers(self, rule_id: str | None, category: str | None) -> bool:
        """Whether an award of ``rule_id`` (a rule of ``category``) falls under this limit."""
        return self.id == (rule_id if self.scope == "rule" else category)


@dataclass
class LimitUsage:
    """Points already counted against each limit, per resident and period.

    An evaluation starts from an empty usage, or from one filled from a ledger
    (``record_granted``) so that limits hold across requests.
    """

    used: defaultdict[tuple[str, str, str, str, str], int]

    def __init__(self) -> None:
        self.used = defaultdict(int)

    def record_granted(self, resident: str, limits: Iterable[LimitRef], *, rule_id: str | None,
                       category: str | None, moment: dt.datetime, amount: int) -> None:
        """Count an award granted earlier against every limit it falls under.

        This is the one statement of what uses up a limit's room: positive awards of the
        limit's rule, or of any rule of its category (deductions are never capped).
        ``apply_limits`` counts what it grants by the same rule: a compiled rule's limits
        are exactly those that cover it.
        """
        if amount <= 0:
            return
        keys = _period_keys(moment.astimezone(SHANGHAI).date())
        for limit in limits:
            if limit.covers(rule_id, category):
                self.used[(resident, limit.scope, limit.id, limit.period, keys[limit.period])] += amount


def limit_refs(scope: str, owner_id: str, limits: list[Limit]) -> list[LimitRef]:
    """The limits written on a rule or a category, each naming its owner so usage is counted per owner."""
    return [LimitRef(scope=scope, id=owner_id, period=lim.period, max=lim.max) for lim in limits]


def apply_limits(raw: int, resident: str, moment: dt.datetime, limits: Sequence[LimitRef],
                 usage: LimitUsage) -> tuple[int, LimitRef | None]:
    """Cut a positive award to what every limit still allows; record what was granted.

    The binding limit is the one with the least room left (the first listed on a tie:
    rule limits before category limits, shorter periods first).
    """
    if raw <= 0 or not limits:
        return raw, None
    keys = _period_keys(moment.astimezone(SHANGHAI).date())
    used = usage.used
    counters = [(resident, limit.scope, limit.id, limit.period, keys[limit.period]) for limit in limits]
    amount, bound = raw, None
    for limit, counter in zip(limits, counters, strict=True):
        room = max(0, limit.max - used[counter])
        if room < amount:
            amount, bound = room, limit
    for counter in counters:
        used[counter] += amount
    return amount, bound


def tier_for(index: int, tiers: list[Tier]) -> Tier:
    """The tier whose band holds ``index`` (the loader guarantees exactly one)."""
    for tier in tiers:
        if (tier.index_from is None or index >= tier.index_from) and \
                (tier.index_below is None or index < tier.index_below):
            return tier
    raise ValueError(f"no tier holds index {index}")
