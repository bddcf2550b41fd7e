"""Facts a community recorded in a period, with its residents' zones and roles.

``xinzhi simulate --from-store PERIOD --community ID`` replays what a community actually
recorded, so the fairness section uses the zones and roles registered for its residents.
Only reads, through the service's functions: nothing is scored or written, and no ruleset
is compiled in this process.
"""

from __future__ import annotations

import datetime as dt
import re

from xinzhi.clock import today
from xinzhi.communities import list_residents
from xinzhi.engine import add_months
from xinzhi.engine.errors import Refusal
from xinzhi.engine.moments import FIRST_DAY, LAST_DAY
from xinzhi.scoring import recorded_facts
from xinzhi.service import Service

from .population import MOST_MONTHS
from .replay import ResidentInfo

PERIOD = re.compile(r"^(?:(?P<year>\d{4})(?:-(?:(?P<month>\d{2})|Q(?P<quarter>[1-4])))?"
                    r"|(?P<start>\d{4}-\d{2}-\d{2})\.\.(?P<end>\d{4}-\d{2}-\d{2}))$")


def parse_period(text: str) -> tuple[dt.date, dt.date]:
    """``2021``, ``2021-03``, ``2021-Q2`` or ``2021-01-01..2021-06-30`` (inclusive) → [start, end).

    A refusal says what it refuses as data (``Refusal.says``, a sentence of ``xinzhi.messages``).
    """
    match = PERIOD.match(text.strip())
    if not match:
        raise Refusal(f"period {text!r}: write 2021, 2021-03, 2021-Q2 or 2021-01-01..2021-06-30",
                      "period_unreadable", period=text)
    try:
        if match["start"]:
            start, last = dt.date.fromisoformat(match["start"]), dt.date.fromisoformat(match["end"])
        else:
            year, month, quarter = int(match["year"]), match["month"], match["quarter"]
            if month and not 1 <= int(month) <= 12:
                raise Refusal(f"period {text!r}: no month {int(month)}", "period_no_month", period=text,
                              month=int(month))
            start, months = ((dt.date(year, int(month), 1), 1) if month else
                             (dt.date(year, 3 * int(quarter) - 2, 1), 3) if quarter else (dt.date(year, 1, 1), 12))
            if start > LAST_DAY:  # refused below; its end may lie beyond the calendar (9999-Q4)
                months = 0
            last = add_months(start, months) - dt.timedelta(days=1 if months else 0)
    except Refusal:
        raise
    except ValueError:  # year 0, 2021-02-30
        raise Refusal(f"period {text!r}: no such day", "period_no_day", period=text) from None
    if last < start:
        raise Refusal(f"period {text!r}: the end is before the start", "period_backwards", period=text)
    if start < FIRST_DAY or last > LAST_DAY or add_months(start, MOST_MONTHS) <= last:  # 9999-12-31 + 1 never made
        raise Refusal(f"period {text!r}: a period lies in {FIRST_DAY.year}–{LAST_DAY.year} and spans at most "
                      f"{MOST_MONTHS} months", "period_out_of_range", period=text, first=FIRST_DAY.year,
                      last=LAST_DAY.year, most=MOST_MONTHS)
    if start > today():  # found by use: "2099" ran, paying a streak for months no one has lived yet
        raise Refusal(f"period {text!r}: it begins after today ({today()}); what-ifs replay what was recorded",
                      "period_in_future", period=text, today=str(today()))
    return start, last + dt.timedelta(days=1)


def facts_recorded(service: Service, community: str, start: dt.date, end: dt.date,
                   ) -> tuple[list[dict], dict[str, ResidentInfo]]:
    """The community's facts with ``start <= occurred_at < end`` (Shanghai days) and its residents."""
    facts = recorded_facts(service, community, start, end)
    residents = {r.id: ResidentInfo(zone=r.zone, origin="unknown", roles=tuple(r.roles), household=r.household)
                 for r in list_residents(service, community, limit=None)}
    for fact in facts:
        if "resident" in fact:  # a household's own fact names no resident
            residents.setdefault(fact["resident"], ResidentInfo(zone="unknown", origin="unknown", roles=()))
    return facts, dict(sorted(residents.items()))
