"""Facts a community recorded in a period, with its residents' zones and roles.

``xinzhi simulate --from-store PERIOD --community ID`` replays what a community actually
recorded, so the fairness section uses the zones and roles registered for its residents.
Only reads, through the service's functions: nothing is scored or written, and no ruleset
is compiled in this process.
"""

from __future__ import annotations

import datetime as dt
import re

from xinzhi.communities import list_residents
from xinzhi.engine import add_months
from xinzhi.engine.moments import FIRST_DAY, LAST_DAY
from xinzhi.scoring import recorded_facts
from xinzhi.service import Service

from .population import MOST_MONTHS
from .replay import ResidentInfo

PERIOD = re.compile(r"^(?:(?P<year>\d{4})(?:-(?:(?P<month>\d{2})|Q(?P<quarter>[1-4])))?"
                    r"|(?P<start>\d{4}-\d{2}-\d{2})\.\.(?P<end>\d{4}-\d{2}-\d{2}))$")


def parse_period(text: str) -> tuple[dt.date, dt.date]:
    """``2021``, ``2021-03``, ``2021-Q2`` or ``2021-01-01..2021-06-30`` (inclusive) → [start, end)."""
    match = PERIOD.match(text.strip())
    if not match:
        raise ValueError(f"period {text!r}: write 2021, 2021-03, 2021-Q2 or 2021-01-01..2021-06-30")
    if match["start"]:
        start = dt.date.fromisoformat(match["start"])
        end = dt.date.fromisoformat(match["end"]) + dt.timedelta(days=1)
    else:
        year = int(match["year"])
        if match["month"]:
            month = int(match["month"])
            if not 1 <= month <= 12:
                raise ValueError(f"period {text!r}: no month {month}")
            start, months = dt.date(year, month, 1), 1
        elif match["quarter"]:
            start, months = dt.date(year, 3 * int(match["quarter"]) - 2, 1), 3
        else:
            start, months = dt.date(year, 1, 1), 12
        end = add_months(start, months)
    if end <= start:
        raise ValueError(f"period {text!r}: the end is before the start")
    if start < FIRST_DAY or end > LAST_DAY + dt.timedelta(days=1) or add_months(start, MOST_MONTHS) < end:
        raise ValueError(f"period {text!r}: a period lies in {FIRST_DAY.year}–{LAST_DAY.year} and spans at most "
                         f"{MOST_MONTHS} months")
    return start, end


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
