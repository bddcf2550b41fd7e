"""Every ledger row is built here: one function per kind of movement, one shape for all.

The ledger is append-only; a balance is what it sums to (``balances``). Each builder
returns the row as a dict of column values with its explanation (``summary`` is the
sentence a resident reads) and never writes; ``append`` and ``append_all`` write.

Writers of single entries run inside a write transaction after ``lock_resident``: on
PostgreSQL that takes the resident's advisory lock (the one scoring takes) and the
resident row ``FOR UPDATE``; on SQLite the write transaction began with ``BEGIN
IMMEDIATE``, so writers are already serial. Balances read after the lock are current.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from xinzhi.clock import month_of, utcnow
from xinzhi.communities.service import get_resident
from xinzhi.db.queries import add_groups, any_of, at_commit, insert_numbered
from xinzhi.db.tables import RUNNING_SUMS, AccountTotal, LedgerEntry, MonthTotal, Resident, table_of
from xinzhi.engine import SHANGHAI, Award, Fact
from xinzhi.engine.amounts import json_ready, signed
from xinzhi.engine.resets import AccountReset
from xinzhi.ledger.models import LedgerEntryRead
from xinzhi.service import Service

Row = dict[str, Any]


def lock_resident(service: Service, session: Session, community: str, resident: str) -> Resident:
    """Serialize every write to this resident's accounts until the transaction ends."""
    service.db.lock_residents(session, community, [resident])
    row = get_resident(session, community, resident)
    if service.db.backend == "postgresql":
        session.execute(select(Resident.id).where(Resident.community == community, Resident.id == resident)
                        .with_for_update())
    return row


def _row(community: str, resident: str, *, kind: str, index_delta: Decimal | int, points_delta: Decimal | int,
         explanation: Row, occurred_at: dt.datetime | None = None, amount: Decimal | int | None = None,
         raw_amount: Decimal | int | None = None,
         accounts: tuple[str, ...] | None = None, category: str | None = None, rule_id: str | None = None,
         ruleset: str | None = None, fact_id: str | None = None, limited_by: str | None = None,
         points_expire_on: dt.date | None = None, member: str | None = None, as_json: bool = True,
         created_at: dt.datetime | None = None) -> Row:
    """The one shape of a ledger row; ``amount`` is the points (or else index) movement by default.

    The explanation's amounts become JSON numbers here (``json_ready``), as the store gives them
    back, unless ``as_json`` is off: the store's JSON writes a ``Decimal`` with the same digits,
    so an award, built by the thousand in a batch and read in memory only for its words, skips it.

    ``created_at`` is when the entry is written: one moment for a batch's entries, given by its writer.
    """
    now = created_at or utcnow()
    occurred = occurred_at or now
    if amount is None:
        amount = points_delta if points_delta else index_delta
    if accounts is None:
        accounts = tuple(a for a, d in (("index", index_delta), ("points", points_delta)) if d) or ("points",)
    return {"community": community, "resident": resident, "member": member, "kind": kind, "amount": amount,
            "raw_amount": amount if raw_amount is None else raw_amount,
            "index_delta": index_delta, "points_delta": points_delta, "accounts": ",".join(accounts),
            "category": category, "rule_id": rule_id, "ruleset": ruleset, "fact_id": fact_id,
            "limited_by": limited_by, "occurred_at": occurred,
            "month": month_of(occurred),
            "points_expire_on": points_expire_on, "explanation": json_ready(explanation) if as_json else explanation,
            "created_at": now}


def plain_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """A fact's fields as JSON keeps them (dates as ISO text), for the fact row and the entry's explanation."""
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in fields.items()}


def award_row(community: str, award: Award, fact: Fact | None, fields: dict[str, Any] | None = None, *,
              created_at: dt.datetime | None = None) -> Row:
    """An award (or deduction) the engine computed for a fact (or a closed period), with any limit that bound it.

    ``fields`` are the fact's as stored (``plain_fields``), where the caller made them already for its row.
    """
    index = award.amount if "index" in award.accounts else 0
    points = award.amount if "points" in award.accounts else 0
    return _row(community, award.resident, kind="deduction" if award.raw_amount < 0 else "award",
                index_delta=index, points_delta=points, amount=award.amount, raw_amount=award.raw_amount,
                accounts=award.accounts, category=award.category, rule_id=award.rule_id, ruleset=award.ruleset,
                fact_id=award.fact_id, limited_by=award.limited_by, occurred_at=award.occurred_at,
                points_expire_on=award.points_expire_on, member=award.member, explanation={
                    "summary": award.summary(), "rule_title": award.rule_title, "raw_amount": award.raw_amount,
                    "amount": award.amount, "limited_by": award.limited_by, "limit_max": award.limit_max,
                    "limit_times": award.limit_times, "occurrence": award.occurrence, "earlier": list(award.earlier),
                    "after_fact": award.after_fact, "reached": list(award.reached),
                    "reached_total": award.reached_total, "period": award.period, "qualified": list(award.qualified),
                    "fact": None if fact is None else {
                        "id": fact.id, "type": fact.type, "occurred_at": fact.occurred_at.isoformat(),
                        "fields": plain_fields(fact.fields) if fields is None else fields}}, as_json=False,
                created_at=created_at)


_MOVED = ("amount", "raw_amount", "index_delta", "points_delta")


def restatement_row(before: Row, after: Row | None, *, rule_title: str, reason: str, because: dict[str, Any]) -> Row:
    """The entry that brings an award (of a fact, or a closed period) to what it should now be, and says why.

    ``before`` is what the award's entries sum to; ``after`` what scoring in time order
    gives it now (None: nothing). It is dated at the award, so a balance as of any day is
    what time order would give.
    """
    base = after or before
    delta = {k: (after[k] if after else 0) - before[k] for k in _MOVED}
    was, now = before["amount"], after["amount"] if after else 0
    return _row(base["community"], base["resident"], kind="restatement", index_delta=delta["index_delta"],
                points_delta=delta["points_delta"], amount=delta["amount"], raw_amount=delta["raw_amount"],
                accounts=tuple(base["accounts"].split(",")), category=base["category"], rule_id=base["rule_id"],
                ruleset=base["ruleset"], fact_id=base["fact_id"], occurred_at=base["occurred_at"],
                member=base.get("member"), limited_by=after["limited_by"] if after else None,
                points_expire_on=after["points_expire_on"] if after else None, explanation={
                    "summary": f"{reason}: {rule_title} {signed(was)} → {signed(now)}", "rule_title": rule_title,
                    "restates": {"fact_id": base["fact_id"], "rule_id": base["rule_id"], "amount_before": was,
                                 "amount_after": now},
                    "because": because,
                    "after": after["explanation"] if after else None})


def hold_row(award: Row) -> Row:
    """The entry that holds an award under committee review: same accounts, opposite sign."""
    held = {**award, "kind": "adjustment", "amount": -award["amount"], "raw_amount": -award["amount"],
            "index_delta": -award["index_delta"], "points_delta": -award["points_delta"],
            "limited_by": None, "points_expire_on": None,
            "explanation": {"summary": f"待议事会审核: {award['explanation']['summary']}",
                            "rule_title": award["explanation"].get("rule_title", award["rule_id"]),
                            "holds": {"fact_id": award["fact_id"], "rule_id": award["rule_id"]}}}
    return held


def release_row(community: str, award: LedgerEntry | None, *, resident: str, notice: int, rule_id: str, rule_title: str,
                fact_id: str, amount: Decimal, index_delta: Decimal, points_delta: Decimal, reason: str | None,
                actor: str) -> Row:
    """The entry that releases a held award the committee approved (it expires as the award would)."""
    return _row(community, resident, kind="adjustment", index_delta=index_delta,
                points_delta=points_delta, category=award.category if award else None, rule_id=rule_id,
                ruleset=award.ruleset if award else None, fact_id=fact_id,
                points_expire_on=award.points_expire_on if award else None,
                explanation={"summary": f"议事会审核通过: {rule_title} {signed(amount)}", "releases": notice,
                             "reason": reason, "by": actor})


def reversal_row(target: LedgerEntry, *, summary: str, reason: str, actor: str, **explanation: Any) -> Row:
    """The entry that undoes ``target`` (an appeal, or an upheld objection to a released award).

    It names the accounts ``target`` named even when it moves nothing, so that a later
    correction of the correction moves the accounts the award moved.
    """
    return _row(target.community, target.resident, kind="adjustment", index_delta=-target.index_delta,
                points_delta=-target.points_delta, accounts=tuple(target.accounts.split(",")),
                category=target.category, rule_id=target.rule_id, ruleset=target.ruleset, fact_id=target.fact_id,
                explanation={"summary": summary, "reverses": target.seq, "reason": reason, "by": actor,
                             **explanation})


def correction_row(target: LedgerEntry, *, amount: Decimal, reason: str, actor: str) -> Row:
    """The entry that brings ``target`` to the amount an appeal decided, in the accounts it moved."""
    delta = amount - target.amount
    accounts = target.accounts.split(",")
    return _row(target.community, target.resident, kind="adjustment",
                index_delta=delta if "index" in accounts else 0, points_delta=delta if "points" in accounts else 0,
                accounts=tuple(accounts), category=target.category, rule_id=target.rule_id, ruleset=target.ruleset,
                fact_id=target.fact_id,
                explanation={"summary": f"申诉更正第 {target.seq} 条：{signed(target.amount)} → {signed(amount)}"
                                        f"（{signed(delta)}）：{reason}",
                             "corrects": target.seq, "amount_before": target.amount, "amount_after": amount,
                             "reason": reason, "by": actor})


def adjustment_row(community: str, resident: str, *, index_delta: Decimal, points_delta: Decimal, reason: str,
                   actor: str) -> Row:
    """A committee's manual adjustment of a resident's accounts."""
    return _row(community, resident, kind="adjustment", index_delta=index_delta, points_delta=points_delta,
                explanation={"summary": f"议事会调整：诚信指数 {signed(index_delta)}，积分 {signed(points_delta)}："
                                        f"{reason}",
                             "reason": reason, "by": actor})


def redemption_row(community: str, resident: str, *, redemption: str, item: dict[str, Any], quantity: int,
                   cost: int, actor: str, moment: dt.datetime, member: str | None = None) -> Row:
    """Points spent in the credit supermarket (the index never moves), at the moment of the redemption.

    ``resident`` is the account spent from; ``member``, where it is a household's, who redeemed.
    """
    return _row(community, resident, kind="redemption", index_delta=0, points_delta=-cost, category="shop",
                occurred_at=moment, member=member,
                explanation={"summary": f"信用超市兑换 {item['title']} ×{quantity}：-{cost} 积分",
                             "redemption": redemption, "item": item, "quantity": quantity, "by": actor})


def refund_row(community: str, resident: str, *, redemption: str, title: str, quantity: int, points: int,
               refunds_seq: int, reason: str | None, actor: str) -> Row:
    """Points given back when a redemption is cancelled."""
    return _row(community, resident, kind="refund", index_delta=0, points_delta=points, category="shop",
                explanation={"summary": f"取消兑换 {title} ×{quantity}：+{points} 积分", "redemption": redemption,
                             "refunds_seq": refunds_seq, "reason": reason, "by": actor})


def expiry_row(community: str, resident: str, *, points: int, expired_on: dt.date, moment: dt.datetime,
               as_of: dt.date) -> Row:
    """Unspent points whose expiry date passed (points only; the index is unchanged).

    Negative ``points`` give back points that expired in excess: a fact posted late left
    fewer of them unspent on that date (``expiry.expiry_corrections``).
    """
    summary = f"{points} 分未用积分于 {expired_on} 日终到期（诚信指数不变）" if points > 0 else \
        f"退回 {expired_on} 日终多扣的到期积分 {-points} 分：之后补录的事实使当时未用的积分更少"
    return _row(community, resident, kind="expiry", index_delta=0, points_delta=-points, occurred_at=moment,
                points_expire_on=expired_on,
                explanation={"summary": summary,
                             "expired_on": expired_on.isoformat(), "job_as_of": as_of.isoformat()})


def reset_row(community: str, reset: AccountReset, was: Decimal | None = None, *, as_of: dt.date) -> Row:
    """An account set back at a period's end (年度清零), or what brings an earlier reset to what it should now be.

    A reset's entries are all of kind ``reset`` at the period's last second: what they sum
    to is the movement the reset made, so the closing job can tell when it changed.
    """
    delta = reset.amount - (was or 0)
    summary = reset.reason() if was is None else \
        f"{as_of} 重新结算（期内的记录有变动）：{reset.reason()}，调整由 {signed(was)} 改为 {signed(reset.amount)}"
    return _row(community, reset.resident, kind="reset", index_delta=delta if reset.account == "index" else 0,
                points_delta=delta if reset.account == "points" else 0, amount=delta, accounts=(reset.account,),
                ruleset=reset.ruleset, occurred_at=reset.occurred_at,
                explanation={"summary": summary, "reset": reset.as_json(), "amount_before": was,
                             "job_as_of": as_of.isoformat()})


def reset_withdrawal_row(community: str, resident: str, account: str, moment: dt.datetime, was: Decimal, *,
                         as_of: dt.date) -> Row:
    """What takes back a reset no standard in force makes any more (a later version starts before that end)."""
    title = {"index": "诚信指数", "points": "积分"}[account]
    return _row(community, resident, kind="reset", index_delta=-was if account == "index" else 0,
                points_delta=-was if account == "points" else 0, amount=-was, accounts=(account,), occurred_at=moment,
                explanation={"summary": f"{as_of} 重新结算：现行标准在 {moment.astimezone(SHANGHAI):%Y-%m-%d} "
                                        f"期末不再清零{title}，撤销原调整 {signed(was)}", "amount_before": was,
                             "job_as_of": as_of.isoformat()})


def append(session: Session, row: Row) -> LedgerEntry:
    """Write one row and return it with its ``seq``."""
    entry = LedgerEntry(**row)
    session.add(entry)
    session.flush()
    _add_to_totals(session, [entry.seq])
    return entry


def append_all(session: Session, rows: list[Row]) -> list[int]:
    """Write many rows in one statement (scoring, expiry); their ``seq`` numbers, in the rows' order."""
    if not rows:
        return []
    seqs = insert_numbered(session, table_of(LedgerEntry), rows)
    _add_to_totals(session, seqs)
    return seqs


def _add_to_totals(session: Session, seqs: list[int]) -> None:
    """Add the entries just written (``seqs``) to their residents' running sums and their community's month sums.

    A resident's sums are written at once (writers hold the resident's lock); the month sums,
    which every writer of the community shares, at commit (``at_commit``). Both are summed in
    SQL from the rows as stored, by the one statement of what running sums are (``RUNNING_SUMS``).
    """
    add_groups(session, AccountTotal, _HOLDER, RUNNING_SUMS, any_of(session, LedgerEntry.seq, seqs))
    at_commit(session, MonthTotal, _add_to_months, list).extend(seqs)


def _add_to_months(session: Session, seqs: list[int]) -> None:
    add_groups(session, MonthTotal, _MONTH, RUNNING_SUMS, any_of(session, LedgerEntry.seq, seqs))


_HOLDER = {"community": LedgerEntry.community, "resident": LedgerEntry.resident}
_MONTH = {"community": LedgerEntry.community, "month": LedgerEntry.month,
          "category": func.coalesce(LedgerEntry.category, "")}  # no category counts as ""


def read_entry(row: Any) -> LedgerEntryRead:
    """A stored row (or a row of selected columns) as the API shows it, in Shanghai time."""
    return LedgerEntryRead(
        seq=row.seq, resident=row.resident, member=getattr(row, "member", None),  # selected columns may leave it out
        kind=row.kind, amount=row.amount, raw_amount=row.raw_amount,
        index_delta=row.index_delta, points_delta=row.points_delta, accounts=row.accounts.split(","),
        category=row.category, rule_id=row.rule_id, ruleset=row.ruleset, fact_id=row.fact_id,
        limited_by=row.limited_by, occurred_at=row.occurred_at.astimezone(SHANGHAI),
        points_expire_on=row.points_expire_on, explanation=row.explanation, created_at=row.created_at)
