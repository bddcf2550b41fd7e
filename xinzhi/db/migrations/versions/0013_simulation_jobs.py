"""what-if jobs as rows: any service process answers for any job, and a job outlives its process

Revision ID: 0013_simulation_jobs
Revises: 0012_adoption
"""

import sqlalchemy as sa
from alembic import op

from xinzhi.db.tables import UTCDateTime

revision = '0013_simulation_jobs'
down_revision = '0012_adoption'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'simulation_jobs',
        sa.Column('id', sa.String(length=32), primary_key=True),
        sa.Column('community', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('baseline', sa.String(length=200), nullable=False),
        sa.Column('candidate', sa.String(length=200), nullable=False),
        sa.Column('matcher', sa.String(length=32), nullable=False),
        sa.Column('request', sa.JSON(), nullable=False),
        sa.Column('started_by', sa.String(length=64), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('started_at', UTCDateTime(), nullable=True),
        sa.Column('finished_at', UTCDateTime(), nullable=True),
        sa.Column('runner', sa.String(length=200), nullable=True),
        sa.Column('heartbeat_at', UTCDateTime(), nullable=True),
        sa.Column('cancel_requested', sa.Boolean(), nullable=False),
        sa.Column('progress', sa.JSON(), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('problems', sa.JSON(), nullable=False),
        sa.Column('report_json', sa.Text(), nullable=True),
        sa.Column('report_html', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['community'], ['communities.id']),
    )
    op.create_index('ix_simulation_jobs_community', 'simulation_jobs', ['community', 'created_at'])
    op.create_index('ix_simulation_jobs_status', 'simulation_jobs', ['status', 'created_at'])


def downgrade() -> None:
    op.drop_index('ix_simulation_jobs_status', table_name='simulation_jobs')
    op.drop_index('ix_simulation_jobs_community', table_name='simulation_jobs')
    op.drop_table('simulation_jobs')
