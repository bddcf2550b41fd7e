"""Reading facts from the files community offices keep: JSON Lines, CSV and Excel (.xlsx).

Columns: ``id, type, resident, occurred_at``, optionally ``household``, and then one column
per field; an empty cell means the field (or, for a household's own fact, the resident) is
missing. A header may be the key itself or a title with the key in brackets, as the
downloadable templates write it (``发生时间（occurred_at）``); the base columns also go by
their Chinese names (编号, 事实类型, 居民, 家庭, 发生时间). Values stay text here: the fact type
coerces them, and ``engine.moments`` reads the dates.

Text files are read as an office saves them: UTF-8 with or without a BOM, UTF-16 with a
BOM, or GBK / GB18030 (what Chinese Excel writes as "CSV"). A file of millions of facts is
read a slice at a time (``stream_fact_rows``), with the same rows and refusals.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import functools
import io
import json
import re
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import chain
from pathlib import Path
from typing import Any

from .errors import ErrorCode, FactError, Problem, format_path
from .facts import Cell

BASE_COLUMNS = ("id", "type", "resident", "occurred_at")
WHO = ("resident", "household")  # whose fact: an empty cell names nobody
COLUMN_TITLES = {"id": "编号", "type": "事实类型", "resident": "居民", "household": "家庭", "occurred_at": "发生时间"}
_KEY_IN_BRACKETS = re.compile(r".*[（(]\s*([A-Za-z_][A-Za-z0-9_]*)\s*[)）]\s*")
#: Text no person means and no database stores: NUL, and a surrogate not paired into a character.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

#: An .xlsx is a zip: what its parts may inflate to, and how many rows a sheet may hold.
XLSX_MAX_INFLATED = 64 * 1024 * 1024
XLSX_MAX_ROWS = 200_000
XLSX_MAX_SHEETS = 64
MAX_COLUMNS = 256  # a header this wide at most (CSV too); openpyxl pads a row to its last cell, XFD is 16,384 away

SLICE = 1 << 20  # bytes (or characters) read at a time from a text file of facts
MAX_LINE = 1 << 20  # characters in one line of JSON Lines: a fact is a few hundred
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_WIDE = re.compile("[\u0800-\U0010ffff]")  # CJK and beyond: three bytes or more in UTF-8


def format_of(path: str | Path) -> str:
    """``csv``, ``xlsx`` or ``jsonl`` (any other suffix), by the file name."""
    suffix = Path(path).suffix.lower()
    return {".csv": "csv", ".xlsx": "xlsx"}.get(suffix, "jsonl")


def decode_text(data: bytes, name: str) -> str:
    """UTF-8 (BOM or not), UTF-16 with a BOM, else GB18030 (a superset of GBK); else a located refusal."""
    return data.decode(text_codec(lambda: iter((data,)), name))


def text_codec(slices: Callable[[], Iterator[bytes]], name: str) -> str:
    """The codec a text file reads in (see ``decode_text``), tried a slice at a time; else a located refusal.

    A file that reads as UTF-8, Chinese included, up to a stray byte is a damaged UTF-8 file,
    not a GBK one: read as GB18030 its Chinese would be stored as mojibake (社区 → 绀惧尯).
    ``slices`` gives the file's bytes from the start, each time it is called.
    """
    if _head(slices(), 2).startswith(_UTF16_BOMS):
        fault = _fault("utf-16", slices())
        if fault is not None:
            raise _not_text(slices, fault[0], name)
        return "utf-16"
    fault = _fault("utf-8", _without_bom(slices()))  # counted after the BOM, as Python's utf-8-sig counts
    if fault is None:
        return "utf-8-sig"
    as_utf8, chinese_before = fault
    if chinese_before:
        raise _not_text(slices, as_utf8, name)
    fault = _fault("gb18030", slices())
    if fault is not None:  # the encoding that read furthest tells where the file goes wrong
        raise _not_text(slices, max(as_utf8, fault[0]), name)
    return "gb18030"


def _head(slices: Iterator[bytes], size: int) -> bytes:
    """The first ``size`` bytes or more (fewer only if there are no more), taken from ``slices``."""
    head = b""
    for piece in slices:
        head += piece
        if len(head) >= size:
            break
    return head


def _without_bom(slices: Iterator[bytes]) -> Iterator[bytes]:
    return chain((_head(slices, len(codecs.BOM_UTF8)).removeprefix(codecs.BOM_UTF8),), slices)


def _fault(codec: str, slices: Iterator[bytes]) -> tuple[int, bool] | None:
    """Where ``codec`` first fails to read the bytes, and whether a character from U+0800 came before it.

    ``None`` where it reads them all. The offset counts from the first of ``slices``.
    """
    decoder = codecs.getincrementaldecoder(codec)()
    offset, wide = 0, False
    for piece, final in chain(((piece, False) for piece in slices), ((b"", True),)):
        pending = decoder.getstate()[0]
        try:
            text = decoder.decode(piece, final)
        except UnicodeDecodeError as exc:
            read = (pending + piece)[:exc.start].decode(codec, errors="replace")
            return offset - len(pending) + exc.start, wide or bool(_WIDE.search(read))
        wide = wide or bool(_WIDE.search(text))
        offset += len(piece)
    return None


def _not_text(slices: Callable[[], Iterator[bytes]], at: int, name: str) -> FactError:
    row, seen = 1, 0
    for piece in slices():
        row += piece[:max(0, at - seen)].count(b"\n")
        seen += len(piece)
        if seen >= at:
            break
    return FactError([Problem(code=ErrorCode.FACTS_UNREADABLE, file=name, row=row, message=(
        f"the file is neither UTF-8 nor GBK/GB18030 text (byte {at}): save it from Excel as "
        "\"CSV UTF-8\" or as .xlsx"), says="file.not_text", params={"byte": at})])


def parse_facts(data: str | bytes, *, fmt: str, name: str = "<facts>") -> list[dict[str, Any]]:
    """Raw fact dicts from ``jsonl``, ``csv`` or ``xlsx``; unreadable files and lines raise ``FactError``."""
    return [fact for _, fact in parse_fact_rows(data, fmt=fmt, name=name)]


def parse_fact_rows(data: str | bytes, *, fmt: str, name: str = "<facts>") -> list[tuple[int, dict[str, Any]]]:
    """Each fact with the row (a CSV or JSON Lines line, a sheet's row) a clerk sees it on."""
    if fmt == "xlsx":
        if isinstance(data, str):
            raise FactError([Problem(code=ErrorCode.FACTS_UNREADABLE, file=name,
                                     message="an .xlsx file is binary: send its bytes", says="xlsx.as_text")])
        return _xlsx(data, name)
    text = decode_text(data, name) if isinstance(data, bytes) else data.lstrip("\ufeff")
    if fmt == "csv":
        return list(_csv(io.StringIO(text, newline=""), name))
    return list(_jsonl(text.splitlines(), name))


def stream_fact_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each fact of a file with its row, as ``parse_fact_rows`` reads it, a slice of the file at a time.

    Refusals come as they would for the whole file: an encoding's before any fact, a CSV row's
    where the row comes, the JSON lines' after the last fact (every bad line at once). An .xlsx
    is read whole: its sheet is bounded (``XLSX_MAX_ROWS``).
    """
    name, fmt = str(path), format_of(path)
    if path.exists() and not path.is_file():  # a device or a pipe has no end to check its encoding up to
        raise FactError([Problem(code=ErrorCode.FACTS_UNREADABLE, file=name, says="file.not_regular",
                                 message="not a file of facts (a directory, a device or a pipe)")])
    if fmt == "xlsx":
        with path.open("rb") as raw:  # no larger than it may inflate to (found by attack: /dev/zero took 6 GB)
            data = raw.read(XLSX_MAX_INFLATED + 1)
        if len(data) > XLSX_MAX_INFLATED:
            raise FactError([Problem(code=ErrorCode.FACTS_UNREADABLE, file=name, says="xlsx.inflated",
                                     message=f"the workbook is larger than {XLSX_MAX_INFLATED:,} bytes",
                                     params={"size": f"{len(data):,}+", "most": f"{XLSX_MAX_INFLATED:,}"})])
        yield from _xlsx(data, name)
        return
    codec = text_codec(lambda: _slices(path), name)
    with path.open("rb") as raw, io.TextIOWrapper(raw, encoding=codec, newline="") as text:
        if fmt == "csv":
            yield from _csv(text, name)
        else:
            yield from _jsonl(_lines(iter(lambda: text.read(SLICE), "")), name)


def _slices(path: Path) -> Iterator[bytes]:
    with path.open("rb") as raw:
        yield from iter(lambda: raw.read(SLICE), b"")


def _lines(pieces: Iterable[str]) -> Iterator[str]:
    """The lines ``str.splitlines`` cuts the whole text into, cut a piece at a time.

    The last line of each piece waits for the next: it may go on there, or end in a CR before an LF.
    """
    rest = ""
    for piece in pieces:
        lines = (rest + piece).splitlines(keepends=True)
        rest = lines.pop() if lines else ""
        if len(rest) > MAX_LINE:  # found by attack: /dev/zero as JSON Lines grew one line without end
            raise FactError([Problem(code=ErrorCode.FACTS_UNREADABLE, says="jsonl.too_long",
                                     message=f"a line is longer than {MAX_LINE:,} characters",
                                     params={"most": f"{MAX_LINE:,}"})])
        for line in lines:
            yield (line.splitlines() or [""])[0]
    if rest:
        yield (rest.splitlines() or [""])[0]


def _jsonl(lines: Iterable[str], name: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """The facts of JSON Lines, each with its line; every bad line refused at once, after the last."""
    problems = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            fact = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(Problem(code=ErrorCode.FACTS_UNREADABLE, file=name, row=number, column=exc.colno,
                                    message=f"not valid JSON: {exc.msg}", says="jsonl.invalid"))
            continue
        except RecursionError:  # found by attack: a line nested thousands deep was a traceback
            problems.append(Problem(code=ErrorCode.FACTS_UNREADABLE, file=name, row=number,
                                    message="this line nests deeper than a fact does", says="jsonl.too_deep"))
            continue
        if unstorable_within(fact):  # found by attack: a NUL was stored, a lone surrogate crashed the matcher
            problems.append(Problem(code=ErrorCode.FACTS_UNREADABLE, file=name, row=number,
                                    message="a value holds a NUL character or a lone surrogate: no person means "
                                            "them and no database stores them", says="table.unstorable"))
            continue
        if not isinstance(fact, dict):
            problems.append(Problem(code=ErrorCode.FACTS_UNREADABLE, file=name, row=number,
                                    message="each line must be a JSON object", says="jsonl.not_object"))
            continue
        yield number, fact
    if problems:
        raise FactError(problems)


def json_walk(value: Any) -> Iterator[tuple[str | None, Any]]:
    """Every list, object and value within a JSON value with its path (read only to say where a refusal is)."""
    stack: list[tuple[list[str | int], Any]] = [([], value)]
    while stack:
        path, value = stack.pop()
        yield format_path(path), value
        children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        stack += [([*path, key], child) for key, child in children]


def unstorable_within(value: Any) -> tuple[str | None, str] | None:
    """The path of the first key or text of a JSON value holding what ``UNSTORABLE`` finds, and the character."""
    for path, found in json_walk(value):
        texts = [found] if isinstance(found, str) else list(found) if isinstance(found, dict) else []
        for text in texts:
            if bad := UNSTORABLE.search(text):
                return path, bad.group()
    return None


def column_key(header: str, titles: Mapping[str, str] = COLUMN_TITLES) -> str:
    """The key a header names: ``发生时间（occurred_at）`` and ``发生时间`` are ``occurred_at`` (``titles``: by key)."""
    text = header.strip()
    bracketed = _KEY_IN_BRACKETS.fullmatch(text)
    if bracketed:
        return bracketed.group(1)
    return next((key for key, title in titles.items() if title == text), text)


#: A table's column titles by key, and the keys its header must name.
Columns = tuple[Mapping[str, str], Sequence[str]]
FACT_COLUMNS: Columns = (COLUMN_TITLES, BASE_COLUMNS)
#: Rows an office puts above a header (the sheet's title, its unit, a date), looked through for the header.
TITLE_ROWS = 5


def _headed(rows: Iterator[tuple[int, list[str]]], columns: Columns) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header, and rows read past it looking for it: the first row of the first few naming every required column.

    A sheet headed 某某社区2024年志愿服务登记表 above its columns is read from its columns; where no
    row of the first few names them all, the first is the header (and is refused for what it lacks).
    ``rows`` goes on from the row after the last one read.
    """
    titles, required = columns
    seen: list[tuple[int, list[str]]] = []
    for number, cells in rows:
        seen.append((number, cells))
        if set(required) <= {column_key(cell, titles) for cell in cells if cell}:
            return cells, []
        if len(seen) == TITLE_ROWS:
            break
    return (seen[0][1], seen[1:]) if seen else ([], [])


#: What makes a table's rows into what its reader wants (facts; a roster's plain rows), from the header and the rows.
Shape = Callable[[Sequence[str], Iterable[tuple[int, Sequence[str]]], str], Iterator[tuple[int, Any]]]


def table_rows(data: bytes, *, fmt: str, name: str, titles: Mapping[str, str],
               required: Sequence[str]) -> list[tuple[int, dict[str, str]]]:
    """Each row of a table that is not of facts (a roster), key → cell text, read as a file of facts is."""
    shape = functools.partial(_cells, titles=titles, required=required)
    if fmt == "xlsx":
        return _xlsx(data, name, shape, (titles, required))
    return list(_csv(io.StringIO(decode_text(data, name), newline=""), name, shape, (titles, required)))


def _table(header: Sequence[str], rows: Iterable[tuple[int, Sequence[str]]],
           name: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """Facts from a header and numbered rows of text cells (CSV and .xlsx alike)."""
    for number, row in _cells(header, rows, name, titles=COLUMN_TITLES, required=BASE_COLUMNS):
        yield number, {
            **{c: row.get(c, "") for c in BASE_COLUMNS if c not in WHO},
            **{c: row[c] for c in WHO if row.get(c) not in ("", None)},
            "fields": {k: Cell(v) for k, v in row.items()
                       if k not in BASE_COLUMNS and k not in WHO and k and v not in ("", None)},
        }


def _cells(header: Sequence[str], rows: Iterable[tuple[int, Sequence[str]]], name: str, *,
           titles: Mapping[str, str], required: Sequence[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """Each row as key → cell text, its header read by ``column_key``; the columns ``required`` there."""
    def refused(row: int, message: str, says: str, **params: Any) -> FactError:
        return FactError([Problem(code=ErrorCode.FACTS_UNREADABLE, file=name, row=row, message=message, says=says,
                                  params=params)])

    while header and not header[-1]:
        header = header[:-1]  # trailing empty header cells: a spreadsheet's unused columns
    if len(header) > MAX_COLUMNS:  # found by attack: 300,000 columns of CSV took a server to 1.45 GB
        raise refused(1, f"the header is wider than {MAX_COLUMNS} columns", "xlsx.too_wide", most=MAX_COLUMNS)
    keys = [column_key(h, titles) for h in header]
    missing = [c for c in required if c not in keys]
    if missing:
        raise refused(1, f"the header lacks column(s): {', '.join(missing)} "
                         f"({'、'.join(titles[c] for c in missing)})", "table.missing_columns",
                      missing=", ".join(missing), titles="、".join(titles[c] for c in missing))
    twice = sorted(k for k, n in Counter(keys).items() if k and n > 1)  # counted once: 60,000 columns took a minute
    if twice:
        raise refused(1, f"two columns name the same key: {', '.join(twice)} — keep one of each",
                      "table.columns_twice", keys=", ".join(twice))
    blanks = [i for i, key in enumerate(keys) if not key]  # columns with no header: nothing may stand in them
    for number, cells in rows:
        if any(UNSTORABLE.search(cell) for cell in cells):
            raise refused(number, "a cell holds a NUL character or a lone surrogate: no person means them and no "
                                  "database stores them", "table.unstorable")
        if any(cells[len(keys):]):
            raise refused(number, f"this row has {len(cells)} cells, the header {len(keys)} columns: a value with "
                                  "a comma (1,000) must be quoted", "table.extra_cells", cells=len(cells),
                          columns=len(keys))
        unheaded = next((i for i in blanks if i < len(cells) and cells[i]), None)
        if unheaded is not None:  # found by attack: its values were dropped without a word
            raise refused(number, f"a value in column {unheaded + 1}, whose header is empty: give the column a "
                                  "header or delete the value", "table.unheaded", column=unheaded + 1)
        yield number, {key: cells[i] if i < len(cells) else "" for i, key in enumerate(keys)}  # every column, always


def _csv(lines: Iterable[str], name: str, shape: Shape = _table,
         columns: Columns = FACT_COLUMNS) -> Iterator[tuple[int, Any]]:
    """The rows of CSV lines read with ``newline=""``, as ``shape`` makes them (facts by default).

    The csv module splits rows itself, so a lone CR (as old spreadsheets end lines) ends a row.
    Strictly: a quote never closed is refused at the row it opens in, where leniently it took
    the rest of the file into one cell (and the error blamed a later column).
    """
    reader = csv.reader(lines, strict=True)
    start = 1  # the line the row being read began on

    def numbered() -> Iterator[tuple[int, list[str]]]:
        nonlocal start
        start = reader.line_num + 1
        for row in reader:
            if any(row):
                yield start, row
            start = reader.line_num + 1

    try:
        rows = numbered()
        header, read = _headed(rows, columns)  # blank lines and a title above the header are skipped
        yield from shape(header, chain(read, rows), name)
    except csv.Error as exc:  # a quote never closed, a field beyond the csv module's limit: the file's fault, located
        raise FactError([Problem(code=ErrorCode.FACTS_UNREADABLE, file=name, row=start,
                                 message=f"not readable as CSV from this row on: {exc} (is a quote not closed?)",
                                 says="csv.unreadable")]) from None


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


def _header_rows(filled: Iterator[tuple[int, tuple]], unreadable: Callable[..., FactError]
                 ) -> Iterator[tuple[int, list[str]]]:
    """Rows as text while a header is looked for: as wide as a header may be, its trailing empty cells dropped."""
    for number, values in filled:
        if not _blank(values[MAX_COLUMNS:]):
            raise unreadable(f"the header is wider than {MAX_COLUMNS} columns", "xlsx.too_wide",
                             row=number, most=MAX_COLUMNS)
        cells = [_cell_text(v) for v in values[:MAX_COLUMNS]]
        while cells and not cells[-1]:
            cells.pop()
        if cells:  # spaces only: no row
            yield number, cells


def _blank(values: Sequence[Any]) -> bool:
    """Whether a row of a sheet holds nothing, counted in C: a row padded to 16,384 cells is not walked in Python."""
    return values.count(None) + values.count("") == len(values)


def _xlsx(data: bytes, name: str, shape: Shape = _table, columns: Columns = FACT_COLUMNS) -> list[tuple[int, Any]]:
    """The first sheet of a workbook, its parts counted before openpyxl builds an object for each."""
    from openpyxl import load_workbook  # only where a workbook is read
    from openpyxl.utils import get_column_letter

    def unreadable(message: str, says: str, row: int | None = None, **params: Any) -> FactError:
        return FactError([Problem(code=ErrorCode.FACTS_UNREADABLE, file=name, row=row, message=message, says=says,
                                  params=params)])

    merges = _check_parts(data, unreadable)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = book.worksheets[0]
            merged = _Merged(merges.get(sheet._worksheet_path, []), unreadable)  # the path openpyxl reads it from
            sheet.reset_dimensions()  # a <dimension> of A1:XFD… would pad every row to 16,384 cells
            filled = ((number, values) for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
                      if not _blank(values))
            header, read = _headed(_header_rows(filled, unreadable), columns)
            if read:  # no header found: refused for the columns it lacks before any row is
                list(shape(header, (), name))
            body: list[tuple[int, list[str]]] = []
            for number, values in chain(((n, tuple(cells)) for n, cells in read), filled):
                if not _blank(values[len(header):]):  # a row of 16,384 cells is never made into text
                    column = len(values) - next(i for i, v in enumerate(reversed(values)) if v not in (None, ""))
                    raise unreadable(f"a value in column {get_column_letter(column)}, beyond the header's "
                                     f"{len(header)} columns: delete it or give its column a header",
                                     "xlsx.beyond_header", row=number, column=get_column_letter(column),
                                     columns=len(header))
                if len(body) == XLSX_MAX_ROWS:
                    raise unreadable(f"a sheet holds at most {XLSX_MAX_ROWS:,} rows of facts", "xlsx.too_many_rows",
                                     row=number, most=f"{XLSX_MAX_ROWS:,}")
                cells = [_cell_text(v) for v in merged.filled(number, values[:len(header)], len(header))]
                if any(cells):
                    body.append((number, cells))
        finally:
            book.close()
    except FactError:
        raise
    except Exception as exc:  # openpyxl raises many kinds for a damaged workbook: all are the file's fault
        raise unreadable(f"not readable as an .xlsx workbook: {type(exc).__name__}", "xlsx.damaged") from None
    return list(shape(header or [], body, name))


class _Merged:
    """A sheet's merged cells read as the sheet shows them: a range down one column gives every row its value.

    Offices merge a column's cells where rows share a value (one day for the five rows of a
    sign-up sheet); openpyxl reads all but the first as empty, so each later row lacked the
    value the clerk sees, or an optional field was silently dropped. A range across columns in
    the rows of facts has no one meaning (which column holds its value?) and is refused at its
    row; above the header it is a title's, read as written.
    """

    def __init__(self, refs: list[str], unreadable: Callable[..., FactError]):
        from openpyxl.utils.cell import range_boundaries

        self.unreadable = unreadable
        self.down: dict[int, list[tuple[int, int]]] = defaultdict(list)  # first row → (column from 0, last row)
        self.across: dict[int, list[tuple[int, str]]] = defaultdict(list)  # first row → (column from 0, range)
        for ref in refs:
            first_column, first_row, last_column, last_row = range_boundaries(ref)
            if first_column <= MAX_COLUMNS:  # further right: beyond any header, refused there if it holds a value
                if first_column == last_column:
                    self.down[first_row].append((first_column - 1, last_row))
                else:
                    self.across[first_row].append((first_column - 1, ref))
        self.open: dict[int, tuple[int, Any]] = {}  # column → (last row, value) of the ranges running down

    def filled(self, number: int, values: Sequence[Any], width: int) -> Sequence[Any]:
        """A row of facts (rows come in rising order; ``width`` columns), each cell of a range down given its value."""
        for column, ref in self.across.get(number, ()):
            if column < len(values) and values[column] not in (None, ""):
                raise self.unreadable(f"cells {ref} are merged across columns: unmerge them and write each "
                                      "column's own value", "xlsx.merged_across", row=number, cells=ref)
        for column, last in self.down.get(number, ()):
            if column < len(values) and values[column] not in (None, ""):
                self.open[column] = (last, values[column])
        if not self.open:
            return values
        row = [*values, *[None] * (width - len(values))]  # openpyxl's row ends at its last cell
        for column, (last, value) in list(self.open.items()):
            if last < number:
                del self.open[column]
            elif column < len(row):  # what the sheet shows: the range's value, whatever a cell under it holds
                row[column] = value
        return row


#: What a workbook of facts may hold, per part: a few (rows, cells, strings) for free, then some per byte
#: of the file as sent — each costs a real file several compressed bytes, and a bomb none — up to a ceiling.
XLSX_LIMITS = {"row": (20_000, 1, 300_000), "c": (100_000, 4, 3_000_000), "si": (20_000, 1, 500_000),
               "xf": (5_000, 0, 5_000), "sheet": (64, 0, 64), "mergeCell": (5_000, 1, 200_000)}
#: The start of one of those parts however its writer spelled it: ``<c r="A1">``, an empty ``<c/>``, ``<x:c>`` with a
#: namespace prefix (counting ``<c `` alone let 8 million ``<c/>`` through in 53 KB: 28 s of openpyxl's work).
_PART = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,31}:)?(" + "|".join(XLSX_LIMITS).encode() + rb")[\s/>]")


ISO_DATE_CELL = 't="d"'  # a cell holding an ISO 8601 date, which may carry an offset
#: A formula no spreadsheet calculated (a program wrote it): its cell has no saved value, which openpyxl reads as empty.
_NS = rb"(?:[A-Za-z_][\w.-]{0,31}:)?"
_UNCACHED_FORMULA = re.compile(rb"<" + _NS + rb"f\b[^>]*(?:/>|>[^<]*</" + _NS + rb"f>)\s*"
                               rb"(?:<" + _NS + rb"v\s*/>|<" + _NS + rb"v>\s*</" + _NS + rb"v>)?\s*</" + _NS + rb"c>")
_ZONED_DATE = re.compile(rb'<c\b[^>]*\bt="d"[^>]*>\s*<v>[^<]*(?:Z|[+-]\d\d:?\d\d)\s*</v>')
_MERGED = re.compile(rb"<" + _NS + rb"mergeCell\b[^>]*\bref\s*=\s*[\"']"  # either quote, spaces around =
                     rb"([A-Z]{1,3}[0-9]{1,7}(?::[A-Z]{1,3}[0-9]{1,7})?)[\"']")


def _check_parts(data: bytes, unreadable: Callable[..., FactError]) -> dict[str, list[str]]:
    """The zip's size as inflated, its sheets, and its rows, cells, strings and styles, counted in C-speed scans.

    A 131 KB workbook of five million empty strings took openpyxl 82 s and 563 MB; counting
    its parts first costs a read of what the zip inflates to, which is bounded too. Returns each
    sheet's merged ranges (``A2:A5``), which openpyxl does not read in its read-only mode.
    """
    merged: dict[str, list[str]] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
            inflated = sum(part.file_size for part in parts)
            if inflated > XLSX_MAX_INFLATED:
                raise unreadable(f"the workbook inflates to {inflated:,} bytes; at most {XLSX_MAX_INFLATED:,} "
                                 "are read", "xlsx.inflated", size=f"{inflated:,}", most=f"{XLSX_MAX_INFLATED:,}")
            sheets = [p for p in parts if p.filename.startswith("xl/worksheets/")]
            if len(sheets) > XLSX_MAX_SHEETS:
                raise unreadable(f"the workbook has {len(sheets)} sheets; rows are read from the first of at most "
                                 f"{XLSX_MAX_SHEETS}", "xlsx.too_many_sheets", sheets=len(sheets), most=XLSX_MAX_SHEETS)
            most = {name.encode(): min(ceiling, free + per_byte * len(data)) for name, (free, per_byte, ceiling)
                    in XLSX_LIMITS.items()}
            counts: Counter[bytes] = Counter()
            for part in parts:
                if part.filename.endswith(".xml") and _counted(archive, part.filename, counts, most) \
                        and _ZONED_DATE.search(archive.read(part.filename)):
                    raise unreadable("a date cell carries a time zone, which openpyxl drops: write that "
                                     "moment as text (2026-02-01T10:00:00+09:00)", "xlsx.zoned_date")
                if not part.filename.startswith("xl/worksheets/"):
                    continue
                content = archive.read(part.filename)
                if _UNCACHED_FORMULA.search(content):
                    raise unreadable("a cell holds a formula no spreadsheet has calculated (a program wrote it), "
                                     "which reads as empty: open the file in Excel or WPS and save it",
                                     "xlsx.uncached_formula")
                merged[part.filename] = [ref.decode() for ref in _MERGED.findall(content)]
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):  # also a zip whose sizes lie (BadZipFile)
        raise unreadable("not an .xlsx workbook (an .xlsx file is a zip archive)", "xlsx.not_zip") from None
    over = [f"{counts[part]:,} {part.decode()}" for part in most if counts[part] > most[part]]
    if over:
        raise unreadable(f"the workbook holds more than a sheet of facts does ({', '.join(over)}): "
                         "save only the facts, or split the file", "xlsx.too_full")
    return merged


def _counted(archive: zipfile.ZipFile, member: str, counts: Counter[bytes], most: dict[bytes, int]) -> bool:
    """Count a member's parts into ``counts``, read in slices, until one is over ``most``; whether it holds ISO dates.

    A part across two slices is counted once: the slice before's tail is scanned with the next one.
    """
    dated, tail = False, b""
    with archive.open(member) as stream:
        while chunk := stream.read(1 << 20):
            block = tail + chunk
            counts.update(_PART.findall(block))
            counts.subtract(_PART.findall(tail))
            dated = dated or ISO_DATE_CELL.encode() in block
            if any(counts[part] > most[part] for part in most):
                break
            tail = block[-40:]
    return dated


def read_facts(path: Path) -> list[dict[str, Any]]:
    """Facts from a ``.csv``, ``.xlsx`` or ``.jsonl`` file."""
    return parse_facts(path.read_bytes(), fmt=format_of(path), name=str(path))
