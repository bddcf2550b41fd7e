"""One notion of "now" for the whole service: the day standings are as of, and how far ahead a fact may be.

A standing, a spending check and a report all count the ledger up to the end of a day in
Asia/Shanghai (``end_of``); facts and jobs dated after now (beyond
``Settings.future_tolerance_minutes``, for clocks that disagree a little) are refused, so
no balance counts points that do not exist yet.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from xinzhi.engine import SHANGHAI


def utcnow() -> dt.datetime:
    """Now as an aware UTC datetime: what every ``created_at`` defaults to."""
    return dt.datetime.now(dt.UTC)


def today() -> dt.date:
    """Today in Asia/Shanghai: the day a standing or report is "as of" by default."""
    return dt.datetime.now(SHANGHAI).date()


def end_of(day: dt.date) -> dt.datetime:
    """The first moment after ``day`` in Shanghai time."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), SHANGHAI)


def latest_accepted(tolerance_minutes: int) -> dt.datetime:
    """The latest moment a fact may be dated: now, plus a little for clocks that run ahead."""
    return utcnow() + dt.timedelta(minutes=tolerance_minutes)


@lru_cache(maxsize=4096)  # a fact's moment is grouped for its row, each of its entries and their sums
def month_of(moment: dt.datetime) -> str:
    """The calendar month (``2021-05``, Asia/Shanghai) a moment falls in: how the ledger and its sums group by month."""
    local = moment.astimezone(SHANGHAI)
    return f"{local.year}-{local.month:02d}"  # as strftime("%Y-%m") writes it, at a fifth of the cost


def start_of_month(day: dt.date) -> dt.datetime:
    """The first moment of the month ``day`` falls in, in Shanghai time."""
    return dt.datetime.combine(day.replace(day=1), dt.time(), SHANGHAI)
