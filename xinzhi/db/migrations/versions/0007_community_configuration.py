"""community configuration: each community's own zones (or groups) and roles; zone ids up to 64 characters

Revision ID: 0007_community_configuration
Revises: 0006_dated_redemptions
"""

import sqlalchemy as sa
from alembic import op

revision = '0007_community_configuration'
down_revision = '0006_dated_redemptions'
branch_labels = None
depends_on = None


def _zone_length(length: int) -> None:
    # Tables no other table references: SQLite's batch mode may rebuild them.
    for table in ('residents', 'council_cases'):
        with op.batch_alter_table(table) as batch:
            batch.alter_column('zone', type_=sa.String(length=length), existing_nullable=False)


def upgrade() -> None:
    op.add_column('communities', sa.Column('zones', sa.JSON(), nullable=True))
    op.add_column('communities', sa.Column('roles', sa.JSON(), nullable=True))
    _zone_length(64)


def downgrade() -> None:
    _zone_length(16)
    op.drop_column('communities', 'roles')
    op.drop_column('communities', 'zones')
