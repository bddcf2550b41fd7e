"""Persistence: SQLAlchemy 2 over SQLite (embedded default) or PostgreSQL (issue 3)."""
