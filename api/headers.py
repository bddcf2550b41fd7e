"""Security headers on every answer: what a browser may load, frame and sniff, however a page came to hold data.

The console escapes every stored name (its ``h()`` sets text, never HTML) and a simulation
report is escaped where it is written; these headers are the second line should that ever
slip. The console runs only its own scripts; every other page (a report, ``/docs``) runs no
script at all and loads nothing from elsewhere. Pages are framed only by this origin (the
console shows a report in a frame); JSON never.
"""

from __future__ import annotations

from typing import Any

#: The console: its own scripts and styles (its bars and editor set ``style`` attributes), its own API.
CONSOLE_POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; "
                  "base-uri 'none'; form-action 'self'; frame-ancestors 'self'")
#: Any other page (a simulation report, ``/docs``): no script, nothing loaded, its own inline style.
PAGE_POLICY = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
               "frame-ancestors 'self'")
#: Anything else (JSON, CSV, a workbook): nothing to run, never framed.
DATA_POLICY = "default-src 'none'; frame-ancestors 'none'"

_ALWAYS = ((b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin"))


def policy_for(path: str, content_type: str) -> str:
    """The Content-Security-Policy of an answer at ``path`` of ``content_type``."""
    if not content_type.startswith("text/html"):
        return DATA_POLICY
    return CONSOLE_POLICY if path == "/console" or path.startswith("/console/") else PAGE_POLICY


def headers_for(path: str, content_type: str) -> list[tuple[bytes, bytes]]:
    """Every security header of an answer at ``path`` of ``content_type``, as ASGI writes them."""
    policy = policy_for(path, content_type)
    framing = b"DENY" if policy == DATA_POLICY else b"SAMEORIGIN"  # for browsers that predate CSP
    return [*_ALWAYS, (b"content-security-policy", policy.encode()), (b"x-frame-options", framing)]


class SecurityHeaders:
    """ASGI middleware: each answer gets its policy (``policy_for``), ``nosniff`` and a same-origin referrer.

    Outermost but for Starlette's own error middleware: a 500 gets them from its handler
    (``api.errors``), a refusal made before any route (a body too large) from here.
    """

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope, receive, send):
        """Headers added as the answer starts; those a route set itself are kept."""
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                named = {name.lower() for name, _ in headers}
                content_type = next((value for name, value in headers if name.lower() == b"content-type"), b"")
                headers += [(name, value) for name, value in headers_for(scope["path"], content_type.decode("latin-1"))
                            if name not in named]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
