"""Reading an export back as a program does: the byte-order mark dropped, each column by its key."""

from __future__ import annotations

import csv
import io

from xinzhi.engine.factfiles import column_key


def read_rows(text: str) -> list[dict[str, str]]:
    """The rows of a CSV export keyed by the key in each ``标题（key）`` header."""
    assert text.startswith("\ufeff"), "an export starts with a BOM, so Excel reads it as UTF-8"
    header, *rows = csv.reader(io.StringIO(text[1:]))
    keys = [column_key(h) for h in header]
    return [dict(zip(keys, row, strict=True)) for row in rows]
