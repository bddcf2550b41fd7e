"""The credit supermarket (信用超市): items, redemptions and cancellations.

A redemption debits ``points`` only (never the index) and takes stock in one write
transaction: the resident is locked (``_entries.lock_resident``) and the item row is read
``FOR UPDATE`` on PostgreSQL, so concurrent redemptions can neither overdraw points nor
sell stock that is not there. A cancellation refunds and restocks exactly once.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinzhi.clock import end_of, today, utcnow
from xinzhi.communities.service import get_resident, require_community
from xinzhi.db.queries import community_rows, one_or_not_found
from xinzhi.db.tables import Redemption, ShopItem
from xinzhi.errors import ServiceCode, ServiceError
from xinzhi.ledger.balances import resident_totals, standing
from xinzhi.ledger.entries import append, lock_resident, redemption_row, refund_row
from xinzhi.registry.service import standard_on
from xinzhi.service import Service
from xinzhi.shop.models import ItemCreate, ItemRead, RedemptionCreate, RedemptionRead


def _read_item(row: ShopItem) -> ItemRead:
    return ItemRead(community=row.community, id=row.id, kind=row.kind, title=row.title,
                    description=row.description, price=row.price, stock=row.stock, min_tier=row.min_tier,
                    active=row.active)


def _read_redemption(row: Redemption, **extra) -> RedemptionRead:
    return RedemptionRead(community=row.community, id=row.id, resident=row.resident, item=row.item,
                          quantity=row.quantity, points=row.points, status=row.status,
                          ledger_seq=row.ledger_seq, refund_seq=row.refund_seq, created_by=row.created_by,
                          cancelled_by=row.cancelled_by, cancel_reason=row.cancel_reason, created_at=row.created_at,
                          cancelled_at=row.cancelled_at, **extra)


def put_items(service: Service, community: str, items: list[ItemCreate]) -> list[ItemRead]:
    """Add items or update known ones (title, price, stock, minimum tier, active)."""
    with service.db.writing() as session:
        require_community(session, community)
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


def _redemption(session: Session, community: str, redemption_id: str, *, column: Any = Redemption) -> Any:
    return one_or_not_found(session, select(column).where(Redemption.community == community,
                                                          Redemption.id == redemption_id),
                            ServiceCode.REDEMPTION_NOT_FOUND, f"there is no redemption '{redemption_id}'")


def list_items(service: Service, community: str, *, active_only: bool = False) -> list[ItemRead]:
    """The catalogue, by id."""
    with service.db.reading() as session:
        require_community(session, community)
        query = select(ShopItem).where(ShopItem.community == community)
        if active_only:
            query = query.where(ShopItem.active.is_(True))
        return [_read_item(r) for r in session.scalars(query.order_by(ShopItem.id))]


def _tier_allows(service: Service, session: Session, community: str, min_tier: str,
                 index_change: int) -> tuple[bool, str]:
    ruleset = standard_on(service, session, community, today())
    if ruleset is None or not ruleset.tiers:
        return True, ""
    tier = next((t for t in ruleset.tiers if t.id == min_tier), None)
    if tier is None or tier.index_from is None:
        return True, ""
    index = standing(ruleset, index_change).index
    return index >= tier.index_from, f"tier {min_tier} needs an index of {tier.index_from}; the resident has {index}"


def redeem(service: Service, community: str, data: RedemptionCreate, *, actor: str = "system") -> RedemptionRead:
    """Spend points on an item: refused (nothing stored) when points, stock or tier fall short."""
    with service.db.writing() as session:
        lock_resident(service, session, community, data.resident)
        item = one_or_not_found(session, select(ShopItem).where(ShopItem.community == community,
                                                                ShopItem.id == data.item),
                                ServiceCode.ITEM_NOT_FOUND, f"the shop of '{community}' has no item '{data.item}'",
                                for_update=True)
        if not item.active:
            raise ServiceError(ServiceCode.ITEM_INACTIVE, f"'{item.title}' is not offered at the moment")
        if item.stock < data.quantity:
            raise ServiceError(ServiceCode.OUT_OF_STOCK, f"'{item.title}': {item.stock} left, {data.quantity} asked",
                               extra={"stock": item.stock})
        totals = resident_totals(session, community, data.resident, until=end_of(today()))  # as the score page
        index_change, points = totals.index, totals.points
        if item.min_tier:
            allowed, why = _tier_allows(service, session, community, item.min_tier, index_change)
            if not allowed:
                raise ServiceError(ServiceCode.TIER_TOO_LOW,
                                   f"'{item.title}' is for tier {item.min_tier} and above: {why}")
        cost = item.price * data.quantity
        if points < cost:
            raise ServiceError(ServiceCode.INSUFFICIENT_POINTS,
                               f"'{item.title}' costs {cost} points; the resident has {points}",
                               extra={"points": points, "cost": cost})
        redemption_id = "rd-" + uuid.uuid4().hex[:12]
        entry = append(session, redemption_row(
            community, data.resident, redemption=redemption_id, quantity=data.quantity, cost=cost, actor=actor,
            item={"id": item.id, "title": item.title, "kind": item.kind, "price": item.price}))
        item.stock -= data.quantity
        row = Redemption(community=community, id=redemption_id, resident=data.resident, item=item.id,
                         quantity=data.quantity, points=cost, status="completed", ledger_seq=entry.seq,
                         created_by=actor, created_at=utcnow())
        session.add(row)
        session.flush()
        return _read_redemption(row, item_title=item.title, points_after=points - cost)


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
            raise ServiceError(ServiceCode.REDEMPTION_CANCELLED,
                               f"redemption '{redemption_id}' was already cancelled and refunded")
        item = session.execute(select(ShopItem).where(ShopItem.community == community, ShopItem.id == row.item)
                               .with_for_update()).scalar_one()
        entry = append(session, refund_row(community, resident, redemption=row.id, title=item.title,
                                           quantity=row.quantity, points=row.points, refunds_seq=row.ledger_seq,
                                           reason=reason, actor=actor))
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
        return [_read_redemption(r) for r in rows]


def get_redemption(service: Service, community: str, redemption_id: str) -> RedemptionRead:
    """One redemption."""
    with service.db.reading() as session:
        row = _redemption(session, community, redemption_id)
        return _read_redemption(row)
