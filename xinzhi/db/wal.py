"""SQLite's write-ahead log kept short without making writers wait for the disk.

Every page a batch changes is appended to the WAL; before the log can start over, each
must be copied back to the database file and synced (a checkpoint). When SQLite checkpointed
at commit (``wal_autocheckpoint``) or the writer restarted the log itself, the copying and
its fsyncs took the writer's turn, and every other request waited: late in a 1M-fact ingest
the commit took 29 ms of wall time per 1,000 facts (18 of CPU), three times what it took at
100k. Here a thread copies the log back as it grows (``PASSIVE``: writers carry on, and
SQLite runs it without Python's lock), and the writer restarts it every ``RESTART_ROWS``
rows, when little is left to copy.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from xinzhi import tuning

log = logging.getLogger("xinzhi.db")

RESTART_ROWS = 20_000  # rows written between restarts of the log, on the write path
COPY_ROWS = 5_000  # rows written between copies in the background
WAIT_MS = 200  # how long a restart waits for readers of older snapshots (and for a copy under way)


class WalKeeper:
    """Counts the rows a process writes; copies the log back in the background and restarts it now and then."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._counting = threading.Lock()
        self._written = 0  # rows since the last restart
        self._copied = 0  # of which, written before the last background copy began
        self._wake = threading.Event()
        self._closed = False
        self._copier: threading.Thread | None = None

    def wrote(self, rows: int) -> None:
        """Count rows a write committed; restart the log every ``RESTART_ROWS``, or have it copied back.

        A server taking requests two at a time always has a reader, and SQLite's own
        checkpoints wait for none: the log then grew without end (1.3 GB at 250,000 facts),
        and every read and write with it. ``RESTART`` waits for the readers of older snapshots,
        here at most ``WAIT_MS``; if they are not done, the next try is ``RESTART_ROWS`` rows on.
        """
        with self._counting:
            self._written += rows
            restart = self._written >= RESTART_ROWS
            copy = not restart and self._written - self._copied >= COPY_ROWS
            if restart:
                self._written = self._copied = 0
            elif copy:
                self._copied = self._written
                if self._copier is None:  # its work runs without Python's lock: on any CPU
                    self._copier = threading.Thread(target=self._copy_back, name="xinzhi-wal", daemon=True)
                    with tuning.every_cpu():
                        self._copier.start()
        if restart:
            self._checkpoint("RESTART")
        elif copy:
            self._wake.set()

    def _copy_back(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            if self._closed:
                return
            self._checkpoint("PASSIVE")

    def _checkpoint(self, mode: str) -> None:
        """Checkpoint the log (``mode``); after the write committed, so a failure only says so in the log."""
        try:
            with self.engine.connect() as connection:
                driver: Any = connection.connection.driver_connection  # outside any transaction, as it must be
                waits = driver.execute("PRAGMA busy_timeout").fetchone()[0]
                driver.execute(f"PRAGMA busy_timeout={WAIT_MS}")  # a copy (``PASSIVE``) never waits
                try:
                    driver.execute(f"PRAGMA wal_checkpoint({mode})").fetchall()
                finally:
                    driver.execute(f"PRAGMA busy_timeout={int(waits)}")
        except (SQLAlchemyError, sqlite3.Error) as exc:
            log.warning("could not checkpoint the write-ahead log (%s): %s", mode, exc)

    def close(self) -> None:
        """Stop the background copies (before the engine's connections close)."""
        self._closed = True
        self._wake.set()
        if self._copier is not None:
            self._copier.join(timeout=60)
