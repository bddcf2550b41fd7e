"""The tables: communities, residents, facts, ledger entries (append-only) and rulesets.

Every row belongs to one community, and every query filters by it. Times are stored as
naive UTC on both backends (``UTCDateTime``) so that SQLite and PostgreSQL compare them
the same way; they come back as aware UTC datetimes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (JSON, BigInteger, Date, DateTime, ForeignKeyConstraint, Index, Integer, String,
                        Text, UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

LEDGER_KINDS = ("award", "deduction", "redemption", "refund", "adjustment", "expiry")
RULESET_STATUSES = ("draft", "published")
ZONES = ("north", "south")
ROLES = ("party_member", "alley_steward", "grid_worker", "council_member", "resident_representative",
         "owners_committee_member", "volunteer")


class UTCDateTime(TypeDecorator):
    """An aware datetime stored as naive UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        return None if value is None else value.replace(tzinfo=dt.timezone.utc)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Community(Base):
    __tablename__ = "communities"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Resident(Base):
    __tablename__ = "residents"
    __table_args__ = (
        ForeignKeyConstraint(["community"], ["communities.id"]),
        Index("ix_residents_household", "community", "household"),
    )

    community: Mapped[str] = mapped_column(String(64), primary_key=True)
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    zone: Mapped[str] = mapped_column(String(16))
    household: Mapped[str | None] = mapped_column(String(128))
    roles: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Fact(Base):
    """A fact as received (``received``) and as validated (``fields``), scored once."""

    __tablename__ = "facts"
    __table_args__ = (
        UniqueConstraint("community", "fact_id", name="uq_facts_community_fact"),
        ForeignKeyConstraint(["community"], ["communities.id"]),
        Index("ix_facts_resident", "community", "resident"),
    )

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                     autoincrement=True)
    community: Mapped[str] = mapped_column(String(64))
    fact_id: Mapped[str] = mapped_column(String(128))
    type: Mapped[str] = mapped_column(String(64))
    resident: Mapped[str] = mapped_column(String(128))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON)
    received: Mapped[dict[str, Any]] = mapped_column(JSON)
    ruleset: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class LedgerEntry(Base):
    """One movement of a resident's accounts; never updated, never deleted."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        ForeignKeyConstraint(["community"], ["communities.id"]),
        Index("ix_ledger_resident_time", "community", "resident", "occurred_at"),
        Index("ix_ledger_fact", "community", "fact_id"),
        Index("ix_ledger_month", "community", "month"),
    )

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                     autoincrement=True)
    community: Mapped[str] = mapped_column(String(64))
    resident: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(Integer)
    raw_amount: Mapped[int] = mapped_column(Integer)
    index_delta: Mapped[int] = mapped_column(Integer)
    points_delta: Mapped[int] = mapped_column(Integer)
    accounts: Mapped[str] = mapped_column(String(32))
    category: Mapped[str | None] = mapped_column(String(64))
    rule_id: Mapped[str | None] = mapped_column(String(64))
    ruleset: Mapped[str | None] = mapped_column(String(80))
    fact_id: Mapped[str | None] = mapped_column(String(128))
    limited_by: Mapped[str | None] = mapped_column(String(160))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    month: Mapped[str] = mapped_column(String(7))
    points_expire_on: Mapped[dt.date | None] = mapped_column(Date)
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class RulesetVersion(Base):
    """Every uploaded version's YAML text; a published version never changes."""

    __tablename__ = "rulesets"
    __table_args__ = (
        UniqueConstraint("community", "ruleset_id", "version", name="uq_rulesets_version"),
        ForeignKeyConstraint(["community"], ["communities.id"]),
    )

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                     autoincrement=True)
    community: Mapped[str] = mapped_column(String(64))
    ruleset_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    extends: Mapped[str | None] = mapped_column(String(80))
    effective_from: Mapped[dt.date] = mapped_column(Date)
    effective_to: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    yaml_text: Mapped[str] = mapped_column(Text)
    source_name: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    @property
    def ref(self) -> str:
        return f"{self.ruleset_id}@{self.version}"
