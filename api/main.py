"""The FastAPI app: wires settings, the store, error handlers and the routers. Nothing else."""

from __future__ import annotations

from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI

from xinzhi.service import Service, open_service
from xinzhi.settings import Settings
from xinzhi.simulations.jobs import SimulationJobs

from . import console, docs_page, errors
from .access import POLICIES, AuditTrail, require
from .bodies import StrictJsonRoute
from .headers import SecurityHeaders
from .logs import redact_access_log
from .routers import (
    adoption,
    appeals,
    audit,
    board,
    catalogue,
    communities,
    council,
    facts,
    residents,
    review,
    rulesets,
    shop,
    simulations,
)


def create_app(settings: Settings | None = None, *, service: Service | None = None) -> FastAPI:
    """The app; it opens (and migrates) the service at start-up unless one is given."""
    settings = settings or (service.settings if service else Settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        owned = service is None
        redact_access_log()
        app.state.service = service or open_service(settings)
        app.state.simulations = SimulationJobs(app.state.service)
        try:
            yield
        finally:
            # the runner stops: a running simulation goes back to the queue (its worker processes end)
            await anyio.to_thread.run_sync(app.state.simulations.close)
            if owned:
                app.state.service.close()

    app = FastAPI(title="信治 Xinzhi", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Community integrity points: rulesets, facts, an append-only explained ledger.")
    app.router.route_class = StrictJsonRoute  # its own routes' too (``/health``)
    app.include_router(docs_page.pages)  # Swagger UI and ReDoc load from a CDN: blank on a closed network
    errors.install(app)
    app.add_middleware(errors.BodyLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(AuditTrail)
    app.add_middleware(SecurityHeaders)
    for module in (communities, residents, rulesets, catalogue, adoption, facts, shop, council, appeals, review,
                   board, audit, simulations):
        name = module.__name__.rsplit(".", 1)[-1]
        app.include_router(module.router, dependencies=[require(POLICIES[name])], responses=errors.RESPONSES)
    app.include_router(console.pages, dependencies=[require(POLICIES["console"])])
    app.include_router(console.front, dependencies=[require(POLICIES["console"])])
    app.include_router(console.helpers, dependencies=[require(POLICIES["console_api"])], responses=errors.RESPONSES)

    @app.get("/health", tags=["service"])
    def health() -> dict[str, str | int]:
        """Liveness, how many anonymous writes were refused (counted here, never stored one by one), draft tasks."""
        running, waiting = app.state.service.drafts.load()
        return {"status": "ok", "anonymous_writes_refused": getattr(app.state, "anonymous_writes", 0),
                "draft_tasks_running": running, "draft_tasks_waiting": waiting}

    return app
