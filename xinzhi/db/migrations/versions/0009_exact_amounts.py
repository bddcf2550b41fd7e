"""exact amounts: points are kept as whole hundredths of a point in 64-bit columns (0.1 is 10)

Every stored amount is multiplied by 100 and the integer columns that hold one become
BIGINT, so 1019 + ten times 0.1 sums to exactly 1020 in SQL on both backends.

Revision ID: 0009_exact_amounts
Revises: 0008_facts_by_resident_and_time
"""

import sqlalchemy as sa
from alembic import op

revision = '0009_exact_amounts'
down_revision = '0008_facts_by_resident_and_time'
branch_labels = None
depends_on = None

WIDENED = {
    'ledger_entries': ('amount', 'raw_amount', 'index_delta', 'points_delta'),
    'review_items': ('amount', 'index_delta', 'points_delta'),
}
SCALED = {
    **WIDENED,
    'account_totals': ('index_total', 'points_total', 'awarded', 'deducted'),
    'month_totals': ('index_total', 'points_total', 'awarded', 'deducted'),
}


def upgrade() -> None:
    for table, columns in WIDENED.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.alter_column(column, type_=sa.BigInteger(), existing_type=sa.Integer(), existing_nullable=False)
    for table, columns in SCALED.items():
        op.execute(f"UPDATE {table} SET " + ", ".join(f"{c} = {c} * 100" for c in columns))


def downgrade() -> None:
    """Back to whole points, refused while any stored amount has a fraction of a point (it would be lost)."""
    connection = op.get_bind()
    for table, columns in SCALED.items():
        fractional = " OR ".join(f"{c} % 100 <> 0" for c in columns)
        if connection.execute(sa.text(f"SELECT 1 FROM {table} WHERE {fractional} LIMIT 1")).first():
            raise RuntimeError(f"cannot downgrade below 0009: {table} holds fractions of a point, which whole-point "
                               "columns would lose")
    for table, columns in SCALED.items():
        op.execute(f"UPDATE {table} SET " + ", ".join(f"{c} = {c} / 100" for c in columns))
    for table, columns in WIDENED.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.alter_column(column, type_=sa.Integer(), existing_type=sa.BigInteger(), existing_nullable=False)
