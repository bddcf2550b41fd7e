"""adoption of standards: the bodies a community names, and what each decided on each draft

Revision ID: 0012_adoption
Revises: 0011_catalogue
"""

import sqlalchemy as sa
from alembic import op

from xinzhi.db.tables import UTCDateTime

revision = '0012_adoption'
down_revision = '0011_catalogue'
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.add_column('communities', sa.Column('bodies', sa.JSON(), nullable=True))
    op.create_table(
        'adoption_decisions',
        sa.Column('seq', SEQ, primary_key=True, autoincrement=True),
        sa.Column('community', sa.String(length=64), nullable=False),
        sa.Column('ruleset_id', sa.String(length=64), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('yaml_digest', sa.String(length=80), nullable=False),
        sa.Column('body', sa.String(length=64), nullable=False),
        sa.Column('decision', sa.String(length=16), nullable=False),
        sa.Column('held_on', sa.Date(), nullable=False),
        sa.Column('recorded_by', sa.String(length=100), nullable=False),
        sa.Column('comments', sa.JSON(), nullable=False),
        sa.Column('actor', sa.String(length=64), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['community'], ['communities.id']),
    )
    op.create_index('ix_adoption_decisions_version', 'adoption_decisions', ['community', 'ruleset_id', 'version'])


def downgrade() -> None:
    op.drop_index('ix_adoption_decisions_version', table_name='adoption_decisions')
    op.drop_table('adoption_decisions')
    op.drop_column('communities', 'bodies')
