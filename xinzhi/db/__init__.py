"""The database: engine and sessions per backend, the tables, migrations at start-up."""

from .database import Database, make_engine, migrate

__all__ = ["Database", "make_engine", "migrate"]
