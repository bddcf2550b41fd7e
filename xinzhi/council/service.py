"""Integrity council cases (诚信议事会): report, convene, close with each party's satisfaction.

Closing emits ``mediation`` facts (``case``, ``role`` mediator/party, ``satisfaction``)
that are scored through the normal fact path (``post_facts``) by whatever ruleset is in
force. Their ids are deterministic (``council:<case>:<role>:<resident>``), so the awards
are granted exactly once: a repeated or racing close changes nothing. A mediator's
satisfaction is the parties' mean, rounded half up.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter, defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinzhi.clock import latest_accepted, month_of, utcnow
from xinzhi.communities.service import check_zone, get_resident, require_community
from xinzhi.council.models import CaseClose, CaseConvene, CaseRead, CaseReport, CaseStats
from xinzhi.db.queries import community_rows, one_or_not_found
from xinzhi.db.tables import CouncilCase
from xinzhi.engine import SHANGHAI
from xinzhi.errors import ServiceCode, ServiceError
from xinzhi.messages import Message
from xinzhi.service import Service


def _days(row: CouncilCase) -> float | None:
    if row.closed_at is None:
        return None
    return round((row.closed_at - row.reported_at).total_seconds() / 86400, 2)


def _read(row: CouncilCase, awards: list[dict[str, Any]] | None = None) -> CaseRead:
    return CaseRead(community=row.community, id=row.id, kind=row.kind, zone=row.zone, building=row.building,
                    description=row.description, parties=list(row.parties), reported_by=row.reported_by,
                    status=row.status, members=list(row.members or []), outcome=row.outcome,
                    satisfaction=row.satisfaction, fact_ids=row.fact_ids, reported_at=row.reported_at,
                    convened_at=row.convened_at, closed_at=row.closed_at, days_to_close=_days(row),
                    created_by=row.created_by, closed_by=row.closed_by, awards=awards or [])


def report_case(service: Service, community: str, data: CaseReport, *, actor: str = "system",
                check_parties: bool = True) -> CaseRead:
    """Open a case for a problem reported by a resident or a grid worker.

    The office's report names known residents (a 404 otherwise); a resident's report is taken
    as given, so that it cannot be used to learn who lives in the community.
    """
    with service.db.writing() as session:
        check_zone(session, community, data.zone)
        for party in data.parties if check_parties else ():
            get_resident(session, community, party)
        now = utcnow()
        reported = data.reported_at.astimezone(dt.UTC) if data.reported_at and data.reported_at.tzinfo \
            else (data.reported_at.replace(tzinfo=SHANGHAI) if data.reported_at else now)
        if reported > latest_accepted(service.settings.future_tolerance_minutes):  # it made closing times negative
            raise ServiceError.at(ServiceCode.REQUEST_INVALID, "reported_at", "case_reported_later",
                                  when=f"{reported.astimezone(SHANGHAI):%Y-%m-%d %H:%M}")
        row = CouncilCase(community=community, id="case-" + uuid.uuid4().hex[:10], kind=data.kind, zone=data.zone,
                          building=data.building, description=data.description,
                          parties=list(dict.fromkeys(data.parties)), reported_by=data.reported_by,
                          status="reported", members=[], reported_at=reported, created_by=actor)
        session.add(row)
        session.flush()
        return _read(row)


def _locked(session, community: str, case_id: str) -> CouncilCase:
    require_community(session, community)
    return _case(session, community, case_id, for_update=True)


def _case(session: Session, community: str, case_id: str, *, for_update: bool = False) -> CouncilCase:
    return one_or_not_found(session, select(CouncilCase).where(CouncilCase.community == community,
                                                               CouncilCase.id == case_id),
                            ServiceCode.CASE_NOT_FOUND, Message.of("no_case", community=community, case=case_id),
                            for_update=for_update)


def convene_case(service: Service, community: str, case_id: str, data: CaseConvene, *,
                 actor: str = "system") -> CaseRead:
    """Convene the council: record its members (staff, property company, alley stewards, representatives)."""
    with service.db.writing() as session:
        row = _locked(session, community, case_id)
        if row.status == "closed":
            raise ServiceError(ServiceCode.CASE_WRONG_STATE, Message.of("case_closed", case=case_id))
        for member in data.members:
            if member.resident:
                get_resident(session, community, member.resident)
        row.members = [m.model_dump(exclude_none=True) for m in data.members]
        row.status, row.convened_at = "convened", row.convened_at or utcnow()
        session.flush()
        return _read(row)


def _half_up(values: list[int]) -> int:
    return int((Decimal(sum(values)) / Decimal(len(values))).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def mediation_facts(row: CouncilCase) -> list[dict[str, Any]]:
    """The facts a closed case emits, with deterministic ids."""
    assert row.closed_at is not None, f"case '{row.id}' is not closed"
    occurred = row.closed_at.astimezone(SHANGHAI).isoformat()
    satisfaction = row.satisfaction or {}
    facts = [{"id": f"council:{row.id}:party:{party}", "type": "mediation", "resident": party,
              "occurred_at": occurred, "fields": {"case": row.id, "role": "party", "satisfaction": satisfaction[party]}}
             for party in row.parties]
    mediators = list(dict.fromkeys(m["resident"] for m in row.members or [] if m.get("resident")))
    mean = _half_up([satisfaction[p] for p in row.parties])
    facts += [{"id": f"council:{row.id}:mediator:{resident}", "type": "mediation", "resident": resident,
               "occurred_at": occurred, "fields": {"case": row.id, "role": "mediator", "satisfaction": mean}}
              for resident in mediators]
    return facts


def close_case(service: Service, community: str, case_id: str, data: CaseClose, *, actor: str = "system") -> CaseRead:
    """Close a convened case with its outcome and satisfaction; the mediation facts are scored once."""
    from xinzhi.scoring.service import _prepare, _reject, post_facts
    with service.db.writing() as session:
        row = _locked(session, community, case_id)
        if row.status != "convened":
            raise ServiceError(ServiceCode.CASE_WRONG_STATE, Message.of(
                "case_closed" if row.status == "closed" else "case_not_convened", case=case_id))
        missing = [p for p in row.parties if p not in data.satisfaction]
        extra = [p for p in data.satisfaction if p not in row.parties]
        if missing or extra:
            raise ServiceError.at(
                ServiceCode.REQUEST_INVALID, "satisfaction", "satisfaction_parties",
                missing=Message.of("parties_missing", parties=", ".join(missing)) if missing else Message.of("nothing"),
                strangers=Message.of("parties_strangers", parties=", ".join(extra)) if extra else Message.of("nothing"))
        row.satisfaction, row.outcome = dict(data.satisfaction), data.outcome
        row.closed_at, row.closed_by, row.status = utcnow(), actor, "closed"
        facts = mediation_facts(row)
        # Validate before committing the close, so a ruleset without `mediation` leaves the case open.
        checked = _prepare(service, session, community, facts)
        if checked.errors:
            raise _reject(checked.errors, len(facts))
        row.fact_ids = [f["id"] for f in facts]
        session.flush()
    result = post_facts(service, community, facts, explain=True)  # a few facts: the rule titles people read
    awards = [{"fact_id": r.fact_id, "resident": r.resident, "entries": [e.model_dump(mode="json") for e in r.entries]}
              for r in result.results]
    return _read(row, awards)


def get_case(service: Service, community: str, case_id: str) -> CaseRead:
    """One case."""
    with service.db.reading() as session:
        require_community(session, community)
        return _read(_case(session, community, case_id))


def list_cases(service: Service, community: str, *, status: str | None = None, zone: str | None = None,
               offset: int = 0, limit: int = 100) -> list[CaseRead]:
    """Cases, newest first, optionally by status or zone."""
    with service.db.reading() as session:
        check_zone(session, community, zone)
        return [_read(r) for r in community_rows(session, CouncilCase, community, status=status or None,
                                                 zone=zone or None, order_by=(CouncilCase.seq.desc(),), offset=offset,
                                                 limit=limit)]


def case_statistics(service: Service, community: str) -> CaseStats:
    """Open/closed, resolution rate, days to close, cases per zone, month (Shanghai) and kind."""
    with service.db.reading() as session:
        require_community(session, community)
        rows = session.scalars(select(CouncilCase).where(CouncilCase.community == community)).all()
    by_zone: dict[str, Counter] = defaultdict(Counter)
    by_month: dict[str, Counter] = defaultdict(Counter)
    for row in rows:
        state = "closed" if row.status == "closed" else "open"
        by_zone[row.zone][state] += 1
        by_month[month_of(row.reported_at)][state] += 1
    closed = [r for r in rows if r.status == "closed"]
    days = [d for d in map(_days, closed) if d is not None]  # a closed case has its closing time
    return CaseStats(community=community, total=len(rows), open=len(rows) - len(closed), closed=len(closed),
                     resolution_rate=round(len(closed) / len(rows), 4) if rows else 0.0,
                     average_days_to_close=round(sum(days) / len(days), 2) if days else None,
                     by_zone={z: {"open": c["open"], "closed": c["closed"]} for z, c in sorted(by_zone.items())},
                     by_month={m: {"open": c["open"], "closed": c["closed"]} for m, c in sorted(by_month.items())},
                     by_kind=dict(Counter(r.kind for r in rows)))
