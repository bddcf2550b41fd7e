"""Facts recorded in the store for a period, with the residents' zones and roles.

``xinzhi simulate --from-store PERIOD --community ID`` replays what a community actually
recorded, so the fairness section uses the zones and roles registered for its residents.
Only reads: nothing is scored or written, and no ruleset is compiled in this process.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select
from xinzhi.engine import SHANGHAI

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
        index = start.month - 1 + months
        end = dt.date(start.year + index // 12, index % 12 + 1, 1)
    if end <= start:
        raise ValueError(f"period {text!r}: the end is before the start")
    return start, end


def facts_from_store(service, community: str, start: dt.date, end: dt.date,
                     ) -> tuple[list[dict], dict[str, ResidentInfo]]:
    """The community's facts with ``start <= occurred_at < end`` (Shanghai days) and its residents."""
    from xinzhi.communities import require_community
    from xinzhi.db.tables import Fact, Resident

    lo = dt.datetime.combine(start, dt.time(), SHANGHAI).astimezone(dt.timezone.utc)
    hi = dt.datetime.combine(end, dt.time(), SHANGHAI).astimezone(dt.timezone.utc)
    with service.db.reading() as session:
        require_community(session, community)
        rows = session.execute(select(Fact).where(Fact.community == community, Fact.occurred_at >= lo,
                                                  Fact.occurred_at < hi).order_by(Fact.seq)).scalars().all()
        facts = [{"id": r.fact_id, "type": r.type, "resident": r.resident,
                  "occurred_at": _aware(r.occurred_at).isoformat(), "fields": dict(r.fields or {})} for r in rows]
        people = session.execute(select(Resident).where(Resident.community == community)).scalars().all()
        residents = {p.id: ResidentInfo(zone=p.zone, origin="unknown", roles=tuple(p.roles or ())) for p in people}
    for fact in facts:
        residents.setdefault(fact["resident"], ResidentInfo(zone="unknown", origin="unknown", roles=()))
    return facts, dict(sorted(residents.items()))


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)
