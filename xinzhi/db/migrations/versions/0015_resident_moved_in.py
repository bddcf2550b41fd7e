"""resident moved in: the first day a resident lives in the community, for period rules

Revision ID: 0015_resident_moved_in
Revises: 0014_resident_facts
"""

import sqlalchemy as sa
from alembic import op

revision = '0015_resident_moved_in'
down_revision = '0014_resident_facts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('residents') as table:
        table.add_column(sa.Column('moved_in', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('residents') as table:
        table.drop_column('moved_in')
