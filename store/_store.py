"""The ``Store``: database, compiled published rulesets and the draft worker pool of one process."""

from __future__ import annotations

import threading

from engine import CompiledRuleset

from ._db import Database, make_engine, migrate
from ._worker import DraftPool
from .settings import Settings


class Store:
    """What every service function is given: open it once per process with ``open_store``."""

    def __init__(self, settings: Settings, db: Database):
        self.settings = settings
        self.db = db
        self.drafts = DraftPool(workers=settings.dry_run_workers,
                                tasks_per_worker=settings.dry_run_tasks_per_worker)
        # Published versions never change, so each is compiled (and registered with
        # durable-rules) once per process; keyed by (community, row seq).
        self.compiled: dict[tuple[str, int], CompiledRuleset] = {}
        self.compile_lock = threading.Lock()

    def close(self) -> None:
        """Stop the worker pool and release database connections."""
        self.drafts.close()
        self.db.dispose()


def open_store(settings: Settings | None = None, *, load_rulesets: bool = True) -> Store:
    """Connect, migrate to the newest schema, and load the repository's rulesets if missing."""
    settings = settings or Settings()
    engine = make_engine(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    migrate(engine)
    store = Store(settings, Database(engine))
    if load_rulesets and settings.rulesets_dir is not None:
        from .rulesets import load_repository_rulesets
        load_repository_rulesets(store, settings.rulesets_dir)
    return store
