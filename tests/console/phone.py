"""Phone widths in the browser, and what "readable" means there, measured on the rendered page.

A layout is refused when the page scrolls sideways, an element sticks out of the screen, a
box with ``overflow: hidden`` (or an ellipsis) cuts its text off, or a text is squeezed into
a column so narrow that it wraps every few characters (the ledger that was "a 30-pixel
column of vertical characters").
"""

from __future__ import annotations

import json
from pathlib import Path

from .cdp import Page

PHONES = {"360": (360, 740), "390": (390, 844), "414": (414, 896)}

_PROBLEMS = (Path(__file__).parent / "phone_layout.js").read_text(encoding="utf-8")


def as_phone(page: Page, width: int, height: int) -> None:
    """Make the tab a phone screen (a touch device honouring ``<meta name=viewport>``)."""
    page.call("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 2,
                                                     "mobile": True})


def layout_problems(page: Page) -> list[str]:
    """Everything on the rendered page a phone reader could not read (empty when it is fine)."""
    return page.eval(_PROBLEMS)


def frame_layout_problems(page: Page, frame: str) -> list[str]:
    """``layout_problems`` inside a same-origin iframe (``frame`` selects it), against the iframe's own width."""
    script = (_PROBLEMS.replace("getComputedStyle(", "win.getComputedStyle(").replace("document.", "doc.")
              .replace("(() => {", f"(() => {{ const frame = document.querySelector({json.dumps(frame)});"
                       " const doc = frame.contentDocument; const win = frame.contentWindow;", 1))
    return page.eval(script)
