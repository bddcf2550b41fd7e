"""Alembic environment: migrations always run programmatically on a given connection."""

from __future__ import annotations

from alembic import context

from xinzhi.db.tables import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
