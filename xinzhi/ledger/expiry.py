"""Expiry of unspent points, earliest-expiring first.

Points of an award expire at the end of the day its rule's ruleset sets
(``points_expire_on``). Every decrease of points (deduction, redemption, expiry) spends
the earliest-expiring points first; an award first pays back any negative balance.
The job writes one ``expiry`` entry per resident and expiry date for what was still
unspent when that date passed; run again, it writes only what is missing.

A fact posted late (and what it restates) can change what was unspent on a date the job
already passed; scoring then brings those dates' expiries to what they should be at once
(``expiry_corrections``), giving back points that should not have expired.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from xinzhi.clock import today
from xinzhi.communities.service import require_community
from xinzhi.db.queries import any_of
from xinzhi.db.tables import EXPIRY, AccountTotal, LedgerEntry
from xinzhi.engine import SHANGHAI
from xinzhi.errors import ServiceCode, ServiceError
from xinzhi.ledger.balances import GRANTED
from xinzhi.ledger.entries import Row, append_all, expiry_row
from xinzhi.ledger.models import ExpiringPoints, ExpiryRun
from xinzhi.service import Service

log = logging.getLogger("xinzhi.ledger")

NEVER = dt.date.max


def expiry_moment(day: dt.date) -> dt.datetime:
    """Points expiring on ``day`` are gone from the next midnight (Shanghai)."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), SHANGHAI)


def simulate(movements: Iterable[tuple[dt.datetime, int, dt.date | None]],
             until: dt.datetime) -> tuple[dict[dt.date, int], dict[dt.date, int]]:
    """Replay points movements (time, points, expires_on) up to ``until``; return (expired by date, held by date).

    A movement from ``until`` on is not replayed: found by attack, an expiry job run as of 2000-01-01
    expired every point up to the newest entry, each later movement expiring the dates before it.
    """
    held: dict[dt.date, int] = defaultdict(int)
    expired: dict[dt.date, int] = defaultdict(int)
    debt = 0

    def expire_until(moment: dt.datetime) -> None:
        for day in sorted(d for d in held if d != NEVER and expiry_moment(d) <= moment):
            if held[day] > 0:
                expired[day] += held[day]
            del held[day]

    for moment, points, expires_on in movements:
        if moment >= until:
            break
        expire_until(moment)
        if points > 0:
            paid = min(debt, points)
            debt -= paid
            if points - paid:
                held[expires_on or NEVER] += points - paid
        elif points < 0:
            need = -points
            for day in sorted(held):
                take = min(need, held[day])
                held[day] -= take
                need -= take
                if not need:
                    break
            debt += need
    expire_until(until)
    return dict(expired), {d: n for d, n in held.items() if n > 0}


def _movements(session: Session, community: str, residents: list[str] | None = None):
    refunds = case((LedgerEntry.kind == "refund", LedgerEntry.explanation["refunds_seq"].as_integer()), else_=None)
    query = select(LedgerEntry.resident, LedgerEntry.occurred_at, LedgerEntry.points_delta,
                   LedgerEntry.points_expire_on, LedgerEntry.kind, LedgerEntry.fact_id, LedgerEntry.rule_id,
                   LedgerEntry.seq, refunds.label("refunds")).where(
        LedgerEntry.community == community, LedgerEntry.points_delta != 0)
    if residents is not None:
        query = query.where(any_of(session, LedgerEntry.resident, residents))
    by_resident: dict[str, list] = defaultdict(list)
    for row in session.execute(query.order_by(LedgerEntry.resident, LedgerEntry.occurred_at, LedgerEntry.seq)):
        by_resident[row.resident].append(row)
    return by_resident


def _replayed(rows: list) -> list[tuple[dt.datetime, int, dt.date | None]]:
    """The points movements to replay: an award's restatements netted into it, at its place.

    A restatement says what its fact should have earned in time order. Replayed on its own, a
    cut would spend the earliest-expiring points instead of the award's own, and undoing a
    deduction would add points that never expire; netted, the award is what time order gives.
    A cancelled redemption is as if never made: its refund, replayed as new points, gave back
    points that had expired meanwhile, never to expire again (found by attack).
    """
    movements: list[list[Any]] = []
    awards: dict[tuple[str | None, str, dt.datetime | None], list[Any]] = {}
    refunded = {r.refunds for r in rows if r.kind == "refund"}
    for r in rows:
        if r.kind in ("expiry", "refund") or r.seq in refunded:
            continue
        # A fact's award is its fact's and rule's; a period award (no fact) is its rule's at its period's end,
        # where closing dates it and its restatements: each year's award expires on its own date.
        key = (r.fact_id, r.rule_id, None if r.fact_id is not None else r.occurred_at)
        granted = awards.get(key) if r.kind in GRANTED else None
        if granted is not None:
            granted[1] += r.points_delta
            granted[2] = r.points_expire_on or granted[2]
            continue
        movements.append([r.occurred_at, r.points_delta, r.points_expire_on])
        if r.kind in GRANTED:
            awards[key] = movements[-1]
    return [(moment, points, expires_on) for moment, points, expires_on in movements]


def _written(rows: list) -> dict[dt.date, int]:
    """The points the expiry entries took, by expiry date."""
    written: dict[dt.date, int] = defaultdict(int)
    for r in rows:
        if r.kind == "expiry":
            written[r.points_expire_on] -= r.points_delta
    return written


def _plan(rows: list, until: dt.datetime) -> tuple[dict[dt.date, int], dict[dt.date, int]]:
    """Expiries that should exist by ``until`` minus those written; and what is still held."""
    expected, held = simulate(_replayed(rows), until)
    written = _written(rows)
    missing = {d: n - written.get(d, 0) for d, n in expected.items() if n > written.get(d, 0)}
    return missing, held


def expiry_corrections(session: Session, community: str, since: dict[str, dt.datetime]) -> list[Row]:
    """Expiry entries that bring the dates the job already passed to what the ledger now says expired.

    ``since`` is, per resident, the earliest moment just written to; only residents with an
    expiry after it are read. A date whose unspent points changed gets the difference: more
    points expire, or (negative) the excess is given back at the date it expired.
    """
    passed = {resident: day for resident, day in session.execute(select(
        LedgerEntry.resident, func.max(LedgerEntry.points_expire_on)).where(
        LedgerEntry.community == community, any_of(session, LedgerEntry.resident, sorted(since)), EXPIRY)
        .group_by(LedgerEntry.resident)) if day is not None}
    touched = [r for r, day in passed.items() if expiry_moment(day) > since[r]]
    if not touched:
        return []
    rows = []
    for resident, movements in _movements(session, community, touched).items():
        last = passed[resident]
        expected, _ = simulate(_replayed(movements), expiry_moment(last))
        written = _written(movements)
        for day in sorted(expected.keys() | written.keys()):
            if day <= last and (points := expected.get(day, 0) - written.get(day, 0)):
                rows.append(expiry_row(community, resident, points=points, expired_on=day,
                                       moment=expiry_moment(day), as_of=last + dt.timedelta(days=1)))
    return rows


def expiry_as_of(session: Session, community: str, resident: str,
                 as_of: dt.date) -> tuple[int, list[ExpiringPoints]]:
    """At the start of ``as_of``: the points already expired that no expiry entry took yet, and what will expire when.

    The job runs once a day, and an award posted late may be past its date already: until the
    job comes, the ledger still counts such points (found by attack: a score showed them, and
    the shop let them be spent). A score shows them gone, as the job would write them.
    """
    until = dt.datetime.combine(as_of, dt.time(), SHANGHAI)
    rows = _movements(session, community, [resident]).get(resident, [])
    missing, held = _plan([r for r in rows if r.occurred_at < until or r.kind == "expiry"], until)
    return sum(missing.values()), [ExpiringPoints(expires_on=d, points=n) for d, n in sorted(held.items())
                                   if d != NEVER]


def due_expiries(session: Session, community: str, holder: str, until: dt.datetime) -> list[Row]:
    """The expiry entries of ``holder``'s points whose date passed by ``until`` that the job has not written yet.

    Spending writes them first (``shop``), under the holder's lock: otherwise points past their
    date are spent, and the job takes them again (found by attack: a balance of -10).
    """
    rows = _movements(session, community, [holder]).get(holder, [])
    missing, _ = _plan(rows, until)
    return _expiry_rows(community, holder, missing, as_of=until.astimezone(SHANGHAI).date())


def _expiry_rows(community: str, holder: str, missing: dict[dt.date, int], *, as_of: dt.date) -> list[Row]:
    return [expiry_row(community, holder, points=points, expired_on=day, moment=expiry_moment(day), as_of=as_of)
            for day, points in sorted(missing.items())]


def expire_points(service: Service, community: str, as_of: dt.date) -> ExpiryRun:
    """Write expiry entries for points whose expiry date passed before ``as_of`` (today at the latest)."""
    if as_of > today():
        raise ServiceError.at(ServiceCode.AS_OF_IN_FUTURE, "as_of", "as_of_after_today", as_of=as_of, today=today())
    until = dt.datetime.combine(as_of, dt.time(), SHANGHAI)
    total = 0
    with service.db.writing() as session:
        require_community(session, community)
        accounts = set(session.scalars(select(AccountTotal.resident).where(AccountTotal.community == community)))
        service.db.lock_residents(session, community, accounts)  # every account with entries: a household's too
        entries = []
        for resident, rows in _movements(session, community).items():
            if resident not in accounts:  # its first entries came after the locks: its writer may be mid-way (next run)
                continue
            missing, _ = _plan(rows, until)
            entries += _expiry_rows(community, resident, missing, as_of=as_of)
            total += sum(missing.values())
        append_all(session, entries)
        written = len(entries)
    log.info("expiry of %s as of %s: %d entries, %d points", community, as_of, written, total)
    return ExpiryRun(community=community, as_of=as_of, entries_written=written, points_expired=total)
