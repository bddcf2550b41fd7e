"""The FastAPI app: wires settings, the store, error handlers and the routers. Nothing else."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI

from store import Settings, Store, open_store

from . import console, errors
from .access import POLICIES, AuditTrail, require
from .routers import appeals, audit, board, communities, council, facts, residents, review, rulesets, shop
from .routers import simulations


def create_app(settings: Settings | None = None, *, store: Store | None = None) -> FastAPI:
    """The app; it opens (and migrates) the store at start-up unless one is given."""
    settings = settings or (store.settings if store else Settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        owned = store is None
        app.state.store = store or open_store(settings)
        try:
            yield
        finally:
            if owned:
                app.state.store.close()

    app = FastAPI(title="信治 Xinzhi", version="0.1.0", lifespan=lifespan,
                  description="Community integrity points: rulesets, facts, an append-only explained ledger.")
    errors.install(app)
    app.add_middleware(errors.BodyLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(AuditTrail)
    for module in (communities, residents, rulesets, facts, shop, council, appeals, review, board, audit):
        name = module.__name__.rsplit(".", 1)[-1]
        app.include_router(module.router, dependencies=[require(POLICIES[name])])
    app.include_router(simulations.router, dependencies=[require(POLICIES["simulations"])])
    app.include_router(console.pages, dependencies=[require(POLICIES["console"])])
    app.include_router(console.helpers, dependencies=[require(POLICIES["console_api"])])

    @app.get("/health", tags=["service"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
