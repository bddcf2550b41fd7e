"""Opening the database: engine set-up per backend, migrations at start-up, transactions.

SQLite runs in WAL mode and every write transaction starts with ``BEGIN IMMEDIATE``, so
writers are serialized (limits and idempotency hold) while readers carry on. On
PostgreSQL a write transaction takes a transaction-scoped advisory lock per resident it
scores, so two API processes never grant the same limit twice.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from pathlib import Path

import orjson
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from xinzhi.db.turns import Turns
from xinzhi.db.wal import WalKeeper
from xinzhi.engine.amounts import to_json

log = logging.getLogger("xinzhi.db")
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: The tables scoring reads by lists of ids, growing with every batch: PostgreSQL needs their statistics.
_GROWING = ("facts", "ledger_entries", "resident_facts", "account_totals", "residents")
_FRESH_ROWS = 20_000  # rows written before their statistics are first refreshed
_FRESH_SHARE = 0.2  # then each time the tables have grown by this share
_MIGRATION_LOCK = 0x5869_6E7A  # "Xinz": one migrator at a time on PostgreSQL


def _json_text(value: object) -> str:
    """JSON columns' text: amounts as numbers with their exact digits, Chinese as UTF-8, not escaped.

    orjson, not ``json``: an entry's explanation is written for every award, and encoding it
    was the largest single cost of storing a batch.
    """
    return orjson.dumps(value, default=lambda item: to_json(_amount(item)), option=orjson.OPT_NON_STR_KEYS).decode()


#: A city's store is gigabytes, and a batch touches a leaf of every index for each of its holders.
#: With SQLite's defaults (2 MB of pages per connection, the WAL copied back every 1,000 pages)
#: ``post_facts`` took 161 ms of CPU per 1,000 facts at 100k facts stored and 213 ms at 1M; with
#: 64 MB, 170 and 187, flat (benchmarks/README.md, "batch ingest over 1M facts"). The WAL is copied
#: back by ``db.wal``, off the write path; SQLite's own copy at commit is only a backstop (400 MB).
SQLITE_AT_SCALE = ("cache_size=-65536", "wal_autocheckpoint=100000")


def make_engine(url: str, *, busy_timeout_ms: int = 30_000, writer: bool = False) -> Engine:
    """An engine for ``url``; a SQLite file (and its directory) is created on first start.

    On SQLite, ``writer`` makes the engine of a process's writers (``Database``): one connection
    kept, more only while writers overlap (one that waited out its turn, ``Database.writing``).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        # Writers take turns anyway; each connection keeps its own page cache, so a few suffice.
        engine = create_engine(url, json_serializer=_json_text,
                               connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000},
                               pool_size=1 if writer else 8, max_overflow=8, pool_timeout=busy_timeout_ms / 1000)

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection, _record) -> None:
            dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (below)
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            for pragma in SQLITE_AT_SCALE:
                cursor.execute(f"PRAGMA {pragma}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn) -> None:
            mode = "IMMEDIATE" if conn.get_execution_options().get("xinzhi_write") else "DEFERRED"
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine
    return create_engine(url, json_serializer=_json_text, pool_size=20, max_overflow=20, pool_pre_ping=True)


def _amount(value: object) -> Decimal:
    """What JSON cannot say by itself: only an amount (a ``Decimal``) is expected here."""
    if not isinstance(value, Decimal):
        raise TypeError(f"{type(value).__name__} is not JSON serializable")
    return value


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (several processes may start at once)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _MIGRATION_LOCK})
            connection.commit()
        try:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            connection.commit()
        finally:
            if engine.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _MIGRATION_LOCK})
                connection.commit()


class Database:
    """The engines and the two kinds of session the services use."""

    def __init__(self, engine: Engine, *, busy_timeout_ms: int = 30_000, writer: Engine | None = None):
        """``writer`` (SQLite): the engine of every write transaction, ``engine``'s by default.

        A SQLite connection drops its whole page cache when it begins a transaction after
        another connection wrote. Writers taking pooled connections in turn each began cold,
        reading again the index pages the previous batch had just read; one connection for
        all of a process's writes (``make_engine(writer=True)``) keeps them: over HTTP the
        server's file reads fell from 3.4 to 1.5 calls a fact at 120–240k facts stored
        (benchmarks/README.md).
        """
        self.engine = engine
        self.writer = writer or engine
        self.backend = engine.dialect.name
        # PostgreSQL queues the waiters of an advisory lock in order already (``lock_residents``)
        self._turns = Turns(busy_timeout_ms / 1000) if self.backend == "sqlite" else None
        self._wal = WalKeeper(engine) if self.backend == "sqlite" else None
        # A read sees one snapshot on either backend (SQLite's read transaction is one already), so the
        # figures of one report agree with each other even while writers commit between its queries.
        snapshot = engine.execution_options(isolation_level="REPEATABLE READ") if self.backend == "postgresql" \
            else engine
        self._read = sessionmaker(snapshot, expire_on_commit=False)
        self._write = sessionmaker(self.writer.execution_options(xinzhi_write=True), expire_on_commit=False)
        self._counting = threading.Lock()
        self._written = 0  # rows this process wrote since the tables' statistics were refreshed
        self._held = 0  # rows the tables held then, as PostgreSQL counted them

    @contextlib.contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for queries, on one snapshot; rolled back at the end."""
        with self._read() as session:
            yield session

    @contextlib.contextmanager
    def writing(self) -> Iterator[Session]:
        """One write transaction: committed if the block succeeds, rolled back otherwise.

        On SQLite this process's writers take turns in the order they asked (``db.turns``).
        """
        with self._turns.turn() if self._turns else contextlib.nullcontext(), self._write() as session, \
                session.begin():
            yield session

    def queued(self) -> contextlib.AbstractContextManager[None]:
        """Take this thread's place among SQLite's writers now, for the writes the block makes (``db.turns``)."""
        return self._turns.place() if self._turns else contextlib.nullcontext()

    def before_each_commit(self, hook: Callable[[Session], None]) -> None:
        """Run ``hook`` with every write session just before it commits (rows it adds commit with it)."""
        event.listen(self._write, "before_commit", hook)

    def lock_residents(self, session: Session, community: str, residents: Iterable[str]) -> None:
        """Serialize scoring per resident across processes (PostgreSQL; SQLite is already serial)."""
        self._lock(session, (f"{community}\x00{resident}" for resident in residents))

    def lock_publishing(self, session: Session, community: str) -> None:
        """Serialize publishing per community, so the rule that dates never overlap holds under races."""
        self._lock(session, [f"{community}\x01publish"])

    def lock_closing(self, session: Session, community: str) -> None:
        """Serialize closing periods per community, so two runs never both pay what is missing."""
        self._lock(session, [f"{community}\x02close"])

    def _lock(self, session: Session, names: Iterable[str]) -> None:
        """Transaction-scoped advisory locks on PostgreSQL (SQLite write transactions are already serial)."""
        if self.backend != "postgresql":
            return
        keys = sorted({int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)
                       for name in names})
        if keys:  # one round trip; taken in key order so two batches never deadlock
            session.execute(text("SELECT count(pg_advisory_xact_lock(k)) FROM "
                                 "(SELECT unnest(CAST(:keys AS bigint[])) AS k ORDER BY 1) AS ordered"),
                            {"keys": keys})

    def wrote(self, rows: int) -> None:
        """Count rows a write added: on PostgreSQL, refresh statistics as tables grow; on SQLite, keep the WAL short.

        Without statistics (autovacuum off, or behind a table that grows by the batch) the planner
        takes a table of 350,000 ledger entries for 144 rows and finds 1,000 fact ids by reading all
        of a community's entries: 200 ms a lookup, and more as the table grows (benchmarks/api.py,
        PostgreSQL: the last 100k facts of a million at 0.41× the rate of the first). ``ANALYZE``
        samples a fixed number of rows, so it costs about the same at any size.
        """
        if self._wal is not None:
            self._wal.wrote(rows)
            return
        with self._counting:
            self._written += rows
            if self._written < max(_FRESH_ROWS, _FRESH_SHARE * self._held):
                return
            self._written = 0
        try:  # after the write committed: a failure here must not fail the request that made it
            with self.engine.connect() as connection:
                connection.execute(text(f"ANALYZE {', '.join(_GROWING)}"))
                held = connection.scalar(text("SELECT sum(reltuples) FROM pg_class WHERE oid = ANY(CAST(:tables AS "
                                              "regclass[]))"), {"tables": list(_GROWING)})
                connection.commit()
        except SQLAlchemyError as exc:
            log.warning("could not refresh the statistics of %s: %s", ", ".join(_GROWING), exc)
            return
        with self._counting:
            self._held = max(int(held or 0), 0)

    def dispose(self) -> None:
        """Close the pooled connections (when the service closes)."""
        if self._wal is not None:
            self._wal.close()
        self.writer.dispose()
        self.engine.dispose()
