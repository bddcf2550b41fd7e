"""Appeals and adjustments (申诉): the committee reverses or corrects a ledger entry, or adds one.

A reason is always required. The original entry stays; the correction is a new
``adjustment`` entry whose explanation points to it (``reverses`` / ``corrects``). An
entry is reversed or corrected at most once (later changes go through a new appeal on
the correction itself).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinzhi.clock import today, utcnow
from xinzhi.communities.service import account_of, get_resident, require_community
from xinzhi.db.queries import community_rows, one_or_not_found
from xinzhi.db.tables import Appeal, LedgerEntry, Resident, ReviewItem
from xinzhi.engine import SHANGHAI, Problem, Ruleset
from xinzhi.engine.amounts import places, signed, text
from xinzhi.errors import ServiceCode, ServiceError
from xinzhi.ledger.entries import (
    adjustment_row,
    append,
    correction_row,
    read_entry,
    reversal_row,
)
from xinzhi.messages import Message
from xinzhi.registry.service import standard_on
from xinzhi.review.models import AppealCreate, AppealRead
from xinzhi.service import Service

APPEALABLE = ("award", "deduction", "adjustment", "expiry", "restatement")


def _target(session: Session, community: str, seq: int) -> LedgerEntry:
    return one_or_not_found(session, select(LedgerEntry).where(LedgerEntry.community == community,
                                                               LedgerEntry.seq == seq),
                            ServiceCode.ENTRY_NOT_FOUND, Message.of("no_entry", community=community, seq=seq))


def _award_entries(session: Session, entry: LedgerEntry) -> list[int]:
    """An award's entries: the award itself and the release that approved it after review."""
    awarded = entry.kind in ("award", "deduction") or "releases" in entry.explanation
    if not (awarded and entry.fact_id and entry.rule_id):
        return [entry.seq]
    rows = session.execute(select(LedgerEntry.seq, LedgerEntry.kind, LedgerEntry.explanation).where(
        LedgerEntry.community == entry.community, LedgerEntry.fact_id == entry.fact_id,
        LedgerEntry.rule_id == entry.rule_id)).all()
    return [seq for seq, kind, explanation in rows if kind in ("award", "deduction") or "releases" in explanation]


def corrected(session: Session, entry: LedgerEntry) -> bool:
    """Whether ``entry`` was already reversed or corrected, by an appeal or an upheld objection.

    An award is one movement however many entries it took: reversing the award or the
    release that approved it undoes both, so neither may be reversed again by any path.
    """
    return session.scalar(select(Appeal.seq).where(
        Appeal.community == entry.community, Appeal.target_seq.in_(_award_entries(session, entry)),
        Appeal.action.in_(("reverse", "correct"))).limit(1)) is not None


def reverse_entry(session: Session, community: str, target: LedgerEntry, reason: str, actor: str,
                  **explanation) -> LedgerEntry:
    """Write the entry that undoes ``target`` (inside a locked write transaction)."""
    return append(session, reversal_row(
        target, summary=f"申诉撤销 entry {target.seq} ({target.kind} {signed(target.amount)}): {reason}", reason=reason,
        actor=actor, **explanation))


def _within_decimals(data: AppealCreate, ruleset: Ruleset | None) -> None:
    """An appeal's amounts have no more decimal places than the standard that judges them states."""
    decimals = ruleset.accounts.decimals if ruleset and ruleset.accounts else 0
    fine = [Problem(code=ServiceCode.REQUEST_INVALID, path=name, says="finer_than_decimals",
                    params={"value": text(value), "decimals": decimals},
                    message=f"{text(value)} has more decimal places than the standard allows ({decimals})")
            for name, value in (("amount", data.amount), ("index_delta", data.index_delta),
                                ("points_delta", data.points_delta)) if value is not None and places(value) > decimals]
    if fine:
        raise ServiceError(ServiceCode.REQUEST_INVALID, Message.of("appeal_decimals"), fine)


def _appealable(session: Session, entry: LedgerEntry) -> None:
    """Refuse an appeal of what another path decides: a redemption (cancelled), an award the review decides.

    An award held for the committee's review never reached the account (its hold took it back):
    reversing it took the points off a second time, and an approval later paid it regardless.
    """
    kind = "hold" if "holds" in entry.explanation else entry.kind if entry.kind in ("redemption", "refund", "reset") \
        else "redemption" if "redemption" in entry.explanation else entry.kind
    if kind not in APPEALABLE:  # each such kind has its words (entry_hold, entry_redemption, entry_refund, entry_reset)
        raise ServiceError.at(ServiceCode.REQUEST_INVALID, "entry", "appeal_not_appealable", seq=entry.seq,
                              kind=Message.of(f"entry_{kind}"))
    if entry.fact_id and entry.rule_id:
        status = session.scalar(select(ReviewItem.status).where(
            ReviewItem.community == entry.community, ReviewItem.fact_id == entry.fact_id,
            ReviewItem.rule_id == entry.rule_id))
        if status in ("pending", "rejected") and "releases" not in entry.explanation:
            raise ServiceError.at(ServiceCode.ENTRY_UNDER_REVIEW, "entry", "appeal_under_review", seq=entry.seq,
                                  status=Message.of(f"review_{status}"))
    if corrected(session, entry):
        raise ServiceError.at(ServiceCode.ENTRY_ALREADY_CORRECTED, "entry", "appeal_corrected", seq=entry.seq)


def file_appeal(service: Service, community: str, data: AppealCreate, *, actor: str = "system") -> AppealRead:
    """Decide an appeal: reverse or correct an entry, or adjust a resident's accounts; reason required."""
    # AppealCreate's validator guarantees the shape: an adjustment names its resident, a reversal or a
    # correction its entry, and a correction the amount.
    with service.db.reading() as session:
        require_community(session, community)
        if data.action == "adjust":  # a member's adjustment is their household's, where households hold accounts
            assert data.resident
            day = today()
            resident = account_of(standard_on(service, session, community, day),
                                  get_resident(session, community, data.resident))
        else:
            assert data.entry is not None
            target = _target(session, community, data.entry)
            resident, day = target.resident, target.occurred_at.astimezone(SHANGHAI).date()
        _within_decimals(data, standard_on(service, session, community, day))
    with service.db.writing() as session:
        service.db.lock_residents(session, community, [resident])  # the account's lock, as scoring takes it
        original = None
        if data.action == "adjust":
            entry = append(session, adjustment_row(community, resident, index_delta=data.index_delta,
                                                   points_delta=data.points_delta, reason=data.reason, actor=actor))
        else:
            assert data.entry is not None
            original = _target(session, community, data.entry)
            _appealable(session, original)
            if data.action == "reverse":
                entry = reverse_entry(session, community, original, data.reason, actor)
            else:
                if original.index_delta and original.points_delta and original.index_delta != original.points_delta:
                    raise ServiceError.at(ServiceCode.REQUEST_INVALID, "entry", "appeal_mixed", seq=original.seq)
                assert data.amount is not None
                entry = append(session, correction_row(original, amount=data.amount, reason=data.reason,
                                                       actor=actor))
        appeal = Appeal(community=community, resident=resident, action=data.action,
                        target_seq=original.seq if original is not None else None, reason=data.reason,
                        ledger_seq=entry.seq, decided_by=actor, created_at=utcnow())
        session.add(appeal)
        session.flush()
        return AppealRead(community=community, seq=appeal.seq, resident=resident, action=data.action,
                          target=appeal.target_seq, reason=data.reason, decided_by=actor, created_at=appeal.created_at,
                          original=read_entry(original) if original is not None else None,
                          correction=read_entry(entry))


def account_named(service: Service, session: Session, community: str, resident: str | None) -> str | None:
    """The account a filter by resident means: the resident's, or their household's where households hold them."""
    row = session.get(Resident, (community, resident)) if resident else None
    if row is None or row.household is None:
        return resident or None
    return account_of(standard_on(service, session, community, today()), row)


def list_appeals(service: Service, community: str, *, resident: str | None = None) -> list[dict]:
    """Appeals decided, newest first (of a resident's account: their household's, where it holds it)."""
    with service.db.reading() as session:
        require_community(session, community)
        resident = account_named(service, session, community, resident)
        return [{"seq": a.seq, "resident": a.resident, "action": a.action, "target": a.target_seq, "reason": a.reason,
                 "ledger_seq": a.ledger_seq, "decided_by": a.decided_by, "created_at": a.created_at}
                for a in community_rows(session, Appeal, community, resident=resident or None,
                                        order_by=(Appeal.seq.desc(),))]
