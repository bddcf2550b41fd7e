"""The ``Service``: database, compiled published rulesets and the draft worker pool of one process."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from xinzhi.db.database import Database, make_engine, migrate
from xinzhi.engine import CompiledRuleset
from xinzhi.settings import Settings

if TYPE_CHECKING:
    from xinzhi.registry.drafts import DraftPool


class Service:
    """What every service function is given: open it once per process with ``open_service``."""

    def __init__(self, settings: Settings, db: Database):
        self.settings = settings
        self.db = db
        from xinzhi.access.audit import record_with_write
        from xinzhi.registry.drafts import DraftPool  # the registry's and access's packages import this module

        self.drafts: DraftPool = DraftPool(workers=settings.dry_run_workers,
                                           tasks_per_worker=settings.dry_run_tasks_per_worker,
                                           per_caller=settings.drafts_per_caller, seconds=settings.draft_task_seconds)
        db.before_each_commit(record_with_write)  # a write request's audit record commits with its write
        # Published versions never change: scoring finds each one's compiled form here by
        # (community, row seq), one dict lookup per fact; behind it the engine's loader
        # compiles (and durable-rules registers) each distinct text once per process.
        self.compiled: dict[tuple[str, int], CompiledRuleset] = {}
        self.compile_lock = threading.Lock()

    def close(self) -> None:
        """Stop the worker pool and release database connections."""
        self.drafts.close()
        self.db.dispose()


def open_service(settings: Settings | None = None, *, load_rulesets: bool = True) -> Service:
    """Connect, migrate to the newest schema, and load the repository's rulesets if missing."""
    settings = settings or Settings()
    engine = make_engine(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    migrate(engine)
    writer = make_engine(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms, writer=True) \
        if engine.dialect.name == "sqlite" else None
    service = Service(settings, Database(engine, busy_timeout_ms=settings.sqlite_busy_timeout_ms, writer=writer))
    if load_rulesets and settings.rulesets_dir is not None:
        from xinzhi.registry.service import load_repository_rulesets
        load_repository_rulesets(service, settings.rulesets_dir)
    return service
