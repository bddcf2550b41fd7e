"""facts by resident and time: a late fact finds the resident's later facts (restating) by an index range

Revision ID: 0008_facts_by_resident_and_time
Revises: 0007_community_configuration
"""

from alembic import op

revision = '0008_facts_by_resident_and_time'
down_revision = '0007_community_configuration'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_facts_resident', table_name='facts')
    op.create_index('ix_facts_resident', 'facts', ['community', 'resident', 'occurred_at'])


def downgrade() -> None:
    op.drop_index('ix_facts_resident', table_name='facts')
    op.create_index('ix_facts_resident', 'facts', ['community', 'resident'])
