"""resident facts: each account holder's count of stored facts; expiry entries found without reading awards

Revision ID: 0014_resident_facts
Revises: 0013_simulation_jobs
"""

import sqlalchemy as sa
from alembic import op

revision = '0014_resident_facts'
down_revision = '0013_simulation_jobs'
branch_labels = None
depends_on = None

EXPIRY = sa.text("kind = 'expiry'")


def upgrade() -> None:
    op.create_table('resident_facts',
    sa.Column('community', sa.String(length=64), nullable=False),
    sa.Column('resident', sa.String(length=128), nullable=False),
    sa.Column('facts', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['community'], ['communities.id'], ),
    sa.PrimaryKeyConstraint('community', 'resident')
    )
    op.execute("INSERT INTO resident_facts (community, resident, facts) "
               "SELECT community, resident, COUNT(*) FROM facts GROUP BY community, resident")
    op.create_index('ix_ledger_expiry', 'ledger_entries', ['community', 'resident', 'points_expire_on'],
                    sqlite_where=EXPIRY, postgresql_where=EXPIRY)


def downgrade() -> None:
    op.drop_index('ix_ledger_expiry', table_name='ledger_entries')
    op.drop_table('resident_facts')
