"""account totals: each resident's running sums of the ledger, filled from the ledger once

Revision ID: 0004_account_totals
Revises: 0003_frozen_parents
"""

import sqlalchemy as sa
from alembic import op

revision = '0004_account_totals'
down_revision = '0003_frozen_parents'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('account_totals',
    sa.Column('community', sa.String(length=64), nullable=False),
    sa.Column('resident', sa.String(length=128), nullable=False),
    sa.Column('index_total', sa.BigInteger(), nullable=False),
    sa.Column('points_total', sa.BigInteger(), nullable=False),
    sa.Column('awarded', sa.BigInteger(), nullable=False),
    sa.Column('deducted', sa.BigInteger(), nullable=False),
    sa.Column('entries', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['community'], ['communities.id'], ),
    sa.PrimaryKeyConstraint('community', 'resident')
    )
    op.execute(
        "INSERT INTO account_totals (community, resident, index_total, points_total, awarded, deducted, entries) "
        "SELECT community, resident, SUM(index_delta), SUM(points_delta), "
        "SUM(CASE WHEN kind = 'award' THEN amount ELSE 0 END), "
        "SUM(CASE WHEN kind = 'deduction' THEN amount ELSE 0 END), COUNT(*) "
        "FROM ledger_entries GROUP BY community, resident")


def downgrade() -> None:
    op.drop_table('account_totals')
