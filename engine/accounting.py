"""Accounting rules applied after matching: calendar periods and spans, tiers, expiry.

All periods are calendar periods in Asia/Shanghai time (weeks start on Monday, ISO
numbering), because that is the calendar a community office keeps; a rolling window of
N days is the fact's local day and the N − 1 days before it.
"""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal
from functools import lru_cache

from .facts import SHANGHAI
from .ruleset import Tier


def period_key(period: str, moment: dt.datetime) -> str:
    """The calendar period containing ``moment``, e.g. '2021-05', '2021-W17', '2021-Q2'."""
    keys = period_keys(moment.astimezone(SHANGHAI).date())
    if period not in keys:
        raise ValueError(f"unknown period {period!r}")
    return keys[period]


@lru_cache(maxsize=4096)
def period_keys(day: dt.date) -> dict[str, str]:
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
    return _calendar_window(period, moment.astimezone(SHANGHAI).date())


@lru_cache(maxsize=4096)
def _calendar_window(period: str, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The period holding a local day (cached: limits and repeats ask it a few times for each fact scored)."""
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


def span_window(period: str | None, days: int | None, moment: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The calendar ``period`` holding ``moment``, or the rolling window of ``days`` ending with its day."""
    if days is None:
        assert period is not None, "a span is a calendar period or a number of days"
        return period_window(period, moment)
    return _rolling_window(days, moment.astimezone(SHANGHAI).date())


@lru_cache(maxsize=4096)
def _rolling_window(days: int, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The ``days`` ending with a local day (cached, as ``_calendar_window``)."""
    start, end = day - dt.timedelta(days=days - 1), day + dt.timedelta(days=1)
    return dt.datetime.combine(start, dt.time(), SHANGHAI), dt.datetime.combine(end, dt.time(), SHANGHAI)


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


def tier_for(index: Decimal, tiers: list[Tier]) -> Tier:
    """The tier whose band holds ``index`` (the loader guarantees exactly one)."""
    for tier in tiers:
        if (tier.index_from is None or index >= tier.index_from) and \
                (tier.index_below is None or index < tier.index_below):
            return tier
    raise ValueError(f"no tier holds index {index}")
