"""Every table of the service, in one module.

Communities and residents, facts, the append-only ledger, ruleset versions, shop items and
redemptions, council cases, appeals, review items and objections, API tokens and the audit
trail.

Every row belongs to one community (tokens may span all), and every query filters by it.
Points live only in the ledger: the other tables hold the business objects and point at the
ledger entries they wrote (``*_seq``). Times are stored as
naive UTC on both backends (``UTCDateTime``) so that SQLite and PostgreSQL compare them
the same way; they come back as aware UTC datetimes.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    case,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from xinzhi.clock import utcnow
from xinzhi.engine.amounts import MAX_DECIMALS

#: What the moment and amount columns' bind processors made of the last few thousand values (of each
#: type, so that a float equal to a remembered amount is still refused), shared by every column: a
#: batch binds the same values again and again — a fact's moment for its row and each of its
#: entries, one ``created_at`` for every row, a few amounts for thousands of entries and sums.
#: Each took 0.6–1.9 µs to make anew, 0.1 to look up.
_remembered = lru_cache(maxsize=8192, typed=True)


SEQ = BigInteger().with_variant(Integer, "sqlite")  # 64-bit on PostgreSQL; SQLite's rowid for autoincrement


class UTCDateTime(TypeDecorator):
    """An aware datetime stored as naive UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        """Stored as naive UTC; a naive datetime is refused rather than guessed at."""
        return _naive_utc(value)

    def bind_processor(self, dialect: Any) -> Any:
        """On SQLite, the text its ``DATETIME`` stores (``2024-01-01 00:00:00.000000``) made in one step.

        SQLAlchemy's formats seven fields through a dict, for each of the thousands of moments a
        batch writes (4% of its CPU); ``tests/db/test_database.py`` holds the two to the same text.
        """
        return _sqlite_text if dialect.name == "sqlite" else super().bind_processor(dialect)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        """Stored naive UTC comes back aware."""
        return None if value is None else value.replace(tzinfo=dt.UTC)


class Points(TypeDecorator):
    """An exact amount (``engine.amounts``) stored as a whole number of hundredths of a point.

    Whole numbers add up exactly in SQL on both backends, where SQLite's only decimal would
    be a binary float; an amount finer than a hundredth is refused, never rounded.
    """

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | int | None, dialect: Any) -> int | None:
        """Hundredths of a point; a float is refused (it is not the amount anyone wrote)."""
        return _hundredths(value)

    def bind_processor(self, dialect: Any) -> Any:
        """``_hundredths`` itself: the integer column needs nothing more."""
        return _hundredths

    def process_result_value(self, value: int | None, dialect: Any) -> Decimal | None:
        """The exact amount, without trailing zeros: 102000 is 1020, 10 is 0.1."""
        return None if value is None else Decimal(value) / _SCALE


_SCALE = 10 ** MAX_DECIMALS


@_remembered
def _hundredths(value: Decimal | int | None) -> int | None:
    if value is None:
        return None
    if type(value) is int:  # most sums and zeros: exact as they are
        return value * _SCALE
    if isinstance(value, float):
        raise TypeError(f"amount {value!r} is a float; amounts are Decimal")
    scaled = (value if type(value) is Decimal else Decimal(value)) * _SCALE
    if scaled != scaled.to_integral_value():
        raise ValueError(f"amount {value} is finer than 1/{_SCALE} of a point")
    return int(scaled)


def _naive_utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return value.astimezone(dt.UTC).replace(tzinfo=None)


@_remembered
def _sqlite_text(value: dt.datetime | None) -> str | None:
    naive = _naive_utc(value)
    return None if naive is None else naive.isoformat(" ", "microseconds")


class Base(DeclarativeBase):
    """The declarative base; ``dict`` and ``list`` annotations map to JSON columns."""

    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


def table_of(entity: type[Base]) -> Table:
    """The ``Table`` a class maps, for Core's many-row ``insert`` (``__table__`` is typed as any FROM clause)."""
    table = entity.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{entity.__name__} is not mapped to a table")
    return table


class Community(Base):
    """A community: the scope every domain row belongs to and every query filters by."""

    __tablename__ = "communities"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    zones: Mapped[list[Any] | None] = mapped_column(JSON)  # [{id, title}]; None: not declared, any id goes
    roles: Mapped[list[Any] | None] = mapped_column(JSON)
    bodies: Mapped[list[Any] | None] = mapped_column(JSON)  # [{id, title, required}]: who adopts a standard
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Resident(Base):
    """A resident of a community, in a zone and perhaps a household, with their community roles."""

    __tablename__ = "residents"
    __table_args__ = (
        ForeignKeyConstraint(["community"], ["communities.id"]),
        Index("ix_residents_household", "community", "household"),
    )

    community: Mapped[str] = mapped_column(String(64), primary_key=True)
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    zone: Mapped[str] = mapped_column(String(64))
    household: Mapped[str | None] = mapped_column(String(128))
    roles: Mapped[list[Any]] = mapped_column(JSON, default=list)
    moved_in: Mapped[dt.date | None] = mapped_column(Date)  # period rules count no period that began before it
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Fact(Base):
    """A fact as received (``received``) and as validated (``fields``), scored once."""

    __tablename__ = "facts"
    __table_args__ = (
        UniqueConstraint("community", "fact_id", name="uq_facts_community_fact"),
        ForeignKeyConstraint(["community"], ["communities.id"]),
        Index("ix_facts_resident", "community", "resident", "occurred_at"),
        Index("ix_facts_time", "community", "occurred_at"),
    )

    seq: Mapped[int] = mapped_column(SEQ, primary_key=True, autoincrement=True)
    community: Mapped[str] = mapped_column(String(64))
    fact_id: Mapped[str] = mapped_column(String(128))
    type: Mapped[str] = mapped_column(String(64))
    resident: Mapped[str] = mapped_column(String(128))  # the account holder: the resident, or the household
    member: Mapped[str | None] = mapped_column(String(128))  # the resident named, where households hold accounts
    household: Mapped[str | None] = mapped_column(String(128))  # the household named, if any
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON)
    received: Mapped[dict[str, Any]] = mapped_column(JSON)
    ruleset: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


#: The entries ``ix_ledger_expiry`` holds, said as a literal (a partial index serves only a query that says it).
EXPIRY = text("kind = 'expiry'")


class LedgerEntry(Base):
    """One movement of an account (a resident's, or a household's); never updated, never deleted."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        ForeignKeyConstraint(["community"], ["communities.id"]),
        Index("ix_ledger_resident_time", "community", "resident", "occurred_at"),
        Index("ix_ledger_fact", "community", "fact_id"),
        Index("ix_ledger_month", "community", "month"),
        # Only expiry entries (a few per resident and year): scoring finds a resident's latest without
        # reading its awards. A planner uses it for a query that says ``EXPIRY`` itself, not a parameter.
        Index("ix_ledger_expiry", "community", "resident", "points_expire_on", sqlite_where=EXPIRY,
              postgresql_where=EXPIRY),
    )

    seq: Mapped[int] = mapped_column(SEQ, primary_key=True, autoincrement=True)
    community: Mapped[str] = mapped_column(String(64))
    resident: Mapped[str] = mapped_column(String(128))  # the account holder: the resident, or the household
    member: Mapped[str | None] = mapped_column(String(128))  # where households hold accounts: who earned it
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal] = mapped_column(Points)
    raw_amount: Mapped[Decimal] = mapped_column(Points)
    index_delta: Mapped[Decimal] = mapped_column(Points)
    points_delta: Mapped[Decimal] = mapped_column(Points)
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


class RunningSums:
    """The sums kept of a group of ledger entries; ``ledger.entries`` adds each entry to them as it is written."""

    index_total: Mapped[Decimal] = mapped_column(Points)
    points_total: Mapped[Decimal] = mapped_column(Points)
    awarded: Mapped[Decimal] = mapped_column(Points)
    deducted: Mapped[Decimal] = mapped_column(Points)
    entries: Mapped[int] = mapped_column(BigInteger)


#: What each of ``RunningSums``' columns sums, in their order, for a group of ledger entries: the one
#: statement of that rule, read by the running sums as entries are written and by balances summed from the ledger.
RUNNING_SUMS = {
    "index_total": func.coalesce(func.sum(LedgerEntry.index_delta), 0),
    "points_total": func.coalesce(func.sum(LedgerEntry.points_delta), 0),
    "awarded": func.coalesce(func.sum(case((LedgerEntry.kind == "award", LedgerEntry.amount), else_=0)), 0),
    "deducted": func.coalesce(func.sum(case((LedgerEntry.kind == "deduction", LedgerEntry.amount), else_=0)), 0),
    "entries": func.count(),
}


class AccountTotal(RunningSums, Base):
    """A resident's running sums of the ledger, kept in the transaction that appends each entry.

    The public board and the summary read these instead of summing the whole ledger on
    every call; ``tests/ledger/test_account_totals.py`` keeps them equal to the ledger's sums.
    """

    __tablename__ = "account_totals"
    __table_args__ = (ForeignKeyConstraint(["community"], ["communities.id"]),)

    community: Mapped[str] = mapped_column(String(64), primary_key=True)
    resident: Mapped[str] = mapped_column(String(128), primary_key=True)


class MonthTotal(RunningSums, Base):
    """A community's running sums of the ledger per month and category (``""``: no category).

    The summary reads closed months from here and sums only the part of the month it stands
    in; the sums are added at commit, in key order (``xinzhi.db.queries.at_commit``, ``add_groups``).
    """

    __tablename__ = "month_totals"
    __table_args__ = (ForeignKeyConstraint(["community"], ["communities.id"]),)

    community: Mapped[str] = mapped_column(String(64), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    category: Mapped[str] = mapped_column(String(64), primary_key=True)


class MonthFacts(Base):
    """How many facts a community stored per month (Asia/Shanghai) of when they happened."""

    __tablename__ = "month_facts"
    __table_args__ = (ForeignKeyConstraint(["community"], ["communities.id"]),)

    community: Mapped[str] = mapped_column(String(64), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    facts: Mapped[int] = mapped_column(BigInteger)


class ResidentFacts(Base):
    """How many facts each account holder has stored, counted in the transaction that stores them.

    Scoring reads it under the holder's lock: a count it left behind says no other request or
    process scored for the holder since (``xinzhi.scoring.histories``).
    """

    __tablename__ = "resident_facts"
    __table_args__ = (ForeignKeyConstraint(["community"], ["communities.id"]),)

    community: Mapped[str] = mapped_column(String(64), primary_key=True)
    resident: Mapped[str] = mapped_column(String(128), primary_key=True)
    facts: Mapped[int] = mapped_column(BigInteger)


class RulesetVersion(Base):
    """Every uploaded version's YAML text; a published version never changes."""

    __tablename__ = "rulesets"
    __table_args__ = (
        UniqueConstraint("community", "ruleset_id", "version", name="uq_rulesets_version"),
        ForeignKeyConstraint(["community"], ["communities.id"]),
    )

    seq: Mapped[int] = mapped_column(SEQ, primary_key=True, autoincrement=True)
    community: Mapped[str] = mapped_column(String(64))
    ruleset_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    extends: Mapped[str | None] = mapped_column(String(80))
    effective_from: Mapped[dt.date] = mapped_column(Date)
    effective_to: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    yaml_text: Mapped[str] = mapped_column(Text)
    # ref → [text, name] of each ``extends`` parent, frozen when the version is published
    parents: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    source_name: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    @property
    def ref(self) -> str:
        """``id@version``: the name a version goes by in ledger entries and messages."""
        return f"{self.ruleset_id}@{self.version}"


class CatalogueEntry(Base):
    """A published standard shared to the server's catalogue: a frozen copy other communities extend.

    The text and its whole ``extends`` chain are copied when it is shared (or imported from a
    bundle), so what a child pinned to ``catalogue_id@version`` reads never changes, whatever
    its source community does later.
    """

    __tablename__ = "catalogue_entries"
    __table_args__ = (UniqueConstraint("catalogue_id", "version", name="uq_catalogue_entries_version"),)

    seq: Mapped[int] = mapped_column(SEQ, primary_key=True, autoincrement=True)
    catalogue_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    source_community: Mapped[str] = mapped_column(String(64))
    source_name: Mapped[str] = mapped_column(String(300))
    yaml_text: Mapped[str] = mapped_column(Text)
    parents: Mapped[dict[str, Any]] = mapped_column(JSON)  # ref → [text, name] of each ``extends`` parent
    digest: Mapped[str] = mapped_column(String(80))
    audience: Mapped[list[str] | None] = mapped_column(JSON)  # community ids; null: every community
    audience_title: Mapped[str | None] = mapped_column(String(200))  # the group's name, e.g. a town
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    origin: Mapped[str] = mapped_column(String(16))  # shared | imported
    provenance: Mapped[dict[str, Any]] = mapped_column(JSON)
    shared_by: Mapped[str] = mapped_column(String(64))
    shared_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AdoptionDecision(Base):
    """What one body decided on one draft version, item by item, with who recorded it and when (append-only)."""

    __tablename__ = "adoption_decisions"
    __table_args__ = (ForeignKeyConstraint(["community"], ["communities.id"]),
                      Index("ix_adoption_decisions_version", "community", "ruleset_id", "version"))

    seq: Mapped[int] = mapped_column(SEQ, primary_key=True, autoincrement=True)
    community: Mapped[str] = mapped_column(String(64))
    ruleset_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    yaml_digest: Mapped[str] = mapped_column(String(80))  # the text decided on: a later edit needs a new decision
    body: Mapped[str] = mapped_column(String(64))
    decision: Mapped[str] = mapped_column(String(16))  # approve | reject | comment
    held_on: Mapped[dt.date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(100))
    comments: Mapped[list[Any]] = mapped_column(JSON)  # [{item, text}]
    actor: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


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
    redeemed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)  # when it happened (a voucher may come later)
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
    zone: Mapped[str] = mapped_column(String(64))
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
    amount: Mapped[Decimal] = mapped_column(Points)
    index_delta: Mapped[Decimal] = mapped_column(Points)
    points_delta: Mapped[Decimal] = mapped_column(Points)
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


class SimulationJob(Base):
    """A what-if job: what it compares and who asked, where it stands, and its report once done.

    In the database so that any service process answers for any job, whichever process runs
    it, and so that a job outlives the process: a runner that stops is found by its stale
    heartbeat and its job ends failed, never lost.
    """

    __tablename__ = "simulation_jobs"
    __table_args__ = (ForeignKeyConstraint(["community"], ["communities.id"]),
                      Index("ix_simulation_jobs_community", "community", "created_at"),
                      Index("ix_simulation_jobs_status", "status", "created_at"))

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    community: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # queued | running | done | failed | cancelled
    baseline: Mapped[str] = mapped_column(String(200))
    candidate: Mapped[str] = mapped_column(String(200))
    matcher: Mapped[str] = mapped_column(String(32))
    request: Mapped[dict[str, Any]] = mapped_column(JSON)  # the source and both standards' texts, read at submission
    started_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    runner: Mapped[str | None] = mapped_column(String(200))  # host:pid of the process running it
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    progress: Mapped[dict[str, Any]] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    problems: Mapped[list[Any]] = mapped_column(JSON)
    report_json: Mapped[str | None] = mapped_column(Text)
    report_html: Mapped[str | None] = mapped_column(Text)
