"""Writing non-scoring ledger entries (redemptions, refunds, adjustments) and reading balances.

Every function here runs inside a caller's write transaction, after ``lock_resident``:
on PostgreSQL that takes the resident's advisory lock (the one scoring takes) and the
resident row ``FOR UPDATE``; on SQLite the write transaction began with ``BEGIN IMMEDIATE``,
so writers are already serial. Balances read after the lock are therefore current.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import SHANGHAI

from ._store import Store
from .communities import get_resident
from .models import LedgerEntry, Resident, utcnow


def lock_resident(store: Store, session: Session, community: str, resident: str) -> Resident:
    """Serialize every write to this resident's accounts until the transaction ends."""
    store.db.lock_residents(session, community, [resident])
    row = get_resident(session, community, resident)
    if store.db.backend == "postgresql":
        session.execute(select(Resident.id).where(Resident.community == community, Resident.id == resident)
                        .with_for_update())
    return row


def balances(session: Session, community: str, resident: str) -> tuple[int, int]:
    """(index change, points) summed over the resident's whole ledger."""
    index, points = session.execute(select(func.coalesce(func.sum(LedgerEntry.index_delta), 0),
                                           func.coalesce(func.sum(LedgerEntry.points_delta), 0)).where(
        LedgerEntry.community == community, LedgerEntry.resident == resident)).one()
    return int(index), int(points)


def add_entry(session: Session, community: str, resident: str, *, kind: str, index_delta: int, points_delta: int,
              summary: str, category: str | None = None, rule_id: str | None = None, ruleset: str | None = None,
              fact_id: str | None = None, occurred_at: dt.datetime | None = None, **explanation: Any) -> LedgerEntry:
    """Append one explained entry; ``amount`` is the points (or else index) movement."""
    now = utcnow()
    occurred = occurred_at or now
    amount = points_delta if points_delta else index_delta
    accounts = [a for a, d in (("index", index_delta), ("points", points_delta)) if d] or ["points"]
    row = LedgerEntry(community=community, resident=resident, kind=kind, amount=amount, raw_amount=amount,
                      index_delta=index_delta, points_delta=points_delta, accounts=",".join(accounts),
                      category=category, rule_id=rule_id, ruleset=ruleset, fact_id=fact_id, limited_by=None,
                      occurred_at=occurred, month=occurred.astimezone(SHANGHAI).strftime("%Y-%m"),
                      points_expire_on=None, explanation={"summary": summary, **explanation}, created_at=now)
    session.add(row)
    session.flush()
    return row
