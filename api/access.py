"""Access control: who may call which endpoint, and the audit trail of every write.

A caller presents ``Authorization: Bearer <token>``; the token's roles decide:

- ``committee``: rulesets and publishing, appeals, reviews, objections' resolution, the audit trail
  (and reading what staff read);
- ``staff``: residents, facts, council cases, the shop and redemptions;
- ``resident``: their own score, ledger and redemptions, the shop's items, reporting a case,
  objecting to a publicized award. Asking about anyone else gives the same 404 as a
  resident who does not exist, so nothing is learned;
- no token (public): the public board and ``/health`` only.

Each router is included with one ``Policy`` (``api.main``): the roles that may read (GET)
and write (other methods), with per-route exceptions. Without a token the answer is 401,
with the wrong role 403.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

import anyio
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from xinzhi.access import ANONYMOUS, SYSTEM, AuditNote, Principal, auditing, open_note, record_audit, resolve_token
from xinzhi.errors import NotFound, ServiceCode
from xinzhi.messages import Message

from .errors import ApiCode, ApiError

C, S, R = "committee", "staff", "resident"
SAFE = ("GET", "HEAD", "OPTIONS")


BEARER = HTTPBearer(auto_error=False, description="a token from `xinzhi token create --role …`")


def current_principal(request: Request,
                      _: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)] = None) -> Principal:
    """The caller, resolved once per request (``XINZHI_AUTH=off`` makes everyone a superuser)."""
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    service = request.app.state.service
    if not service.settings.auth:
        principal = SYSTEM
    else:
        header = request.headers.get("authorization", "")
        scheme, _space, token = header.partition(" ")
        if not header:
            principal = ANONYMOUS
        elif scheme.lower() != "bearer" or not token.strip():
            raise ApiError(ApiCode.UNAUTHORIZED, Message.of("token_needed"))
        else:
            resolved = resolve_token(service, token.strip())
            if resolved is None:
                raise ApiError(ApiCode.UNAUTHORIZED, Message.of("token_unknown"))
            principal = resolved
    request.state.principal = principal
    note = open_note()
    if note is not None and principal is not ANONYMOUS:  # a write request: say who, for its audit record
        route = request.scope.get("route")
        params = request.path_params
        note.actor, note.roles, note.community = principal.actor, list(principal.roles), params.get("community")
        note.detail = {"route": getattr(route, "path", None), **{k: str(v) for k, v in params.items()}}
        note.status = getattr(route, "status_code", None) or 200
    return principal


CallerDep = Annotated[Principal, Depends(current_principal)]


@dataclass(frozen=True)
class Policy:
    """Roles allowed to read and to write a router's endpoints; ``routes`` overrides per (method, path)."""

    read: frozenset[str] = frozenset()
    write: frozenset[str] = frozenset()
    routes: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)
    public: bool = False

    def allowed(self, method: str, path: str) -> frozenset[str]:
        """``path`` is the route's template (``/communities/{community}/…``), not the URL requested."""
        if (method, path) in self.routes:
            return self.routes[(method, path)]
        return self.read if method in SAFE else self.write


def roles(*names: str) -> frozenset[str]:
    """Shorthand that keeps the ``POLICIES`` table below readable."""
    return frozenset(names)


def not_found_for_resident(community: str, resident: str | None) -> NotFound:
    """The 404 a resident gets for anyone but themself: the same as for a resident who does not exist."""
    return NotFound(ServiceCode.RESIDENT_NOT_FOUND, Message.of("no_resident", community=community, resident=resident)
                    if resident else Message.of("nothing_found"))


def require(policy: Policy):
    """A router-level dependency enforcing ``policy``."""

    def check(request: Request, caller: CallerDep) -> Principal:
        if policy.public or caller is SYSTEM:
            return caller
        route = request.scope.get("route")
        allowed = policy.allowed(request.method, getattr(route, "path", request.url.path))
        params = request.path_params
        if not caller.roles:
            raise ApiError(ApiCode.UNAUTHORIZED, Message.of("token_needed"))
        community = params.get("community")
        if caller.community and community and community != caller.community:
            note = open_note()
            if note is not None:  # a refused call is recorded in the caller's community, not the one it tried
                note.community = caller.community
        granted = caller.roles & allowed
        if not granted:
            if caller.roles == {R} and "resident" in params:
                raise not_found_for_resident(community or "", params["resident"])
            raise ApiError(ApiCode.FORBIDDEN, Message.of("role_needed", needed=" / ".join(sorted(allowed)) or "—",
                                                         held=", ".join(sorted(caller.roles))))
        if caller.community and community and community != caller.community:
            if granted == {R}:
                raise not_found_for_resident(community, params.get("resident"))
            raise ApiError(ApiCode.FORBIDDEN, Message.of("token_elsewhere", community=caller.community))
        if granted == {R} and "resident" in params and params["resident"] != caller.resident:
            raise not_found_for_resident(community or "", params["resident"])
        return caller

    return Depends(check)


def acting_for(caller: Principal, resident: str | None, community: str) -> str | None:
    """The resident a call may concern: a resident-only caller is always themself."""
    if caller is SYSTEM or caller.has(C, S):
        return resident
    if resident is not None and resident != caller.resident:
        raise not_found_for_resident(community, resident)
    return caller.resident


class AuditTrail:
    """ASGI middleware: every write request leaves one audit record (route, status, token id, roles).

    It opens the request's ``AuditNote``; the write transaction commits the record with the
    write. A request that wrote nothing is recorded after its answer, with the status.
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        """Requests that never presented a token are counted, not stored row by row."""
        if scope["type"] != "http" or scope["method"] in SAFE:
            return await self.app(scope, receive, send)
        status = {"code": 500}

        async def watch(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        note = AuditNote(action=f"{scope['method']} {scope['path']}")
        with auditing(note):
            try:
                await self.app(scope, receive, watch)
            finally:
                await self._record(scope, note, status["code"])

    @staticmethod
    async def _record(scope, note: AuditNote, status: int) -> None:
        service = getattr(scope["app"].state, "service", None)
        if service is None or note.written:
            return
        if note.actor is None:  # refused before it could write
            state = scope["app"].state
            state.anonymous_writes = getattr(state, "anonymous_writes", 0) + 1
            return
        await anyio.to_thread.run_sync(lambda: record_audit(service, note, status=status))


P = "/communities/{community}"
POLICIES: dict[str, Policy] = {
    "communities": Policy(read=roles(C, S), write=roles(C),
                          routes={("POST", f"{P}/jobs/expire"): roles(C, S), ("GET", P): roles(C, S, R)}),
    "residents": Policy(read=roles(C, S, R), write=roles(S),
                        routes={("GET", f"{P}/residents"): roles(C, S),
                                ("GET", f"{P}/residents/template.csv"): roles(C, S),
                                ("GET", f"{P}/residents/template.xlsx"): roles(C, S)}),
    "rulesets": Policy(read=roles(C, S), write=roles(C)),
    "catalogue": Policy(read=roles(C, S), write=roles(C)),
    "adoption": Policy(read=roles(C, S), write=roles(C)),
    "facts": Policy(read=roles(C, S), write=roles(S), routes={("POST", f"{P}/dry-run"): roles(C, S)}),
    "shop": Policy(read=roles(C, S, R), write=roles(S), routes={("POST", f"{P}/shop/redemptions"): roles(S, R)}),
    "council": Policy(read=roles(C, S), write=roles(S), routes={("POST", f"{P}/cases"): roles(S, R)}),
    "appeals": Policy(read=roles(C), write=roles(C)),
    "review": Policy(read=roles(C, S), write=roles(C), routes={("POST", f"{P}/objections"): roles(S, R)}),
    "board": Policy(public=True),
    "audit": Policy(read=roles(C)),
    "simulations": Policy(read=roles(C), write=roles(C)),
    # the console's pages are static files (public); their data comes from the API with the user's token
    "console": Policy(public=True),
    "console_api": Policy(read=roles(C, S, R), write=roles(C)),
}
