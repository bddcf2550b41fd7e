"""month totals: a community's running sums per month and category, and its facts per month

Revision ID: 0005_month_totals
Revises: 0004_account_totals
"""

import sqlalchemy as sa
from alembic import op

revision = '0005_month_totals'
down_revision = '0004_account_totals'
branch_labels = None
depends_on = None

_SUMS = ("SUM(index_delta), SUM(points_delta), SUM(CASE WHEN kind = 'award' THEN amount ELSE 0 END), "
         "SUM(CASE WHEN kind = 'deduction' THEN amount ELSE 0 END), COUNT(*)")


def upgrade() -> None:
    op.create_table('month_totals',
    sa.Column('community', sa.String(length=64), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('category', sa.String(length=64), nullable=False),
    sa.Column('index_total', sa.BigInteger(), nullable=False),
    sa.Column('points_total', sa.BigInteger(), nullable=False),
    sa.Column('awarded', sa.BigInteger(), nullable=False),
    sa.Column('deducted', sa.BigInteger(), nullable=False),
    sa.Column('entries', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['community'], ['communities.id'], ),
    sa.PrimaryKeyConstraint('community', 'month', 'category')
    )
    op.create_table('month_facts',
    sa.Column('community', sa.String(length=64), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('facts', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['community'], ['communities.id'], ),
    sa.PrimaryKeyConstraint('community', 'month')
    )
    op.create_index('ix_facts_time', 'facts', ['community', 'occurred_at'], unique=False)
    op.execute(
        "INSERT INTO month_totals (community, month, category, index_total, points_total, awarded, deducted, entries) "
        f"SELECT community, month, COALESCE(category, ''), {_SUMS} FROM ledger_entries "
        "GROUP BY community, month, COALESCE(category, '')")
    # Times are stored as naive UTC; the month is Shanghai's (UTC+8, no daylight saving since 1991).
    if op.get_bind().dialect.name == "postgresql":
        month = "to_char((occurred_at AT TIME ZONE 'UTC') AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')"
    else:
        month = "strftime('%Y-%m', substr(occurred_at, 1, 19), '+8 hours')"
    op.execute(f"INSERT INTO month_facts (community, month, facts) SELECT community, {month}, COUNT(*) FROM facts "
               f"GROUP BY community, {month}")


def downgrade() -> None:
    op.drop_index('ix_facts_time', table_name='facts')
    op.drop_table('month_facts')
    op.drop_table('month_totals')
