"""The credit supermarket (信用超市): items, redemptions and cancellations.

A redemption debits ``points`` only (never the index) and takes stock in one write
transaction: the resident is locked (``_entries.lock_resident``) and the item row is read
``FOR UPDATE`` on PostgreSQL, so concurrent redemptions can neither overdraw points nor
sell stock that is not there. A cancellation refunds and restocks exactly once.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from xinzhi.clock import latest_accepted, today, utcnow
from xinzhi.communities.service import account_of, get_resident, require_community
from xinzhi.db.queries import community_rows, one_or_not_found
from xinzhi.db.tables import LedgerEntry, Redemption, ShopItem
from xinzhi.engine import SHANGHAI, Problem, Ruleset
from xinzhi.engine.vetoes import tier_rank
from xinzhi.errors import ServiceCode, ServiceError
from xinzhi.ledger.balances import (
    account_span,
    lowest_points_from,
    resident_totals,
    standing,
    vetoes_by_resident,
)
from xinzhi.ledger.entries import append, append_all, lock_resident, redemption_row, refund_row
from xinzhi.ledger.expiry import due_expiries
from xinzhi.messages import Message
from xinzhi.registry.service import standard_on
from xinzhi.scoring.resetting import settle_resets
from xinzhi.service import Service
from xinzhi.shop.models import ItemCreate, ItemRead, RedemptionCreate, RedemptionRead


def _read_item(row: ShopItem) -> ItemRead:
    return ItemRead(community=row.community, id=row.id, kind=row.kind, title=row.title,
                    description=row.description, price=row.price, stock=row.stock, min_tier=row.min_tier,
                    active=row.active)


def _stored_redemptions(session: Session, rows: list[Redemption], **extra) -> list[RedemptionRead]:
    """Redemptions read back, each with its item's title as its ledger entry wrote it (the item may be renamed)."""
    title = LedgerEntry.explanation["item"]["title"].as_string()
    titles: dict[int, str | None] = dict(session.execute(select(LedgerEntry.seq, title).where(
        LedgerEntry.seq.in_([row.ledger_seq for row in rows]))).all()) if rows else {}
    return [_read_redemption(row, item_title=titles.get(row.ledger_seq), **extra) for row in rows]


def _read_redemption(row: Redemption, **extra) -> RedemptionRead:
    return RedemptionRead(community=row.community, id=row.id, resident=row.resident, item=row.item,
                          quantity=row.quantity, points=row.points, status=row.status, redeemed_at=row.redeemed_at,
                          ledger_seq=row.ledger_seq, refund_seq=row.refund_seq, created_by=row.created_by,
                          cancelled_by=row.cancelled_by, cancel_reason=row.cancel_reason, created_at=row.created_at,
                          cancelled_at=row.cancelled_at, **extra)


def put_items(service: Service, community: str, items: list[ItemCreate]) -> list[ItemRead]:
    """Add items or update known ones (title, price, stock, minimum tier, active)."""
    with service.db.writing() as session:
        require_community(session, community)
        _check_items(items, standard_on(service, session, community, today()))
        out = []
        for data in items:
            row = session.execute(select(ShopItem).where(ShopItem.community == community, ShopItem.id == data.id)
                                  .with_for_update()).scalar_one_or_none()
            if row is None:
                row = ShopItem(community=community, id=data.id, created_at=utcnow())
                session.add(row)
            for key, value in data.model_dump().items():
                setattr(row, key, value)
            out.append(row)
        session.flush()
        return [_read_item(r) for r in out]


def _check_items(items: list[ItemCreate], ruleset: Ruleset | None) -> None:
    """Refuse a list naming an item twice with other details, or a lowest tier the standard in force does not have.

    Found by attack: an id given twice kept the last silently, and ``min_tier: a`` (not ``A``)
    was stored and then let every tier redeem.
    """
    tiers = [tier.id for tier in ruleset.tiers] if ruleset is not None and ruleset.tiers else []
    problems: list[Problem] = []
    first: dict[str, int] = {}
    for position, item in enumerate(items):
        seen = first.setdefault(item.id, position)
        if items[seen] != item:
            problems.append(Problem(code=ServiceCode.REQUEST_INVALID, path=f"[{position}].id",
                                    says="item_given_twice", params={"item": item.id, "at": f"[{seen}]"},
                                    message=f"item '{item.id}' is given twice ([{seen}] too) with other details: "
                                            "keep one"))
        if item.min_tier is not None and item.min_tier not in tiers:
            problems.append(Problem(code=ServiceCode.REQUEST_INVALID, path=f"[{position}].min_tier",
                                    says="unknown_tier" if tiers else "no_tiers",
                                    params={"tier": item.min_tier, "tiers": "、".join(tiers)},
                                    message=f"'{item.min_tier}' is not a tier of the standard in force"
                                            + (f"; write one of {', '.join(tiers)}" if tiers else " (it has none)")))
    if problems:
        raise ServiceError(ServiceCode.REQUEST_INVALID, Message.of("request_shape"), problems)


def _redemption(session: Session, community: str, redemption_id: str, *, column: Any = Redemption) -> Any:
    return one_or_not_found(session, select(column).where(Redemption.community == community,
                                                          Redemption.id == redemption_id),
                            ServiceCode.REDEMPTION_NOT_FOUND, Message.of("no_redemption", redemption=redemption_id))


def list_items(service: Service, community: str, *, active_only: bool = False) -> list[ItemRead]:
    """The catalogue, by id."""
    with service.db.reading() as session:
        require_community(session, community)
        query = select(ShopItem).where(ShopItem.community == community)
        if active_only:
            query = query.where(ShopItem.active.is_(True))
        return [_read_item(r) for r in session.scalars(query.order_by(ShopItem.id))]


def _tier_allows(service: Service, session: Session, community: str, resident: str, min_tier: str,
                 moment: dt.datetime) -> tuple[bool, Message]:
    """Whether the resident's standing at ``moment`` reaches ``min_tier``: its index, and no veto capping it below.

    A tier the standard of that day does not have (it changed since the item was put up) lets nobody through.
    """
    ruleset = standard_on(service, session, community, moment.astimezone(SHANGHAI).date())
    tier = next((t for t in ruleset.tiers or [] if t.id == min_tier), None) if ruleset is not None else None
    if ruleset is None or tier is None:
        return False, Message.of("tier_unknown", tier=min_tier)
    if tier.index_from is None:
        return True, Message.of("nothing")
    index_change = resident_totals(session, community, resident, until=moment).index
    held = standing(ruleset, index_change,
                    vetoes_by_resident(session, community, ruleset, moment, resident=resident).get(resident, ()))
    if held.capped_by is not None and held.tier is not None and \
            tier_rank(ruleset, held.tier) > tier_rank(ruleset, min_tier):
        return False, Message.of("tier_capped", tier=min_tier, held=held.tier, by=held.capped_by)
    return held.index >= tier.index_from, Message.of("tier_index", tier=min_tier, needed=tier.index_from,
                                                     index=held.index)


def _seen(session: Session, community: str, data: RedemptionCreate) -> RedemptionRead | None:
    """The redemption this id already made, if the request is the same one again; another use is a conflict."""
    row = session.scalar(select(Redemption).where(Redemption.community == community, Redemption.id == data.id))
    if row is None:
        return None
    if (row.resident, row.item, row.quantity) != (data.resident, data.item, data.quantity) or \
            (data.redeemed_at is not None and row.redeemed_at != data.redeemed_at):
        raise ServiceError.at(ServiceCode.REDEMPTION_ID_CONFLICT, "id", "redemption_id_taken", redemption=data.id)
    return _stored_redemptions(session, [row], duplicate=True)[0]


def redeem(service: Service, community: str, data: RedemptionCreate, *, actor: str = "system") -> RedemptionRead:
    """Spend points on an item: refused (nothing stored) when points, stock or tier fall short.

    The same id again returns the first redemption (``duplicate``) and spends nothing, also
    when the requests race. A redemption dated in the past (``redeemed_at``) must be covered
    by the points held then and at every moment since, and reads the tier of that day.
    """
    moment = data.redeemed_at or utcnow()
    if moment > latest_accepted(service.settings.future_tolerance_minutes):
        raise ServiceError.at(ServiceCode.REDEMPTION_DATE_INVALID, "redeemed_at", "redeemed_later",
                              when=f"{moment.astimezone(SHANGHAI):%Y-%m-%d %H:%M}")
    try:
        with service.db.writing() as session:
            resident = lock_resident(service, session, community, data.resident)
            ruleset = standard_on(service, session, community, moment.astimezone(SHANGHAI).date())
            holder = account_of(ruleset, resident)  # a household's account: its members redeem from it
            service.db.lock_residents(session, community, [holder])
            seen = _seen(session, community, data)
            if seen is not None:
                return seen
            return _spend(service, session, community, data, moment, actor, holder,
                          ruleset.accounts.spending_floor if ruleset and ruleset.accounts else Decimal(0))
    except IntegrityError:  # the same id raced in for another resident's redemption
        with service.db.reading() as session:
            seen = _seen(session, community, data)
        if seen is None:
            raise
        return seen


def _spend(service: Service, session: Session, community: str, data: RedemptionCreate, moment: dt.datetime,
           actor: str, holder: str, floor: Decimal) -> RedemptionRead:
    """The redemption from ``holder``'s account (the resident's, or their household's), above its spending floor."""
    item = one_or_not_found(session, select(ShopItem).where(ShopItem.community == community,
                                                            ShopItem.id == data.item),
                            ServiceCode.ITEM_NOT_FOUND, Message.of("no_item", community=community, item=data.item),
                            for_update=True)
    if not item.active:
        raise ServiceError(ServiceCode.ITEM_INACTIVE, Message.of("item_inactive", item=item.title))
    if item.stock < data.quantity:
        raise ServiceError(ServiceCode.OUT_OF_STOCK,
                           Message.of("out_of_stock", item=item.title, stock=item.stock, asked=data.quantity),
                           extra={"stock": item.stock})
    append_all(session, due_expiries(session, community, holder, moment))  # points past their date are not spent
    if data.redeemed_at is not None:
        _check_date(session, community, holder, moment)
    append_all(session, settle_resets(service, session, community, {holder: None}))  # 清零 due, not yet closed
    if item.min_tier:
        allowed, why = _tier_allows(service, session, community, holder, item.min_tier, moment)
        if not allowed:
            raise ServiceError(ServiceCode.TIER_TOO_LOW,
                               Message.of("tier_too_low", item=item.title, tier=item.min_tier, why=why))
    cost = item.price * data.quantity
    points = lowest_points_from(session, community, holder, moment) - floor
    if points < cost:
        nothing = Message.of("nothing")
        raise ServiceError(ServiceCode.INSUFFICIENT_POINTS, Message.of(
            "insufficient_points", item=item.title, cost=cost, points=points,
            whose=Message.of("whose_resident") if holder == data.resident else
            Message.of("whose_household", household=holder),
            floor=Message.of("above_floor", floor=floor) if floor else nothing,
            since=Message.of("since_then") if data.redeemed_at else nothing), extra={"points": points, "cost": cost})
    entry = append(session, redemption_row(
        community, holder, redemption=data.id, quantity=data.quantity, cost=cost, actor=actor, moment=moment,
        item={"id": item.id, "title": item.title, "kind": item.kind, "price": item.price},
        member=data.resident if holder != data.resident else None))
    item.stock -= data.quantity
    row = Redemption(community=community, id=data.id, resident=data.resident, item=item.id, quantity=data.quantity,
                     points=cost, status="completed", ledger_seq=entry.seq, created_by=actor, redeemed_at=moment,
                     created_at=utcnow())
    session.add(row)
    session.flush()
    return _read_redemption(row, item_title=item.title, points_after=points - cost)


def _check_date(session: Session, community: str, resident: str, moment: dt.datetime) -> None:
    """A dated redemption cannot precede the resident's accounts, nor the points' last expiry (already settled)."""
    first, expired = account_span(session, community, resident)
    why = "redeemed_before_accounts" if first is None or moment < first else \
        "redeemed_before_expiry" if expired is not None and moment < expired else None
    if why:
        raise ServiceError.at(ServiceCode.REDEMPTION_DATE_INVALID, "redeemed_at", why)


def cancel_redemption(service: Service, community: str, redemption_id: str, *, reason: str | None = None,
                      actor: str = "system") -> RedemptionRead:
    """Refund and restock a redemption; a second cancellation is refused and changes nothing."""
    with service.db.reading() as session:
        require_community(session, community)
        resident = _redemption(session, community, redemption_id, column=Redemption.resident)
    with service.db.writing() as session:
        lock_resident(service, session, community, resident)
        row = session.execute(select(Redemption).where(Redemption.community == community,
                                                       Redemption.id == redemption_id).with_for_update()).scalar_one()
        if row.status == "cancelled":
            raise ServiceError(ServiceCode.REDEMPTION_CANCELLED, Message.of("redemption_cancelled",
                                                                            redemption=redemption_id))
        spent = session.get(LedgerEntry, row.ledger_seq)  # the account it was spent from: given back there
        holder = spent.resident if spent is not None else resident
        service.db.lock_residents(session, community, [holder])
        item = session.execute(select(ShopItem).where(ShopItem.community == community, ShopItem.id == row.item)
                               .with_for_update()).scalar_one()
        entry = append(session, refund_row(community, holder, redemption=row.id, title=item.title,
                                           quantity=row.quantity, points=row.points, refunds_seq=row.ledger_seq,
                                           reason=reason, actor=actor))
        append_all(session, due_expiries(session, community, holder, utcnow()))  # what it spent may have expired
        item.stock += row.quantity
        row.status, row.refund_seq = "cancelled", entry.seq
        row.cancelled_by, row.cancel_reason, row.cancelled_at = actor, reason, utcnow()
        session.flush()
        return _read_redemption(row, item_title=item.title)


def list_redemptions(service: Service, community: str, *, resident: str | None = None, offset: int = 0,
                     limit: int = 100) -> list[RedemptionRead]:
    """Redemptions, newest first, optionally of one resident."""
    with service.db.reading() as session:
        if resident:
            get_resident(session, community, resident)
        else:
            require_community(session, community)
        rows = community_rows(session, Redemption, community, resident=resident or None,
                              order_by=(Redemption.seq.desc(),), offset=offset, limit=limit)
        return _stored_redemptions(session, list(rows))


def get_redemption(service: Service, community: str, redemption_id: str) -> RedemptionRead:
    """One redemption."""
    with service.db.reading() as session:
        return _stored_redemptions(session, [_redemption(session, community, redemption_id)])[0]
