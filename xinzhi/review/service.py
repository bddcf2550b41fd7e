"""Committee review of awards, publicity and objections (公示).

A rule marked ``review: committee`` still scores through the normal path, but in the same
transaction its award is matched by a ``hold`` entry (an adjustment of the opposite sign):
the award is visible in the ledger and in the review queue, yet it is neither spendable
nor in the index. Approval writes a ``release`` entry and puts the award on the public
board for the ruleset's ``publicity_days``; rejection writes nothing (the hold stands).
During publicity a resident may object; an upheld objection reverses the release.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from xinzhi.clock import utcnow
from xinzhi.communities.service import require_community, shown_by_id
from xinzhi.db.queries import community_rows, one_or_not_found
from xinzhi.db.tables import Appeal, LedgerEntry, Objection, ReviewItem, table_of
from xinzhi.engine import CompiledRuleset
from xinzhi.engine.amounts import signed
from xinzhi.errors import ServiceCode, ServiceError
from xinzhi.ledger.entries import append, hold_row, release_row, reversal_row
from xinzhi.messages import Message
from xinzhi.review.appeals import account_named, corrected
from xinzhi.review.models import (
    ObjectionCreate,
    ObjectionRead,
    ObjectionResolve,
    PublicityNotice,
    ReviewDecision,
    ReviewRead,
)
from xinzhi.service import Service

DEFAULT_PUBLICITY_DAYS = 7


def hold_for_review(session: Session, community: str, compiled: CompiledRuleset,
                    rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """For award rows of rules under committee review: queue them and return their hold rows.

    Called by scoring inside its write transaction, so an award is never spendable before it is held.
    A restatement of an award already queued follows its decision: it changes a pending
    award's amount (held meanwhile), moves a released one at once, and stays held after a
    rejection.
    """
    holds, queued = [], []
    days = compiled.ruleset.publicity_days
    for row in rows:
        rule = compiled.rules.get(row["rule_id"])
        if rule is None or rule.rule.review != "committee" or row["kind"] not in ("award", "restatement") \
                or not row["amount"]:
            continue
        item = session.scalar(select(ReviewItem).where(
            ReviewItem.community == community, ReviewItem.fact_id == row["fact_id"],
            ReviewItem.rule_id == row["rule_id"])) if row["kind"] == "restatement" else None
        if item is not None:
            if item.status == "pending":
                item.amount += row["amount"]
                item.index_delta += row["index_delta"]
                item.points_delta += row["points_delta"]
            if item.status != "approved":
                holds.append(hold_row(row))
            continue
        holds.append(hold_row(row))
        queued.append({"community": community, "resident": row["resident"], "fact_id": row["fact_id"],
                       "rule_id": row["rule_id"], "rule_title": row["explanation"].get("rule_title", row["rule_id"]),
                       "amount": row["amount"], "index_delta": row["index_delta"],
                       "points_delta": row["points_delta"],
                       "publicity_days": DEFAULT_PUBLICITY_DAYS if days is None else days,
                       "status": "pending", "created_at": row["created_at"]})
    if queued:
        session.execute(insert(table_of(ReviewItem)), queued)
    return holds


def _read(row: ReviewItem) -> ReviewRead:
    return ReviewRead(notice=row.seq, community=row.community, resident=row.resident, fact_id=row.fact_id,
                      rule_id=row.rule_id, rule_title=row.rule_title, amount=row.amount, status=row.status,
                      decided_by=row.decided_by, decided_at=row.decided_at, publicity_until=row.publicity_until,
                      created_at=row.created_at)


def list_reviews(service: Service, community: str, *, status: str | None = None,
                 resident: str | None = None) -> list[ReviewRead]:
    """Awards under review (or decided), oldest first (of a resident's account: their household's, if it holds it)."""
    with service.db.reading() as session:
        require_community(session, community)
        account = account_named(service, session, community, resident)
        return [_read(r) for r in community_rows(session, ReviewItem, community, status=status or None,
                                                 resident=account, order_by=(ReviewItem.seq,))]


def _review(session: Session, community: str, notice: int, *, column: Any = ReviewItem,
            for_update: bool = True) -> Any:
    """The award under review ``notice`` (or one of its columns), locked for the decision by default."""
    return one_or_not_found(session, select(column).where(ReviewItem.community == community, ReviewItem.seq == notice),
                            ServiceCode.REVIEW_NOT_FOUND,
                            Message.of("no_review", community=community, notice=notice), for_update=for_update)


def _resident_of(service: Service, community: str, notice: int) -> str:
    with service.db.reading() as session:
        require_community(session, community)
        return _review(session, community, notice, column=ReviewItem.resident, for_update=False)


def decide_review(service: Service, community: str, notice: int, data: ReviewDecision, *,
                  actor: str = "system") -> ReviewRead:
    """Approve (release the award, start publicity) or reject (the hold stands) a pending award."""
    resident = _resident_of(service, community, notice)
    with service.db.writing() as session:
        service.db.lock_residents(session, community, [resident])  # the account's lock (a household's too)
        row = _review(session, community, notice)
        if row.status != "pending":
            raise ServiceError(ServiceCode.REVIEW_DECIDED, Message.of(
                "review_decided", notice=notice, status=Message.of(f"decided_{row.status}")))
        now = utcnow()
        if data.decision == "approve":
            award = session.scalar(select(LedgerEntry).where(
                LedgerEntry.community == community, LedgerEntry.fact_id == row.fact_id,
                LedgerEntry.rule_id == row.rule_id, LedgerEntry.kind.in_(("award", "restatement")))
                .order_by(LedgerEntry.seq).limit(1))
            release = append(session, release_row(
                community, award, resident=resident, notice=notice, rule_id=row.rule_id, rule_title=row.rule_title,
                fact_id=row.fact_id, amount=row.amount, index_delta=row.index_delta, points_delta=row.points_delta,
                reason=data.reason, actor=actor))
            row.status, row.release_seq = "approved", release.seq
            row.publicity_until = now + dt.timedelta(days=row.publicity_days)
        else:
            row.status = "rejected"
        row.decided_by, row.decided_at = actor, now
        session.flush()
        return _read(row)


def publicity(session: Session, community: str, now: dt.datetime) -> list[PublicityNotice]:
    """Approved awards still in their publicity period: notice, masked name, zone, rule, amount."""
    rows = session.scalars(select(ReviewItem).where(
        ReviewItem.community == community, ReviewItem.status == "approved", ReviewItem.publicity_until > now)
        .order_by(ReviewItem.seq)).all()
    accounts = shown_by_id(session, community) if rows else {}
    notices = []
    for r in rows:  # the account's name: a resident's masked, or a household's 张*家
        holder = accounts.get(r.resident)
        notices.append(PublicityNotice(
            notice=r.seq, name=holder.public_name if holder else "*", zone=holder.zone if holder else "",
            rule=r.rule_title, amount=r.amount, approved_on=r.decided_at.date().isoformat() if r.decided_at else None,
            objections_until=r.publicity_until.isoformat() if r.publicity_until else None))
    return notices


def file_objection(service: Service, community: str, data: ObjectionCreate, *, filed_by: str) -> ObjectionRead:
    """A resident objects to an award on the public board (during its publicity period only)."""
    with service.db.writing() as session:
        require_community(session, community)
        # an award the board never showed (held for review, or rejected) is no notice to a resident: found by
        # attack, its 409 against a missing notice's 404 let residents count the awards under review
        row = one_or_not_found(session, select(ReviewItem).where(
            ReviewItem.community == community, ReviewItem.seq == data.notice, ReviewItem.status == "approved",
            ReviewItem.publicity_until.is_not(None)), ServiceCode.REVIEW_NOT_FOUND,
            Message.of("no_notice", notice=data.notice), for_update=True)
        if row.publicity_until <= utcnow():
            raise ServiceError.at(ServiceCode.PUBLICITY_CLOSED, "notice", "not_in_publicity", notice=data.notice)
        open_seq = session.scalar(select(Objection.seq).where(  # found by attack: the same one filed three times
            Objection.community == community, Objection.notice == data.notice, Objection.filed_by == filed_by,
            Objection.reason == data.reason, Objection.status == "open"))  # staff file for many: the same words
        if open_seq is not None:
            raise ServiceError(ServiceCode.OBJECTION_OPEN, Message.of("objection_open", notice=data.notice,
                                                                      seq=open_seq), extra={"objection": open_seq})
        objection = Objection(community=community, notice=data.notice, filed_by=filed_by, reason=data.reason,
                              status="open", created_at=utcnow())
        session.add(objection)
        session.flush()
        return _read_objection(objection)


def _read_objection(row: Objection) -> ObjectionRead:
    return ObjectionRead(seq=row.seq, community=row.community, notice=row.notice, filed_by=row.filed_by,
                         reason=row.reason, status=row.status, resolution=row.resolution,
                         ledger_seq=row.ledger_seq, resolved_by=row.resolved_by, created_at=row.created_at,
                         resolved_at=row.resolved_at)


def list_objections(service: Service, community: str, *, status: str | None = None) -> list[ObjectionRead]:
    """Objections, oldest first."""
    with service.db.reading() as session:
        require_community(session, community)
        return [_read_objection(r) for r in community_rows(session, Objection, community, status=status or None,
                                                           order_by=(Objection.seq,))]


def resolve_objection(service: Service, community: str, seq: int, data: ObjectionResolve, *,
                      actor: str = "system") -> ObjectionRead:
    """Upheld: the released award is reversed by a new entry (once); dismissed: it stays."""
    with service.db.reading() as session:
        require_community(session, community)
        found = one_or_not_found(session, select(Objection).where(Objection.community == community,
                                                                  Objection.seq == seq),
                                 ServiceCode.OBJECTION_NOT_FOUND,
                                 Message.of("no_objection", community=community, seq=seq))
        resident: str = _review(session, community, found.notice, column=ReviewItem.resident, for_update=False)
    with service.db.writing() as session:
        service.db.lock_residents(session, community, [resident])  # the account's lock (a household's too)
        objection = session.execute(select(Objection).where(Objection.community == community, Objection.seq == seq)
                                    .with_for_update()).scalar_one()
        if objection.status != "open":
            raise ServiceError(ServiceCode.OBJECTION_RESOLVED, Message.of(
                "objection_decided", seq=seq, status=Message.of(f"decided_{objection.status}")))
        review = _review(session, community, objection.notice)
        now = utcnow()
        if data.decision == "upheld" and review.status == "approved":
            release = session.get(LedgerEntry, review.release_seq)
            assert release is not None
            if corrected(session, release):
                raise ServiceError(ServiceCode.ENTRY_ALREADY_CORRECTED,
                                   Message.of("objection_after_appeal", notice=review.seq))
            reversal = append(session, reversal_row(
                release, summary=f"公示异议成立，撤销: {review.rule_title} {signed(review.amount)}: {data.resolution}",
                reason=data.resolution, actor=actor, objection=seq))
            session.add(Appeal(community=community, resident=review.resident, action="reverse",
                               target_seq=review.release_seq, reason=f"objection {seq}: {data.resolution}",
                               ledger_seq=reversal.seq, decided_by=actor, created_at=now))
            review.status = "reversed"
            objection.ledger_seq = reversal.seq
        objection.status, objection.resolution = data.decision, data.resolution
        objection.resolved_by, objection.resolved_at = actor, now
        session.flush()
        return _read_objection(objection)
