"""Tables of the community's cycle: shop items and redemptions, council cases, appeals,
committee review and objections, API tokens and the audit trail.

Same ``Base`` as ``store.models``; every row belongs to one community (tokens may span
all). Money-like state (points) lives only in the ledger: these tables hold the business
objects and point at the ledger entries they wrote (``*_seq``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKeyConstraint, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base, UTCDateTime, utcnow

SEQ = BigInteger().with_variant(Integer, "sqlite")
ITEM_KINDS = ("goods", "course", "service")
CASE_KINDS = ("neighbour_dispute", "parking_space", "water_leak", "noise", "other")
MEMBER_ROLES = ("staff", "property_company", "alley_steward", "resident_representative")
TOKEN_ROLES = ("committee", "staff", "resident")


class ShopItem(Base):
    """A good, a course (stock = seats) or a service of the credit supermarket."""

    __tablename__ = "shop_items"
    __table_args__ = (ForeignKeyConstraint(["community"], ["communities.id"]),)

    community: Mapped[str] = mapped_column(String(64), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    price: Mapped[int] = mapped_column(Integer)
    stock: Mapped[int] = mapped_column(Integer)
    min_tier: Mapped[str | None] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Redemption(Base):
    """Points spent on an item; cancelled at most once (refund + restock)."""

    __tablename__ = "redemptions"
    __table_args__ = (
        ForeignKeyConstraint(["community"], ["communities.id"]),
        UniqueConstraint("community", "id", name="uq_redemptions_id"),
        Index("ix_redemptions_resident", "community", "resident"),
    )

    seq: Mapped[int] = mapped_column(SEQ, primary_key=True, autoincrement=True)
    community: Mapped[str] = mapped_column(String(64))
    id: Mapped[str] = mapped_column(String(64))
    resident: Mapped[str] = mapped_column(String(128))
    item: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # completed | cancelled
    ledger_seq: Mapped[int] = mapped_column(SEQ)
    refund_seq: Mapped[int | None] = mapped_column(SEQ)
    created_by: Mapped[str] = mapped_column(String(64))
    cancelled_by: Mapped[str | None] = mapped_column(String(64))
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class CouncilCase(Base):
    """A problem brought to the integrity council: reported, convened, closed with satisfaction."""

    __tablename__ = "council_cases"
    __table_args__ = (
        ForeignKeyConstraint(["community"], ["communities.id"]),
        UniqueConstraint("community", "id", name="uq_council_cases_id"),
    )

    seq: Mapped[int] = mapped_column(SEQ, primary_key=True, autoincrement=True)
    community: Mapped[str] = mapped_column(String(64))
    id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    zone: Mapped[str] = mapped_column(String(16))
    building: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text)
    parties: Mapped[list[Any]] = mapped_column(JSON)
    reported_by: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))  # reported | convened | closed
    members: Mapped[list[Any]] = mapped_column(JSON, default=list)
    outcome: Mapped[str | None] = mapped_column(Text)
    satisfaction: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    fact_ids: Mapped[list[Any] | None] = mapped_column(JSON)
    reported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    convened_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(64))
    closed_by: Mapped[str | None] = mapped_column(String(64))


class Appeal(Base):
    """A committee decision on the ledger: reverse or correct an entry, or a manual adjustment."""

    __tablename__ = "appeals"
    __table_args__ = (
        ForeignKeyConstraint(["community"], ["communities.id"]),
        Index("ix_appeals_target", "community", "target_seq"),
    )

    seq: Mapped[int] = mapped_column(SEQ, primary_key=True, autoincrement=True)
    community: Mapped[str] = mapped_column(String(64))
    resident: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(16))  # reverse | correct | adjust
    target_seq: Mapped[int | None] = mapped_column(SEQ)
    reason: Mapped[str] = mapped_column(Text)
    ledger_seq: Mapped[int] = mapped_column(SEQ)
    decided_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReviewItem(Base):
    """An award of a rule marked ``review: committee``: held until the committee decides."""

    __tablename__ = "review_items"
    __table_args__ = (
        ForeignKeyConstraint(["community"], ["communities.id"]),
        UniqueConstraint("community", "fact_id", "rule_id", name="uq_review_items_award"),
        Index("ix_review_items_status", "community", "status"),
    )

    seq: Mapped[int] = mapped_column(SEQ, primary_key=True, autoincrement=True)
    community: Mapped[str] = mapped_column(String(64))
    resident: Mapped[str] = mapped_column(String(128))
    fact_id: Mapped[str] = mapped_column(String(128))
    rule_id: Mapped[str] = mapped_column(String(64))
    rule_title: Mapped[str] = mapped_column(String(300))
    amount: Mapped[int] = mapped_column(Integer)
    index_delta: Mapped[int] = mapped_column(Integer)
    points_delta: Mapped[int] = mapped_column(Integer)
    publicity_days: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # pending | approved | rejected | reversed
    release_seq: Mapped[int | None] = mapped_column(SEQ)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    publicity_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Objection(Base):
    """A resident's objection to an award on the public board, resolved by the committee."""

    __tablename__ = "objections"
    __table_args__ = (ForeignKeyConstraint(["community"], ["communities.id"]),)

    seq: Mapped[int] = mapped_column(SEQ, primary_key=True, autoincrement=True)
    community: Mapped[str] = mapped_column(String(64))
    notice: Mapped[int] = mapped_column(SEQ)  # ReviewItem.seq
    filed_by: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # open | upheld | dismissed
    resolution: Mapped[str | None] = mapped_column(Text)
    ledger_seq: Mapped[int | None] = mapped_column(SEQ)
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class ApiToken(Base):
    """A bearer token: only its SHA-256 is stored; ``id`` is its public handle in the audit trail."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    roles: Mapped[list[Any]] = mapped_column(JSON)
    community: Mapped[str | None] = mapped_column(String(64))
    resident: Mapped[str | None] = mapped_column(String(128))
    label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class AuditRecord(Base):
    """Who wrote what: one row per write request (and per CLI write)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_community", "community", "seq"),)

    seq: Mapped[int] = mapped_column(SEQ, primary_key=True, autoincrement=True)
    community: Mapped[str | None] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(64))
    roles: Mapped[list[Any]] = mapped_column(JSON)
    action: Mapped[str] = mapped_column(String(300))
    status: Mapped[int] = mapped_column(Integer)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
