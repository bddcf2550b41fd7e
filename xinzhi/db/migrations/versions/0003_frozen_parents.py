"""published versions keep the extends chain they were published with

Revision ID: 0003_frozen_parents
Revises: 0002_community
"""

import sqlalchemy as sa
from alembic import op

revision = '0003_frozen_parents'
down_revision = '0002_community'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('rulesets', sa.Column('parents', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('rulesets') as batch:
        batch.drop_column('parents')
