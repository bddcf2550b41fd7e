"""How connections are set up per backend (``xinzhi.db.database``)."""

from __future__ import annotations

from sqlalchemy import text

from tests.support.fixtures import settings_for
from xinzhi.service import open_service


def test_sqlite_connections_keep_pages_and_wal_for_a_city(tmp_path):
    """What keeps ingest flat as a SQLite store grows to gigabytes (``database.SQLITE_AT_SCALE``)."""
    service = open_service(settings_for(f"sqlite:///{tmp_path}/city.db"))
    try:
        with service.db.engine.connect() as connection:
            assert connection.execute(text("PRAGMA cache_size")).scalar() == -65536
            assert connection.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 10000
    finally:
        service.close()
