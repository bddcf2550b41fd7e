"""The browser console (/console): static pages served by the app, plus a few helper endpoints.

``pages`` is public (the HTML/JS/CSS and the lobby board's aggregate of active categories);
``helpers`` needs a token (who am I, run a draft's embedded tests without publishing).
"""

from ._router import STATIC, helpers, pages

__all__ = ["STATIC", "helpers", "pages"]
