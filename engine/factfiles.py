"""Reading facts from the files community offices keep: JSON Lines, CSV and Excel (.xlsx).

Columns: ``id, type, resident, occurred_at``, optionally ``household``, and then one column
per field; an empty cell means the field (or, for a household's own fact, the resident) is
missing. A header may be the key itself or a title with the key in brackets, as the
downloadable templates write it (``发生时间（occurred_at）``); the base columns also go by
their Chinese names (编号, 事实类型, 居民, 家庭, 发生时间). Values stay text here: the fact type
coerces them, and ``engine.moments`` reads the dates.

Text files are read as an office saves them: UTF-8 with or without a BOM, UTF-16 with a
BOM, or GBK / GB18030 (what Chinese Excel writes as "CSV").
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from .errors import ErrorCode, FactError, Problem
from .facts import Cell

BASE_COLUMNS = ("id", "type", "resident", "occurred_at")
WHO = ("resident", "household")  # whose fact: an empty cell names nobody
COLUMN_TITLES = {"id": "编号", "type": "事实类型", "resident": "居民", "household": "家庭", "occurred_at": "发生时间"}
_BY_TITLE = {title: key for key, title in COLUMN_TITLES.items()}
_KEY_IN_BRACKETS = re.compile(r".*[（(]\s*([A-Za-z_][A-Za-z0-9_]*)\s*[)）]\s*")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

#: An .xlsx is a zip: what its parts may inflate to, and how many rows a sheet may hold.
XLSX_MAX_INFLATED = 64 * 1024 * 1024
XLSX_MAX_ROWS = 200_000


def format_of(path: str | Path) -> str:
    """``csv``, ``xlsx`` or ``jsonl`` (any other suffix), by the file name."""
    suffix = Path(path).suffix.lower()
    return {".csv": "csv", ".xlsx": "xlsx"}.get(suffix, "jsonl")


def decode_text(data: bytes, name: str) -> str:
    """UTF-8 (BOM or not), UTF-16 with a BOM, else GB18030 (a superset of GBK); else a located refusal."""
    encodings = ["utf-16"] if data.startswith((b"\xff\xfe", b"\xfe\xff")) else ["utf-8-sig", "gb18030"]
    furthest = 0  # the encoding that read furthest tells where the file goes wrong
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as exc:
            furthest = max(furthest, exc.start)
    row = data[:furthest].count(b"\n") + 1
    raise FactError([Problem(code=ErrorCode.FACTS_UNREADABLE, file=name, row=row, message=(
        f"the file is neither UTF-8 nor GBK/GB18030 text (byte {furthest}): save it from Excel as "
        "\"CSV UTF-8\" or as .xlsx"))])


def parse_facts(data: str | bytes, *, fmt: str, name: str = "<facts>") -> list[dict[str, Any]]:
    """Raw fact dicts from ``jsonl``, ``csv`` or ``xlsx``; unreadable files and lines raise ``FactError``."""
    if fmt == "xlsx":
        if isinstance(data, str):
            raise FactError([Problem(code=ErrorCode.FACTS_UNREADABLE, file=name,
                                     message="an .xlsx file is binary: send its bytes")])
        return _xlsx(data, name)
    text = decode_text(data, name) if isinstance(data, bytes) else data.lstrip("\ufeff")
    if fmt == "csv":
        return _csv(text, name)
    facts, problems = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            fact = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(Problem(code=ErrorCode.FACTS_UNREADABLE, file=name, row=number, column=exc.colno,
                                    message=f"not valid JSON: {exc.msg}"))
            continue
        if not isinstance(fact, dict):
            problems.append(Problem(code=ErrorCode.FACTS_UNREADABLE, file=name, row=number,
                                    message="each line must be a JSON object"))
            continue
        facts.append(fact)
    if problems:
        raise FactError(problems)
    return facts


def column_key(header: str) -> str:
    """The key a header names: ``发生时间（occurred_at）`` and ``发生时间`` are ``occurred_at``."""
    text = header.strip()
    bracketed = _KEY_IN_BRACKETS.fullmatch(text)
    if bracketed:
        return bracketed.group(1)
    return _BY_TITLE.get(text, text)


def _table(header: Sequence[str], rows: Iterable[Sequence[str]], name: str) -> list[dict[str, Any]]:
    """Facts from a header and rows of text cells (CSV and .xlsx alike)."""
    keys = [column_key(h) for h in header]
    missing = [c for c in BASE_COLUMNS if c not in keys]
    if missing:
        raise FactError([Problem(code=ErrorCode.FACTS_UNREADABLE, file=name, row=1, message=(
            f"the header lacks column(s): {', '.join(missing)} "
            f"({'、'.join(COLUMN_TITLES[c] for c in missing)})"))])
    facts = []
    for number, cells in enumerate(rows, start=2):
        if any(_UNSTORABLE.search(cell) for cell in cells):
            raise FactError([Problem(code=ErrorCode.FACTS_UNREADABLE, file=name, row=number, message=(
                "a cell holds a NUL character or a lone surrogate: no person means them and no database stores "
                "them"))])
        row = dict(zip(keys, cells, strict=False))
        facts.append({
            **{c: row.get(c, "") for c in BASE_COLUMNS if c not in WHO},
            **{c: row[c] for c in WHO if row.get(c) not in ("", None)},
            "fields": {k: Cell(v) for k, v in row.items()
                       if k not in BASE_COLUMNS and k not in WHO and k and v not in ("", None)},
        })
    return facts


def _csv(text: str, name: str) -> list[dict[str, Any]]:
    # newline="": the csv module splits lines itself, so a lone CR (as old spreadsheets end lines) ends a row
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, [])
        return _table(header, (row for row in reader if row), name)
    except csv.Error as exc:  # e.g. a field beyond the csv module's limit: the file's fault, located
        raise FactError([Problem(code=ErrorCode.FACTS_UNREADABLE, file=name, row=reader.line_num,
                                 message=f"not readable as CSV: {exc}")]) from None


def _cell_text(value: Any) -> str:
    """A spreadsheet cell as the text a CSV would hold: a whole number without ``.0``, a date in ISO 8601."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value).strip()


def _xlsx(data: bytes, name: str) -> list[dict[str, Any]]:
    """The first sheet of a workbook; its size checked before it is inflated (a zip can be a bomb)."""
    from openpyxl import load_workbook  # only where a workbook is read

    def unreadable(message: str, row: int | None = None) -> FactError:
        return FactError([Problem(code=ErrorCode.FACTS_UNREADABLE, file=name, row=row, message=message)])

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            inflated = sum(part.file_size for part in archive.infolist())
    except (zipfile.BadZipFile, ValueError):
        raise unreadable("not an .xlsx workbook (an .xlsx file is a zip archive)") from None
    if inflated > XLSX_MAX_INFLATED:
        raise unreadable(f"the workbook inflates to {inflated:,} bytes; at most {XLSX_MAX_INFLATED:,} are read")
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged workbook: all are the file's fault
        raise unreadable(f"not readable as an .xlsx workbook: {type(exc).__name__}") from None
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = [_cell_text(v) for v in next(rows, ())]
        body = []
        for number, values in enumerate(rows, start=2):
            if number > XLSX_MAX_ROWS + 1:
                raise unreadable(f"a sheet holds at most {XLSX_MAX_ROWS:,} rows of facts", row=number)
            cells = [_cell_text(v) for v in values]
            if any(cells):
                body.append(cells)
        return _table(header, body, name)
    finally:
        book.close()


def read_facts(path: Path) -> list[dict[str, Any]]:
    """Facts from a ``.csv``, ``.xlsx`` or ``.jsonl`` file."""
    return parse_facts(path.read_bytes(), fmt=format_of(path), name=str(path))
