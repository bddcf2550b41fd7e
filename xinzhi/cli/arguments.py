"""What a command's arguments may be, checked by argparse before any work: a bad one is its usage line and exit 2.

Found by attack: ``--as-of 20261101`` was read (and wrote 303 period awards), ``--as-of 0001-01-01``
and ``--port 99999`` were tracebacks, ``xinzhi simulate --workers 100000`` started 129 processes.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable

from xinzhi.engine.moments import FIRST_DAY, ISO_DAY, LAST_DAY


def day(text: str) -> dt.date:
    """A day written YYYY-MM-DD (as the API takes it), in the years records are kept for."""
    if not ISO_DAY.fullmatch(text):
        raise argparse.ArgumentTypeError(f"write the day as YYYY-MM-DD (2024-02-29), not {text!r}")
    try:
        written = dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"there is no day {text}") from None
    if not FIRST_DAY <= written <= LAST_DAY:
        raise argparse.ArgumentTypeError(f"a day lies in {FIRST_DAY.year}–{LAST_DAY.year}, not {text}")
    return written


def whole(least: int, most: int) -> Callable[[str], int]:
    """A whole number from ``least`` to ``most``."""
    def read(text: str) -> int:
        try:
            number = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not least <= number <= most:
            raise argparse.ArgumentTypeError(f"{number} is not between {least:,} and {most:,}")
        return number
    return read


LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")
