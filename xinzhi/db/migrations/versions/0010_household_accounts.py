"""household accounts: a fact names its member and household; an entry names the member who earned it

Where households hold the accounts (``accounts.held_by: household``) a fact's and an entry's
``resident`` is the account holder, the household; ``member`` is the resident the fact names.
Existing rows are resident-held: their member is their resident, read as such when null.

Revision ID: 0010_household_accounts
Revises: 0009_exact_amounts
"""

import sqlalchemy as sa
from alembic import op

revision = '0010_household_accounts'
down_revision = '0009_exact_amounts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('facts', sa.Column('member', sa.String(length=128), nullable=True))
    op.add_column('facts', sa.Column('household', sa.String(length=128), nullable=True))
    op.add_column('ledger_entries', sa.Column('member', sa.String(length=128), nullable=True))


def downgrade() -> None:
    op.drop_column('ledger_entries', 'member')
    op.drop_column('facts', 'household')
    op.drop_column('facts', 'member')
