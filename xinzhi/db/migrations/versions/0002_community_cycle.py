"""community cycle: shop, council, appeals, review, tokens, audit

Revision ID: 0002_community
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

import xinzhi.db.tables

revision = '0002_community'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_tokens',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.Column('community', sa.String(length=64), nullable=True),
    sa.Column('resident', sa.String(length=128), nullable=True),
    sa.Column('label', sa.String(length=200), nullable=True),
    sa.Column('created_at', xinzhi.db.tables.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', xinzhi.db.tables.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    op.create_table('audit_log',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('community', sa.String(length=64), nullable=True),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.Column('action', sa.String(length=300), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.Column('created_at', xinzhi.db.tables.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('seq')
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_community', ['community', 'seq'], unique=False)

    op.create_table('appeals',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('community', sa.String(length=64), nullable=False),
    sa.Column('resident', sa.String(length=128), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('target_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('ledger_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('decided_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', xinzhi.db.tables.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['community'], ['communities.id'], ),
    sa.PrimaryKeyConstraint('seq')
    )
    with op.batch_alter_table('appeals', schema=None) as batch_op:
        batch_op.create_index('ix_appeals_target', ['community', 'target_seq'], unique=False)

    op.create_table('council_cases',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('community', sa.String(length=64), nullable=False),
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('zone', sa.String(length=16), nullable=False),
    sa.Column('building', sa.String(length=64), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('parties', sa.JSON(), nullable=False),
    sa.Column('reported_by', sa.String(length=128), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('members', sa.JSON(), nullable=False),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.Column('satisfaction', sa.JSON(), nullable=True),
    sa.Column('fact_ids', sa.JSON(), nullable=True),
    sa.Column('reported_at', xinzhi.db.tables.UTCDateTime(), nullable=False),
    sa.Column('convened_at', xinzhi.db.tables.UTCDateTime(), nullable=True),
    sa.Column('closed_at', xinzhi.db.tables.UTCDateTime(), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('closed_by', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['community'], ['communities.id'], ),
    sa.PrimaryKeyConstraint('seq'),
    sa.UniqueConstraint('community', 'id', name='uq_council_cases_id')
    )
    op.create_table('objections',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('community', sa.String(length=64), nullable=False),
    sa.Column('notice', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('filed_by', sa.String(length=128), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('resolution', sa.Text(), nullable=True),
    sa.Column('ledger_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('resolved_by', sa.String(length=64), nullable=True),
    sa.Column('created_at', xinzhi.db.tables.UTCDateTime(), nullable=False),
    sa.Column('resolved_at', xinzhi.db.tables.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['community'], ['communities.id'], ),
    sa.PrimaryKeyConstraint('seq')
    )
    op.create_table('redemptions',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('community', sa.String(length=64), nullable=False),
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('resident', sa.String(length=128), nullable=False),
    sa.Column('item', sa.String(length=64), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('ledger_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('refund_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('cancelled_by', sa.String(length=64), nullable=True),
    sa.Column('cancel_reason', sa.Text(), nullable=True),
    sa.Column('created_at', xinzhi.db.tables.UTCDateTime(), nullable=False),
    sa.Column('cancelled_at', xinzhi.db.tables.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['community'], ['communities.id'], ),
    sa.PrimaryKeyConstraint('seq'),
    sa.UniqueConstraint('community', 'id', name='uq_redemptions_id')
    )
    with op.batch_alter_table('redemptions', schema=None) as batch_op:
        batch_op.create_index('ix_redemptions_resident', ['community', 'resident'], unique=False)

    op.create_table('review_items',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('community', sa.String(length=64), nullable=False),
    sa.Column('resident', sa.String(length=128), nullable=False),
    sa.Column('fact_id', sa.String(length=128), nullable=False),
    sa.Column('rule_id', sa.String(length=64), nullable=False),
    sa.Column('rule_title', sa.String(length=300), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('index_delta', sa.Integer(), nullable=False),
    sa.Column('points_delta', sa.Integer(), nullable=False),
    sa.Column('publicity_days', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('release_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('decided_by', sa.String(length=64), nullable=True),
    sa.Column('decided_at', xinzhi.db.tables.UTCDateTime(), nullable=True),
    sa.Column('publicity_until', xinzhi.db.tables.UTCDateTime(), nullable=True),
    sa.Column('created_at', xinzhi.db.tables.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['community'], ['communities.id'], ),
    sa.PrimaryKeyConstraint('seq'),
    sa.UniqueConstraint('community', 'fact_id', 'rule_id', name='uq_review_items_award')
    )
    with op.batch_alter_table('review_items', schema=None) as batch_op:
        batch_op.create_index('ix_review_items_status', ['community', 'status'], unique=False)

    op.create_table('shop_items',
    sa.Column('community', sa.String(length=64), nullable=False),
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('price', sa.Integer(), nullable=False),
    sa.Column('stock', sa.Integer(), nullable=False),
    sa.Column('min_tier', sa.String(length=16), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', xinzhi.db.tables.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['community'], ['communities.id'], ),
    sa.PrimaryKeyConstraint('community', 'id')
    )


def downgrade() -> None:
    op.drop_table('shop_items')
    with op.batch_alter_table('review_items', schema=None) as batch_op:
        batch_op.drop_index('ix_review_items_status')

    op.drop_table('review_items')
    with op.batch_alter_table('redemptions', schema=None) as batch_op:
        batch_op.drop_index('ix_redemptions_resident')

    op.drop_table('redemptions')
    op.drop_table('objections')
    op.drop_table('council_cases')
    with op.batch_alter_table('appeals', schema=None) as batch_op:
        batch_op.drop_index('ix_appeals_target')

    op.drop_table('appeals')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_community')

    op.drop_table('audit_log')
    op.drop_table('api_tokens')
