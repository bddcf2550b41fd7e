"""Appeals and adjustments (申诉): the committee reverses or corrects a ledger entry, or adds one.

A reason is always required. The original entry stays; the correction is a new
``adjustment`` entry whose explanation points to it (``reverses`` / ``corrects``). An
entry is reversed or corrected at most once (later changes go through a new appeal on
the correction itself).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from ._entries import add_entry, lock_resident
from ._store import Store
from .communities import require_community
from .community_models import Appeal
from .errors import NotFound, ServiceCode, ServiceError
from .models import LedgerEntry, utcnow
from .schemas import LedgerEntryRead
from .scoring import read_entry

APPEALABLE = ("award", "deduction", "adjustment", "expiry")


class AppealCreate(BaseModel):
    action: Literal["reverse", "correct", "adjust"]
    reason: str = Field(min_length=2, max_length=2000)
    entry: int | None = Field(default=None, description="ledger entry seq (reverse, correct)")
    amount: int | None = Field(default=None, description="correct: the amount the entry should have had")
    resident: str | None = Field(default=None, max_length=128, description="adjust: whose accounts")
    index_delta: int = Field(default=0, ge=-10_000, le=10_000, description="adjust: change of the index")
    points_delta: int = Field(default=0, ge=-10_000, le=10_000, description="adjust: change of the points")

    @model_validator(mode="after")
    def _shape(self) -> AppealCreate:
        if self.action in ("reverse", "correct") and self.entry is None:
            raise ValueError(f"'{self.action}' needs 'entry' (the ledger entry's seq)")
        if self.action == "correct" and self.amount is None:
            raise ValueError("'correct' needs 'amount'")
        if self.action == "adjust" and (not self.resident or not (self.index_delta or self.points_delta)):
            raise ValueError("'adjust' needs 'resident' and a non-zero index_delta or points_delta")
        return self


class AppealRead(BaseModel):
    community: str
    seq: int
    resident: str
    action: str
    target: int | None
    reason: str
    decided_by: str
    created_at: dt.datetime
    original: LedgerEntryRead | None
    correction: LedgerEntryRead


def _target(session: Session, community: str, seq: int) -> LedgerEntry:
    row = session.scalar(select(LedgerEntry).where(LedgerEntry.community == community, LedgerEntry.seq == seq))
    if row is None:
        raise NotFound(ServiceCode.ENTRY_NOT_FOUND, f"community '{community}' has no ledger entry {seq}")
    return row


def corrected(session: Session, community: str, seq: int) -> bool:
    """Whether an appeal (or an upheld objection) already reversed or corrected entry ``seq``."""
    return session.scalar(select(Appeal.seq).where(Appeal.community == community, Appeal.target_seq == seq,
                                                   Appeal.action.in_(("reverse", "correct"))).limit(1)) is not None


def reverse_entry(session: Session, community: str, target: LedgerEntry, reason: str, actor: str,
                  **explanation) -> LedgerEntry:
    """Write the entry that undoes ``target`` (inside a locked write transaction)."""
    return add_entry(session, community, target.resident, kind="adjustment", index_delta=-target.index_delta,
                     points_delta=-target.points_delta, category=target.category, rule_id=target.rule_id,
                     ruleset=target.ruleset, fact_id=target.fact_id,
                     summary=f"申诉撤销 entry {target.seq} ({target.kind} {target.amount:+d}): {reason}",
                     reverses=target.seq, reason=reason, by=actor, **explanation)


def file_appeal(store: Store, community: str, data: AppealCreate, *, actor: str = "system") -> AppealRead:
    """Decide an appeal: reverse or correct an entry, or adjust a resident's accounts; reason required."""
    with store.db.reading() as session:
        require_community(session, community)
        resident = data.resident if data.action == "adjust" else _target(session, community, data.entry).resident
    with store.db.writing() as session:
        lock_resident(store, session, community, resident)  # type: ignore[arg-type]
        original = None
        if data.action == "adjust":
            entry = add_entry(session, community, resident, kind="adjustment", index_delta=data.index_delta,
                              points_delta=data.points_delta,
                              summary=f"议事会调整 index {data.index_delta:+d}, points {data.points_delta:+d}: "
                                      f"{data.reason}", reason=data.reason, by=actor)
        else:
            original = _target(session, community, data.entry)  # type: ignore[arg-type]
            if original.kind not in APPEALABLE or "holds" in original.explanation \
                    or "redemption" in original.explanation:
                raise ServiceError(ServiceCode.REQUEST_INVALID,
                                   f"entry {original.seq} is a {original.kind}; cancel a redemption instead, and "
                                   "decide pending awards through review")
            if corrected(session, community, original.seq):
                raise ServiceError(ServiceCode.ENTRY_ALREADY_CORRECTED,
                                   f"entry {original.seq} was already reversed or corrected; appeal the correction")
            if data.action == "reverse":
                entry = reverse_entry(session, community, original, data.reason, actor)
            else:
                if original.index_delta and original.points_delta and original.index_delta != original.points_delta:
                    raise ServiceError(ServiceCode.REQUEST_INVALID,
                                       f"entry {original.seq} moves index and points differently; reverse it and "
                                       "add an adjustment instead")
                delta = data.amount - original.amount  # type: ignore[operator]
                accounts = original.accounts.split(",")
                entry = add_entry(session, community, resident, kind="adjustment",
                                  index_delta=delta if "index" in accounts else 0,
                                  points_delta=delta if "points" in accounts else 0, category=original.category,
                                  rule_id=original.rule_id, ruleset=original.ruleset, fact_id=original.fact_id,
                                  summary=f"申诉更正 entry {original.seq}: {original.amount:+d} → {data.amount:+d} "
                                          f"({delta:+d}): {data.reason}",
                                  corrects=original.seq, amount_before=original.amount, amount_after=data.amount,
                                  reason=data.reason, by=actor)
        appeal = Appeal(community=community, resident=resident, action=data.action,
                        target_seq=original.seq if original is not None else None, reason=data.reason,
                        ledger_seq=entry.seq, decided_by=actor, created_at=utcnow())
        session.add(appeal)
        session.flush()
        return AppealRead(community=community, seq=appeal.seq, resident=resident, action=data.action,
                          target=appeal.target_seq, reason=data.reason, decided_by=actor, created_at=appeal.created_at,
                          original=read_entry(original) if original is not None else None,
                          correction=read_entry(entry))


def list_appeals(store: Store, community: str, *, resident: str | None = None) -> list[dict]:
    """Appeals decided, newest first."""
    with store.db.reading() as session:
        require_community(session, community)
        query = select(Appeal).where(Appeal.community == community)
        if resident:
            query = query.where(Appeal.resident == resident)
        return [{"seq": a.seq, "resident": a.resident, "action": a.action, "target": a.target_seq, "reason": a.reason,
                 "ledger_seq": a.ledger_seq, "decided_by": a.decided_by, "created_at": a.created_at}
                for a in session.scalars(query.order_by(Appeal.seq.desc()))]
