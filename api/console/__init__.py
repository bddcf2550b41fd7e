"""The browser console (/console): static pages served by the app, plus a few helper endpoints.

``pages`` is public (the HTML/JS/CSS and the lobby board's aggregate of active categories; ``front``,
the server's address, leads to them);
``helpers`` needs a token (who am I, run a draft's embedded tests without publishing).
"""

from ._router import STATIC, front, helpers, pages

__all__ = ["STATIC", "front", "helpers", "pages"]
