"""How connections are set up per backend (``xinzhi.db.database``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import DateTime, event, text
from sqlalchemy.dialects import postgresql, sqlite

from tests.support.fixtures import new_community, settings_for
from xinzhi.db.tables import Points, UTCDateTime
from xinzhi.scoring import post_facts
from xinzhi.service import open_service


def test_sqlite_connections_keep_pages_and_wal_for_a_city(tmp_path):
    """What keeps ingest flat as a SQLite store grows to gigabytes (``database.SQLITE_AT_SCALE``)."""
    service = open_service(settings_for(f"sqlite:///{tmp_path}/city.db"))
    try:
        for engine in (service.db.engine, service.db.writer):  # readers' and writers' connections alike
            with engine.connect() as connection:
                assert connection.execute(text("PRAGMA cache_size")).scalar() == -65536
                assert connection.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 100000
    finally:
        service.close()


def test_every_write_of_a_sqlite_process_takes_the_same_connection(tmp_path):
    """A SQLite connection drops its page cache after another one wrote: writes keep to one, readers or not."""
    service = open_service(settings_for(f"sqlite:///{tmp_path}/one.db"))
    writers: list[object] = []
    try:
        community = new_community(service, residents=3)
        event.listen(service.db.writer, "begin", lambda conn: writers.append(conn.connection.driver_connection))
        for i in range(4):
            with service.db.reading() as session:  # a request validating its batch holds a connection meanwhile
                session.execute(text("SELECT 1"))
                post_facts(service, community, [{"id": f"f{i}", "type": "cleanup", "resident": "r1",
                                                 "occurred_at": f"2024-05-0{i + 1}T09:00:00+08:00",
                                                 "fields": {"count": 1}}])
        assert len(writers) >= 4
        assert all(writer is writers[0] for writer in writers)
    finally:
        service.close()


@given(st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30),
                    timezones=st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=8)),
                                               dt.timezone(dt.timedelta(hours=-5, minutes=-30))])))
def test_a_moment_is_stored_on_sqlite_as_sqlalchemys_datetime_stores_it(moment):
    """``UTCDateTime``'s one-step text on SQLite is what its UTC conversion and SQLite's ``DATETIME`` make."""
    dialect = sqlite.dialect()
    column = UTCDateTime()
    generic = DateTime().dialect_impl(dialect).bind_processor(dialect)
    assert column.bind_processor(dialect)(moment) == generic(column.process_bind_param(moment, dialect))
    assert column.bind_processor(dialect)(None) is None


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()], ids=["sqlite", "postgresql"])
def test_a_remembered_value_does_not_let_its_equal_of_another_type_through(dialect):
    """Bind processors remember values (``tables._remembered``), by type: a float equal to a stored amount,
    a naive twin of a stored moment, are refused as they would be the first time."""
    amount, moment = Points().bind_processor(dialect), UTCDateTime().bind_processor(dialect) or (
        lambda value: UTCDateTime().process_bind_param(value, dialect))
    assert amount(Decimal(6)) == amount(6) == 600 and amount(Decimal("0.25")) == 25
    with pytest.raises(TypeError, match="float"):
        amount(6.0)
    with pytest.raises(ValueError, match="finer"):
        amount(Decimal("0.001"))
    utc = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    moment(utc)
    with pytest.raises(ValueError, match="naive"):
        moment(utc.replace(tzinfo=None))

