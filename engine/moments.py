"""When a fact happened, read as people write it: ISO 8601 and the spellings an office's spreadsheet uses.

One place for reading a moment (a fact's ``occurred_at``) and a day (a ``date`` field), so a
JSON body, a CSV cell, an .xlsx cell and a ruleset's test read them alike.

- ISO 8601, with or without an offset (no offset = Asia/Shanghai time, as before).
- Year first with ``-``, ``/``, ``.`` or 年月日, the time optional, the hour in one or two
  digits: ``2026/11/20 9:00``, ``2026.11.20``, ``2026年11月20日 9时30分``.
- Digits alone: eight are a day (``20261120``), twelve or fourteen a day and a time. Never a
  Unix time: pydantic's default reads ``20261120`` as a count of seconds (1970-08-23).
- Refused, with the reason: a number, a day and month whose order cannot be told
  (``05/06/2026``), a two-digit year, a day that does not exist.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import BeforeValidator

from .errors import Refusal

#: The years a community keeps records for: every day a client or a ruleset names lies in them, so no
#: date arithmetic (a lookback before a standard's start, the day after its end) leaves what ``date`` holds.
FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2099, 12, 31)
#: A day as a request or a command line writes it where a day alone is asked for: ISO 8601's and nothing else.
ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

_SEP = r"\s*[-/.]\s*"
_DAY = (rf"(?P<y>\d{{4}})(?:{_SEP}(?P<m>\d{{1,2}}){_SEP}(?P<d>\d{{1,2}})"
        r"|\s*年\s*(?P<cm>\d{1,2})\s*月\s*(?P<cd>\d{1,2})\s*[日号]?)")
_TIME = (r"(?:(?:\s+|\s*T\s*|(?<=[日号])\s*)(?P<H>\d{1,2})\s*"
         r"(?:[:：]\s*(?P<M>\d{1,2})(?:\s*[:：]\s*(?P<S>\d{1,2}))?"  # 9:30, 9:30:15
         r"|[时点]\s*(?:(?P<CM>\d{1,2})\s*分\s*(?:(?P<CS>\d{1,2})\s*秒)?)?))?")  # 9时, 9时30分, 9点30分15秒
_WRITTEN = re.compile(rf"{_DAY}{_TIME}")
#: What programs send (and most facts are): ISO 8601 with a time and an offset, left to pydantic in one regex.
ISO_WITH_OFFSET = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d{1,6})?)?(?:Z|[+-]\d\d:\d\d)")
#: ISO 8601 without an offset, as exports and the synthetic population write it: read here at once, as the
#: year-first spellings below would read it (the same moment, or the same refusal), without their six regexes.
LOCAL_ISO = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d))?")
_DIGITS = re.compile(r"\d+")
_YEAR_LAST = re.compile(r"(?P<a>\d{1,2})\s*[-/.]\s*(?P<b>\d{1,2})\s*[-/.]\s*(?P<y>\d{4})(?P<rest>\D.*)?")
_SHORT_LAST = re.compile(r"\d{1,2}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{2}(?:\D.*)?")
_SHORT_YEAR = re.compile(r"\d{2}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{1,2}(?:\D.*)?")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _from_digits(text: str) -> dt.datetime:
    if len(text) not in (8, 12, 14):
        raise Refusal(f"{text!r} is not a date: write 2026-11-20 09:00 (eight digits are read as YYYYMMDD)",
                      "moment.digits", text=text)
    clock = [int(text[i:i + 2]) for i in range(8, len(text), 2)] + [0, 0, 0]
    return _moment(text, int(text[0:4]), int(text[4:6]), int(text[6:8]), *clock[:3])


def _moment(text: str, year: int, month: int, day: int, hour: int = 0, minute: int = 0,
            second: int = 0) -> dt.datetime:
    try:  # no offset written: Asia/Shanghai, set where facts are read
        return dt.datetime(year, month, day, hour, minute, second)  # noqa: DTZ001
    except ValueError as exc:
        raise Refusal(f"{text!r} is not a real date and time ({exc})", "moment.unreal", text=text) from None


def _written(text: str, shown: str) -> dt.datetime | None:
    """A year-first spelling, or None for anything else (left to ISO 8601); ``shown`` as the person wrote it."""
    match = _WRITTEN.fullmatch(text)
    if match is None:
        return None
    month, day = (match["m"], match["d"]) if match["m"] else (match["cm"], match["cd"])
    clock = [int(match["H"] or 0), int(match["M"] or match["CM"] or 0), int(match["S"] or match["CS"] or 0)]
    return _moment(shown, int(match["y"]), int(month), int(day), *clock)


def read_moment(value: Any) -> Any:
    """A datetime from the spellings above; anything else is left to pydantic's ISO 8601 reading."""
    if isinstance(value, bool | int | float):
        raise Refusal("a date and time is written as text, e.g. 2026-11-20 09:00, not as a number", "moment.number",
                      text=value)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime.combine(value, dt.time())
    if not isinstance(value, str):
        return value
    text = value.strip()
    if ISO_WITH_OFFSET.fullmatch(text):  # the hot path of every batch: one regex, not seven
        return text
    local = LOCAL_ISO.fullmatch(text)
    if local:
        return _moment(text, *(int(part or 0) for part in local.groups()))
    if _DIGITS.fullmatch(text):
        return _from_digits(text)
    if _is_number(text):  # 1763600000.5, +1763600000, 1.76e9, 46054.5 (an Excel serial): never a moment
        raise Refusal(f"{text!r} is a number, not a date: write 2026-11-20 09:00", "moment.number", text=text)
    if _SHORT_YEAR.fullmatch(text) or _SHORT_LAST.fullmatch(text):
        raise Refusal(f"{text!r}: write the year in four digits, e.g. 2026-11-20", "moment.short_year", text=text)
    year_last = _YEAR_LAST.fullmatch(text)
    return _written(_year_first(text, year_last) if year_last else text, text) or text


def _year_first(text: str, match: re.Match[str]) -> str:
    """20/11/2026 (only a day can be 20) or 11/20/2026 as 2026-11-20; 05/06/2026 could be either: refused."""
    a, b = int(match["a"]), int(match["b"])
    if a > 12 >= b:
        month, day = b, a
    elif b > 12 >= a or a == b:
        month, day = a, b
    else:
        raise Refusal(f"{text!r}: day and month cannot be told apart; write the year first, e.g. 2026-11-20",
                      "moment.ambiguous", text=text)
    return f"{match['y']}-{month}-{day}{match['rest'] or ''}"


def read_day(value: Any) -> Any:
    """A date from the same spellings; a time of day, if written, must be midnight."""
    moment = read_moment(value)
    if isinstance(moment, dt.datetime):
        if moment.time() != dt.time():
            raise Refusal(f"{value!r} is a day: write it without a time of day, e.g. 2026-11-20",
                          "moment.day_with_time", text=value)
        return moment.date()
    return moment


Moment = Annotated[dt.datetime, BeforeValidator(read_moment)]
Day = Annotated[dt.date, BeforeValidator(read_day)]
