"""The one place errors become HTTP: ``application/problem+json`` with a stable ``code``.

Body shape (RFC 9457 plus two members): ``type``, ``title``, ``status``, ``detail``,
``code`` (branch on this, never on the wording) and ``errors[]`` — the engine's ``Problem``
items, each with its own ``code`` and ``message`` and, where known, ``file``/``line``/
``column`` (rulesets), ``row`` (CSV lines), ``path`` (``rules[2].award``,
``facts[0].fields.hours``, ``source.period``) and ``fact_id``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar, cast

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ExceptionHandler

from xinzhi.engine import Problem, RulesetError, XinzhiError
from xinzhi.engine.amounts import to_json
from xinzhi.engine.errors import input_problems
from xinzhi.errors import ServiceCode, ServiceError
from xinzhi.messages import Message, language_of, problem_text, title
from xinzhi.spreadsheets import XLSX_MEDIA_TYPE

from .headers import headers_for

log = logging.getLogger("xinzhi.api")

MEDIA_TYPE = "application/problem+json"


class ApiCode(StrEnum):
    """Codes only the HTTP layer meets (the services never raise them); docs/api.md lists them too."""

    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    INTERNAL = "internal_error"


class ApiError(Exception):
    """A request the HTTP layer refuses itself (no token, wrong role, no such file, wrong media type)."""

    def __init__(self, code: ApiCode, detail: str | Message, problems: Iterable[Problem] = ()):
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.problems = list(problems)


Code = ServiceCode | ApiCode

STATUS: dict[Code, int] = {  # the title a person reads is xinzhi.messages'
    ServiceCode.COMMUNITY_NOT_FOUND: 404,
    ServiceCode.RESIDENT_NOT_FOUND: 404,
    ServiceCode.RULESET_NOT_FOUND: 404,
    ServiceCode.ZONE_NOT_DECLARED: 422,
    ServiceCode.ROLE_NOT_DECLARED: 422,
    ServiceCode.CONFIGURATION_IN_USE: 409,
    ServiceCode.RULESET_INVALID: 422,
    ServiceCode.RULESET_TESTS_FAILED: 422,
    ServiceCode.RULESET_PUBLISHED: 409,
    ServiceCode.RULESET_DATES_OVERLAP: 409,
    ServiceCode.RULESET_PARENT_UNPUBLISHED: 409,
    ServiceCode.DRAFT_TOO_SLOW: 422,
    ServiceCode.DRAFTS_BUSY: 429,
    ServiceCode.FACTS_REJECTED: 422,
    ServiceCode.FACT_UNKNOWN_RESIDENT: 422,
    ServiceCode.FACT_UNKNOWN_HOUSEHOLD: 422,
    ServiceCode.FACT_WRONG_HOUSEHOLD: 422,
    ServiceCode.RESIDENT_WITHOUT_HOUSEHOLD: 422,
    ServiceCode.FACT_IN_FUTURE: 422,
    ServiceCode.AS_OF_IN_FUTURE: 422,
    ServiceCode.REQUEST_INVALID: 422,
    ServiceCode.BATCH_TOO_LARGE: 413,
    ServiceCode.REQUEST_TOO_LARGE: 413,
    ServiceCode.ITEM_NOT_FOUND: 404,
    ServiceCode.ITEM_INACTIVE: 409,
    ServiceCode.OUT_OF_STOCK: 409,
    ServiceCode.INSUFFICIENT_POINTS: 409,
    ServiceCode.TIER_TOO_LOW: 409,
    ServiceCode.REDEMPTION_NOT_FOUND: 404,
    ServiceCode.REDEMPTION_CANCELLED: 409,
    ServiceCode.REDEMPTION_ID_CONFLICT: 409,
    ServiceCode.REDEMPTION_DATE_INVALID: 422,
    ServiceCode.CASE_NOT_FOUND: 404,
    ServiceCode.CASE_WRONG_STATE: 409,
    ServiceCode.ENTRY_NOT_FOUND: 404,
    ServiceCode.ENTRY_ALREADY_CORRECTED: 409,
    ServiceCode.ENTRY_UNDER_REVIEW: 409,
    ServiceCode.REVIEW_NOT_FOUND: 404,
    ServiceCode.REVIEW_DECIDED: 409,
    ServiceCode.OBJECTION_NOT_FOUND: 404,
    ServiceCode.OBJECTION_RESOLVED: 409,
    ServiceCode.OBJECTION_OPEN: 409,
    ServiceCode.PUBLICITY_CLOSED: 409,
    ServiceCode.CATALOGUE_NOT_FOUND: 404,
    ServiceCode.CATALOGUE_CONFLICT: 409,
    ServiceCode.RULESET_NOT_PUBLISHED: 409,
    ServiceCode.BUNDLE_INVALID: 422,
    ServiceCode.BODY_NOT_DECLARED: 422,
    ServiceCode.RULESET_EXISTS: 409,
    ServiceCode.ADOPTION_INCOMPLETE: 409,
    ServiceCode.SIMULATION_NOT_FOUND: 404,
    ServiceCode.SIMULATION_NOT_READY: 409,
    ServiceCode.SIMULATION_FAILED: 500,
    ServiceCode.SIMULATION_FINISHED: 409,
    ServiceCode.SIMULATIONS_BUSY: 429,
    ApiCode.UNAUTHORIZED: 401,
    ApiCode.FORBIDDEN: 403,
    ApiCode.NOT_FOUND: 404,
    ApiCode.METHOD_NOT_ALLOWED: 405,
    ApiCode.UNSUPPORTED_MEDIA_TYPE: 415,
    ApiCode.INTERNAL: 500,
}


class ProblemBody(BaseModel):
    """Every error answer (``application/problem+json``): branch on ``code``; ``errors`` locates each problem."""

    type: str
    title: str
    status: int
    code: str
    detail: str
    errors: list[Problem]
    errors_total: int | None = Field(default=None, description="how many problems there were, when more than listed")


def _declared(status: int, when: str) -> dict[str, Any]:
    return {"model": ProblemBody, "description": when, "content": {MEDIA_TYPE: {}}}


#: What every route may answer besides success; routers are included with these (api.main).
RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _declared(401, "no token, or one that is not valid (unauthorized)"),
    403: _declared(403, "the token's roles may not do this (forbidden)"),
    404: _declared(404, "no such community, resident, version, item, case, entry … (a stable `code` says which)"),
    409: _declared(409, "refused by the state of things: points, stock, tier, already decided … (see `code`)"),
    413: _declared(413, "the body or a batch is larger than allowed"),
    415: _declared(415, "a body of another media type than the endpoint takes"),
    422: _declared(422, "the request or what it names has problems, each listed in `errors`"),
    500: _declared(500, "the server failed; nothing was stored"),
}

#: What the routes that hand a draft to the worker pool may answer besides (registry.drafts).
DRAFT_RESPONSES: dict[int | str, dict[str, Any]] = {
    429: {**_declared(429, "this caller's draft tasks are already running or waiting (drafts_busy)"),
          "headers": {"Retry-After": {"description": "seconds to wait before trying again",
                                      "schema": {"type": "integer"}}}},
}

MAX_PROBLEMS = 100  # an answer lists this many and counts the rest: a bad request cannot make a huge reply
MAX_TEXT = 1_000  # and each text of it (a detail, a message, a path, an id) this many characters


def problem(code: Code, detail: str | Message, problems: list[Problem] | None = None, *, status: int | None = None,
            language: str = "en", **extra: Any) -> JSONResponse:
    """A problem+json response for ``code``, its ``errors[]`` the first problems as the engine dumps them.

    ``title`` (and ``detail``, when it is a ``Message``) are in ``language``; ``Content-Language`` says which.
    """
    default_status = STATUS[code]
    problems = problems or []
    if isinstance(detail, Message):
        detail = detail.render(language)
    elif problems and language != "en" and problem_text(problems[0], language) != problems[0].message:
        # an English detail over problems said in the reader's language: say it from them
        detail = problem_text(problems[0], language) if len(problems) == 1 else \
            Message.of("problems_listed", n=len(problems)).render(language)
    body = {"type": f"urn:xinzhi:problem:{code.value}", "title": title(code.value, language),
            "status": status or default_status,
            "code": code.value, "detail": _bounded(detail),
            "errors": [{key: _bounded(value) for key, value in {**p.model_dump(mode="json"),
                                                                 "message": problem_text(p, language)}.items()}
                       for p in problems[:MAX_PROBLEMS]],
            **jsonable_encoder(extra, custom_encoder={Decimal: to_json})}  # an amount: a number, exactly
    if len(problems) > MAX_PROBLEMS:
        body.setdefault("errors_total", len(problems))  # or what a service counted of more than it kept
    return JSONResponse(body, status_code=status or default_status, media_type=MEDIA_TYPE,
                        headers={"Content-Language": language})


def _bounded(value: Any) -> Any:
    """Text of an answer cut to ``MAX_TEXT`` characters: a 3 MB id, echoed in each message, made a 24 MB answer."""
    return value[:MAX_TEXT] + "…" if isinstance(value, str) and len(value) > MAX_TEXT else value


def said_to(request: Request, problems: list[Problem]) -> list[Problem]:
    """Problems in an answer that is not a refusal (a preview, an import's skipped rows), in the reader's language."""
    language = reader_language(request)
    return [p.model_copy(update={"message": problem_text(p, language)}) for p in problems]


def reader_language(request: Request) -> str:
    """The language the caller reads: ``Accept-Language`` (the console sends its switch), English by default."""
    return language_of(request.headers.get("accept-language"))


#: Seconds to wait before asking again, for a refusal that only says "not now".
_RETRY_AFTER = {ServiceCode.DRAFTS_BUSY: "5", ServiceCode.SIMULATIONS_BUSY: "30"}


async def _service_error(request: Request, exc: ServiceError) -> JSONResponse:
    answer = problem(exc.code, exc.message or exc.detail, exc.problems, language=reader_language(request),
                     **exc.extra)
    if exc.code in _RETRY_AFTER:
        answer.headers["Retry-After"] = _RETRY_AFTER[exc.code]
    return answer


async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
    return problem(exc.code, exc.detail, exc.problems, language=reader_language(request))


async def _engine_error(request: Request, exc: Exception) -> JSONResponse:
    """An engine error no service turned into a ``ServiceError``: still a 422 with its problems, never a 500."""
    problems = exc.problems if isinstance(exc, XinzhiError) else []
    language = reader_language(request)
    if isinstance(exc, RulesetError):
        return problem(ServiceCode.RULESET_INVALID, Message.of("ruleset_problems"), problems, language=language)
    return problem(ServiceCode.FACTS_REJECTED, Message.of("facts_rejected"), problems, language=language)


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    # The location (body, query, path) is left out of the path: ``facts[0].id``, ``as_of``.
    errors = exc.errors()
    if any(tuple(e.get("loc", ())) == ("body",) and isinstance(e.get("input"), bytes) for e in errors):
        # FastAPI reads JSON only when the request says it is JSON: these bytes were never read
        media = request.headers.get("content-type")
        return problem(ApiCode.UNSUPPORTED_MEDIA_TYPE, Message.of(
            "send_json", media=media[:100] if media else Message.of("no_media")), language=reader_language(request))
    problems = input_problems(errors[:MAX_PROBLEMS], ServiceCode.REQUEST_INVALID, skip=1)
    extra = {"errors_total": len(errors)} if len(errors) > MAX_PROBLEMS else {}
    return problem(ServiceCode.REQUEST_INVALID, Message.of("request_shape"), problems,
                   language=reader_language(request), **extra)


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    language = reader_language(request)
    if exc.status_code == 404:
        return problem(ApiCode.NOT_FOUND, Message.of("no_endpoint"), language=language)
    if exc.status_code == 405:
        answer = problem(ApiCode.METHOD_NOT_ALLOWED, Message.of("no_method"), language=language)
        answer.headers.update(exc.headers or {})  # Allow: the methods it does take
        return answer
    if exc.status_code == 400:
        # FastAPI's answer to a body it could not read, whose cause ``api.bodies`` says: like any other
        # malformed body, a 422 ``request_invalid`` (400 is not an answer the API declares)
        if isinstance(exc.__cause__, ServiceError):
            return await _service_error(request, exc.__cause__)
        return problem(ServiceCode.REQUEST_INVALID, Message.of("body_unreadable"), language=language)
    code: Code = ServiceCode.REQUEST_INVALID if exc.status_code < 500 else ApiCode.INTERNAL
    return problem(code, str(exc.detail), status=exc.status_code)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    """A failure no one foresaw: answered by Starlette's outermost middleware, so it adds the security headers."""
    log.exception("unhandled error", exc_info=exc)
    answer = problem(ApiCode.INTERNAL, "the server failed to handle this request; nothing was stored")
    for name, value in headers_for(request.url.path, MEDIA_TYPE):
        answer.headers[name.decode()] = value.decode()
    return answer


E = TypeVar("E", bound=Exception)


def _on(app: FastAPI, kind: type[E], handler: Callable[[Request, E], Awaitable[JSONResponse]]) -> None:
    """Checks ``handler`` against ``kind``, which Starlette's ``ExceptionHandler`` (any ``Exception``) cannot."""
    app.add_exception_handler(kind, cast(ExceptionHandler, handler))


def install(app: FastAPI) -> None:
    """Register the exception handlers on ``app``, and document their answers as they are sent."""
    _on(app, ServiceError, _service_error)
    _on(app, ApiError, _api_error)
    _on(app, XinzhiError, _engine_error)
    _on(app, RequestValidationError, _validation_error)
    _on(app, StarletteHTTPException, _http_error)
    _on(app, Exception, _unexpected)
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _file_problems(generate())
        return generate()  # FastAPI's own, cached with the problems filed

    app.openapi = openapi  # type: ignore[method-assign]


_PROBLEM_REF = f"#/components/schemas/{ProblemBody.__name__}"


def _file_problems(spec: dict[str, Any]) -> None:
    """Move ``ProblemBody`` to ``application/problem+json`` in every answer of the OpenAPI document.

    FastAPI files a declared response model under the route's own media type (``application/json``,
    ``text/csv`` for an export), which no problem is sent as: a client, or a schema check, looks the
    schema up by the type the answer carries, found it empty and so never checked a problem body.
    """
    for methods in spec.get("paths", {}).values():
        for operation in methods.values():
            for answer in operation.get("responses", {}).values():
                content = answer.get("content", {})
                filed = [media for media, entry in content.items()
                         if media != MEDIA_TYPE and entry.get("schema", {}).get("$ref") == _PROBLEM_REF]
                if MEDIA_TYPE in content and filed:
                    content[MEDIA_TYPE]["schema"] = content.pop(filed[0])["schema"]


SPREADSHEET_BODIES = (b"text/csv", b"application/csv", b"text/plain", XLSX_MEDIA_TYPE.encode())




class BodyLimit:
    """ASGI middleware: refuse a request body larger than ``max_bytes`` with 413, before any work."""

    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        """The body is read whole before the app runs, then replayed to it as one message."""
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers: dict[bytes, bytes] = {}
        for name, value in scope.get("headers") or []:
            headers.setdefault(name, value)  # the first of a name, as Starlette (and so FastAPI) reads it
        language = language_of(headers.get(b"accept-language", b"").decode("latin-1"))
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            return await self._refuse(scope, receive, send, language)
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_bytes:
                return await self._refuse(scope, receive, send, language)
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        media = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        # bytes read and checked by their reader (a spreadsheet in UTF-16 or .xlsx; JSON by ``api.bodies``)
        read_later = media.endswith(b"json") or media in SPREADSHEET_BODIES
        if (b"\x00" in body and not read_later) or b"%00" in scope.get("query_string", b"") \
                or "\x00" in scope.get("path", ""):
            response = problem(ServiceCode.REQUEST_INVALID, Message.of("unstorable_text"), language=language)
            return await response(scope, receive, send)
        sent = False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return await self.app(scope, replay, send)

    async def _refuse(self, scope, receive, send, language: str):
        response = problem(ServiceCode.REQUEST_TOO_LARGE, Message.of("body_too_large", most=self.max_bytes),
                           language=language)
        await response(scope, receive, send)
