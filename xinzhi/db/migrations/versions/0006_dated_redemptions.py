"""dated redemptions: when a redemption happened, which a paper voucher entered later may set

Revision ID: 0006_dated_redemptions
Revises: 0005_month_totals
"""

import sqlalchemy as sa
from alembic import op

revision = '0006_dated_redemptions'
down_revision = '0005_month_totals'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('redemptions') as batch:
        batch.add_column(sa.Column('redeemed_at', sa.DateTime(), nullable=True))
    op.execute("UPDATE redemptions SET redeemed_at = created_at")
    with op.batch_alter_table('redemptions') as batch:
        batch.alter_column('redeemed_at', existing_type=sa.DateTime(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('redemptions') as batch:
        batch.drop_column('redeemed_at')
