"""the catalogue of shared standards: frozen copies other communities extend, pinned by version

Revision ID: 0011_catalogue
Revises: 0010_household_accounts
"""

import sqlalchemy as sa
from alembic import op

from xinzhi.db.tables import UTCDateTime

revision = '0011_catalogue'
down_revision = '0010_household_accounts'
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        'catalogue_entries',
        sa.Column('seq', SEQ, primary_key=True, autoincrement=True),
        sa.Column('catalogue_id', sa.String(length=64), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=300), nullable=False),
        sa.Column('source_community', sa.String(length=64), nullable=False),
        sa.Column('source_name', sa.String(length=300), nullable=False),
        sa.Column('yaml_text', sa.Text(), nullable=False),
        sa.Column('parents', sa.JSON(), nullable=False),
        sa.Column('digest', sa.String(length=80), nullable=False),
        sa.Column('audience', sa.JSON(), nullable=True),
        sa.Column('audience_title', sa.String(length=200), nullable=True),
        sa.Column('summary', sa.JSON(), nullable=False),
        sa.Column('origin', sa.String(length=16), nullable=False),
        sa.Column('provenance', sa.JSON(), nullable=False),
        sa.Column('shared_by', sa.String(length=64), nullable=False),
        sa.Column('shared_at', UTCDateTime(), nullable=False),
        sa.UniqueConstraint('catalogue_id', 'version', name='uq_catalogue_entries_version'),
    )


def downgrade() -> None:
    op.drop_table('catalogue_entries')
