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
_SECRET = re.compile(r"(?i)((?:^|[&;])(?:access[_-]?token|token|api[_-]?key|key|secret|password|auth[a-z_]*)=)"
                     r"[^&;#\s]*")
#: A token wherever it stands in the query, under any name (``?t=xz_…``).
_TOKEN = re.compile(re.escape(PREFIX) + r"[^&;#\s]*", re.IGNORECASE)


def redacted(path: str) -> str:
    """``path`` with its query read as the server reads it, each secret-sounding value and each token written ``***``.

    The query is decoded first (to a fixed point: ``%2574`` is ``%74`` is ``t``), since a name
    or a token spelled in escapes (``?%74oken=``, ``access%5Ftoken``) is the same to the server and
    to whoever decodes the log (found by attack).
    """
    base, mark, query = path.partition("?")
    if not mark:
        return path
    for _ in range(4):
        decoded = unquote_plus(query)
        if decoded == query:
            break
        query = decoded
    return base + "?" + _TOKEN.sub(PREFIX + "***", _SECRET.sub(r"\1***", query))


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
