"""Alembic's script directory: ``env.py`` and the revisions ``xinzhi.db.migrate`` applies at start-up."""
