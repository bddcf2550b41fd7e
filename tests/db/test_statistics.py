"""On PostgreSQL the service keeps the planner's statistics of its growing tables fresh (``Database.wrote``).

The database may run without autovacuum (this machine's does); without statistics the planner
found 1,000 fact ids among a community's ledger entries by reading all of them.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from tests.support.backends import postgres_schema
from tests.support.fixtures import new_community, settings_for
from xinzhi.db import database
from xinzhi.scoring import post_facts
from xinzhi.service import open_service


def facts(first: int, n: int) -> list[dict]:
    start = dt.datetime(2021, 3, 1, 9, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    return [{"id": f"f{i}", "type": "activity", "resident": f"r{i % 4 + 1}",
             "occurred_at": (start + dt.timedelta(minutes=i)).isoformat(), "fields": {"name": "议事"}}
            for i in range(first, first + n)]


def analysed(service) -> dict[str, bool]:
    with service.db.engine.connect() as connection:
        return dict(connection.execute(text(
            "SELECT relname, last_analyze IS NOT NULL FROM pg_stat_user_tables "
            "WHERE schemaname = current_schema() AND relname IN ('facts', 'ledger_entries')")).all())


def test_growing_tables_are_analysed_once_they_grow_by_a_share(monkeypatch):
    monkeypatch.setattr(database, "_FRESH_ROWS", 300)
    with postgres_schema() as url:
        service = open_service(settings_for(url))
        try:
            community = new_community(service)
            post_facts(service, community, facts(0, 100))
            assert analysed(service) == {"facts": False, "ledger_entries": False}
            post_facts(service, community, facts(100, 100))  # 200 facts and 200 entries since the start
            assert analysed(service) == {"facts": True, "ledger_entries": True}
            assert service.db._held >= 400 and service.db._written == 0  # the next look: a fifth more
            post_facts(service, community, facts(200, 40))
            assert service.db._written == 80
        finally:
            service.close()


@pytest.mark.parametrize("rows", [0, 10**6])
def test_sqlite_counts_nothing(tmp_path, rows):
    service = open_service(settings_for(f"sqlite:///{tmp_path / 'x.db'}"))
    try:
        service.db.wrote(rows)
        assert service.db._written == 0
    finally:
        service.close()


def test_statistics_that_cannot_be_refreshed_fail_no_request(monkeypatch, caplog):
    """The facts are stored before the statistics are looked at: a failing ANALYZE is logged, not raised."""
    monkeypatch.setattr(database, "_FRESH_ROWS", 10)
    monkeypatch.setattr(database, "_GROWING", ("facts", "no_such_table"))
    with postgres_schema() as url:
        service = open_service(settings_for(url))
        try:
            community = new_community(service)
            result = post_facts(service, community, facts(0, 20))
            assert result.scored == 20
            assert "could not refresh the statistics" in caplog.text
        finally:
            service.close()

