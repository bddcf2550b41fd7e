"""Routes of the console: its static files, and helpers the pages need beyond the resource API."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, RedirectResponse

from xinzhi.engine import Problem
from xinzhi.errors import ServiceCode, ServiceError
from xinzhi.messages import Message, problem_text
from xinzhi.registry import propose_expectations, run_draft_tests
from xinzhi.review import category_activity

from ..access import CallerDep
from ..bodies import StrictJsonRoute
from ..deps import CommunityId, ServiceDep
from ..errors import DRAFT_RESPONSES, ApiCode, ApiError, reader_language
from ..routers.rulesets import YAML_BODY, YAML_TYPES, text_body

STATIC = Path(__file__).with_name("static")
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml", ".ico": "image/x-icon"}
MAX_DRAFT_BYTES = 512 * 1024

pages = APIRouter(prefix="/console", tags=["console"], include_in_schema=False, route_class=StrictJsonRoute)
front = APIRouter(tags=["console"], include_in_schema=False, route_class=StrictJsonRoute)  # the server's own address
helpers = APIRouter(prefix="/console/api", tags=["console"], route_class=StrictJsonRoute)


def _file(name: str) -> FileResponse:
    path = (STATIC / name).resolve()
    if path.parent != STATIC.resolve() or path.suffix not in TYPES or not path.is_file():
        raise ApiError(ApiCode.NOT_FOUND, f"the console has no file '{name}'")
    return FileResponse(path, media_type=TYPES[path.suffix], headers={"cache-control": "no-cache"})


@pages.get("")
def console_root() -> RedirectResponse:
    return RedirectResponse("/console/", status_code=307)


@front.get("/")
def front_door() -> RedirectResponse:
    """The address a person types (http://server:8000/) opens the console, not a JSON error (found by use)."""
    return RedirectResponse("/console/", status_code=307)


@pages.get("/")
def console_index() -> FileResponse:
    """The console's single page (sign-in, then the pages of the token's roles)."""
    return _file("index.html")


@pages.get("/board")
def lobby_board() -> FileResponse:
    """The full-screen lobby board (public)."""
    return _file("board.html")


@pages.get("/static/{name}")
def static_file(name: str) -> FileResponse:
    return _file(name)


@pages.get("/board-data/{community}/categories")
def active_categories(db: ServiceDep, community: CommunityId,
                      month: str | None = Query(default=None, pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])$",
                                                description="2000-01 … 2099-12 (default this month)")
                      ) -> dict[str, Any]:
    """This month's most active categories (entries and points awarded): aggregates only, no residents."""
    return category_activity(db, community, month)


@helpers.get("/me")
def whoami(caller: CallerDep) -> dict[str, Any]:
    """The signed-in token: roles and scope (the console shows only the pages of these roles)."""
    return {"actor": caller.actor, "roles": sorted(caller.roles), "community": caller.community,
            "resident": caller.resident}


@helpers.post("/communities/{community}/rulesets/test", openapi_extra=YAML_BODY, responses=DRAFT_RESPONSES)
async def draft_tests(request: Request, db: ServiceDep, community: CommunityId, caller: CallerDep,
                      name: str = Query(default="draft.yaml", max_length=200)) -> dict[str, Any]:
    """Run a draft text's embedded tests without storing it; 422 lists problems if it does not load.

    With failures comes ``expectations``: the line edits that would make the failed tests
    expect what came (``propose_expectations``), for the editor to offer; nothing is changed here.
    Each failure is said in the reader's language (the editor shows it where a fact was refused).
    """
    text = await text_body(request, YAML_TYPES)
    if len(text.encode()) > MAX_DRAFT_BYTES:
        raise ServiceError(ServiceCode.REQUEST_TOO_LARGE, Message.of("ruleset_too_long", most=MAX_DRAFT_BYTES))
    outcome = await run_in_threadpool(run_draft_tests, db, community, text, name=name, actor=caller.actor)
    tests = outcome["tests"]
    expectations = await run_in_threadpool(propose_expectations, text, tests)
    language = reader_language(request)
    return {"ruleset": outcome["ruleset"], "passed": sum(1 for t in tests if t["passed"]), "total": len(tests),
            "tests": [_in_words(t, language) for t in tests], "expectations": expectations,
            "checked_at": dt.datetime.now(dt.UTC).isoformat()}


def _in_words(test: dict[str, Any], language: str) -> dict[str, Any]:
    """A test's outcome with each failure in ``language``, made from what it says (``said``, one per failure)."""
    said = test.pop("said", [])
    test["failures"] = [problem_text(Problem(code=s["code"], message=english, says=s["says"], params=s["params"]),
                                     language) for english, s in zip(test["failures"], said, strict=True)]
    return test
