"""Initial tables: communities, residents, facts, ledger entries, rulesets.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from xinzhi.db.tables import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "communities",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "residents",
        sa.Column("community", sa.String(64), primary_key=True),
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("zone", sa.String(16), nullable=False),
        sa.Column("household", sa.String(128), nullable=True),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["community"], ["communities.id"]),
    )
    op.create_index("ix_residents_household", "residents", ["community", "household"])
    op.create_table(
        "facts",
        sa.Column("seq", SEQ, primary_key=True, autoincrement=True),
        sa.Column("community", sa.String(64), nullable=False),
        sa.Column("fact_id", sa.String(128), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("resident", sa.String(128), nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("received", sa.JSON(), nullable=False),
        sa.Column("ruleset", sa.String(80), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["community"], ["communities.id"]),
        sa.UniqueConstraint("community", "fact_id", name="uq_facts_community_fact"),
    )
    op.create_index("ix_facts_resident", "facts", ["community", "resident"])
    op.create_table(
        "ledger_entries",
        sa.Column("seq", SEQ, primary_key=True, autoincrement=True),
        sa.Column("community", sa.String(64), nullable=False),
        sa.Column("resident", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("raw_amount", sa.Integer(), nullable=False),
        sa.Column("index_delta", sa.Integer(), nullable=False),
        sa.Column("points_delta", sa.Integer(), nullable=False),
        sa.Column("accounts", sa.String(32), nullable=False),
        sa.Column("category", sa.String(64), nullable=True),
        sa.Column("rule_id", sa.String(64), nullable=True),
        sa.Column("ruleset", sa.String(80), nullable=True),
        sa.Column("fact_id", sa.String(128), nullable=True),
        sa.Column("limited_by", sa.String(160), nullable=True),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("points_expire_on", sa.Date(), nullable=True),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["community"], ["communities.id"]),
    )
    op.create_index("ix_ledger_resident_time", "ledger_entries", ["community", "resident", "occurred_at"])
    op.create_index("ix_ledger_fact", "ledger_entries", ["community", "fact_id"])
    op.create_index("ix_ledger_month", "ledger_entries", ["community", "month"])
    op.create_table(
        "rulesets",
        sa.Column("seq", SEQ, primary_key=True, autoincrement=True),
        sa.Column("community", sa.String(64), nullable=False),
        sa.Column("ruleset_id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("extends", sa.String(80), nullable=True),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("yaml_text", sa.Text(), nullable=False),
        sa.Column("source_name", sa.String(300), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["community"], ["communities.id"]),
        sa.UniqueConstraint("community", "ruleset_id", "version", name="uq_rulesets_version"),
    )


def downgrade() -> None:
    for table in ("rulesets", "ledger_entries", "facts", "residents", "communities"):
        op.drop_table(table)
