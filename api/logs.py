"""What the access log keeps: the path asked for, never a secret a client put in its query string.

Tokens are taken from the ``Authorization`` header only, and one sent as ``?access_token=`` is
refused (401); but uvicorn's access log wrote the whole path, so the refused secret stayed in
the server's log (found by attack). Values of secret-sounding parameters, and anything that
looks like a token under any name, are written as ``***``.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote_plus

from xinzhi.access import PREFIX

#: Query parameters whose values are secrets, whatever case or separator the client used.
_SECRET_NAME = re.compile(r"(?i)access[_-]?token|token|api[_-]?key|key|secret|password|auth[a-z_]*")


def _decoded(text: str) -> str:
    """``text`` as the server reads it, to a fixed point (``%2574`` is ``%74`` is ``t``)."""
    for _ in range(4):
        once = unquote_plus(text)
        if once == text:
            break
        text = once
    return text


def redacted(path: str) -> str:
    """``path`` with the value of each secret-sounding parameter, and any token under any name, written ``***``.

    Each parameter is judged as the server reads it (decoded: ``?%74oken=``, ``access%5Ftoken``,
    found by attack) but written as the client sent it: a decoded query wrote a ``%0A`` as a new
    log line (a forged entry, found by a second attack) and cut a value at its decoded ``&``.
    """
    base, mark, query = path.partition("?")
    if not mark:
        return path
    pieces = re.split(r"([&;])", query)  # the separators at odd places
    for i in range(0, len(pieces), 2):
        name, equals, value = pieces[i].partition("=")
        if PREFIX in _decoded(name).lower():
            pieces[i] = "***"
        elif equals and (_SECRET_NAME.fullmatch(_decoded(name).strip()) or PREFIX in _decoded(value).lower()):
            pieces[i] = f"{name}=***"
    return base + "?" + "".join(pieces)


class RedactSecrets(logging.Filter):
    """A filter for ``uvicorn.access``: its third argument is the path with its query."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrites the record's path; keeps every record."""
        if isinstance(record.args, tuple) and len(record.args) >= 3 and isinstance(record.args[2], str):
            record.args = (*record.args[:2], redacted(record.args[2]), *record.args[3:])
        return True


def redact_access_log() -> None:
    """Install the filter once (the app's start-up: after uvicorn has configured its loggers)."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactSecrets) for f in access.filters):
        access.addFilter(RedactSecrets())
