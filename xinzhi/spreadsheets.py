"""What an office's spreadsheet looks like, in one place: titled headers, CSV that Excel opens, or .xlsx.

Chinese Excel opens a CSV without a byte-order mark as GBK, so every CSV starts with one.
A header is ``标题（key）``: a clerk reads the title, a program (and ``xinzhi import``,
through ``engine.factfiles.column_key``) reads the key.

Text that people typed (a name, a fact id, a reason) is never a formula when Excel opens the
export: a CSV cell starting with ``= + - @`` gets a leading ``'`` (as OWASP advises), and a
workbook cell is stored as text. Control characters a worksheet cannot hold are shown as ``�``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from xinzhi.engine.amounts import text
from xinzhi.errors import ServiceCode, ServiceError
from xinzhi.messages import Message

BOM = "\ufeff"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_MAX_ROWS = 1_048_576  # a worksheet's own limit, the header row included


def titled(columns: Sequence[tuple[str, str]]) -> list[str]:
    """``(key, title)`` pairs as headers a person and a program both read."""
    return [f"{title}（{key}）" for key, title in columns]


def csv_chunks(rows: Iterable[Sequence[Any]], per_chunk: int = 2000) -> Iterator[str]:
    """CSV text in chunks of rows, the first led by a byte-order mark."""
    out, count, first = io.StringIO(), 0, True
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([_csv_cell(cell) for cell in row])
        count += 1
        if count == per_chunk:
            yield (BOM if first else "") + out.getvalue()
            out.seek(0)
            out.truncate()
            count, first = 0, False
    if count or first:
        yield (BOM if first else "") + out.getvalue()


def csv_text(rows: Iterable[Sequence[Any]]) -> str:
    """The whole CSV, led by a byte-order mark."""
    return "".join(csv_chunks(rows))


def xlsx_bytes(rows: Iterable[Sequence[Any]], sheet: str, notes: Sequence[Sequence[Any]] = ()) -> bytes:
    """A workbook of one sheet of ``rows`` (and a sheet 填写说明 of ``notes``, when given), written row by row.

    Written by XlsxWriter, which took a third of openpyxl's time (a ledger of 100,000 entries:
    benchmarks/exports.py), keeping each row on disk as it goes. Text is never read as a formula,
    a link or a number. More rows than a worksheet holds is refused: the CSV export has no such limit.
    """
    import xlsxwriter  # only where a workbook is written

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                     "strings_to_numbers": False})
    day = book.add_format({"num_format": "yyyy-mm-dd"})  # a date cell Excel sorts and filters as a date

    def write(worksheet: Any, number: int, row: Sequence[Any]) -> None:
        for column, value in enumerate(row):
            if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
                worksheet.write_datetime(number, column, value, day)
            else:
                worksheet.write(number, column, _xlsx_cell(value))

    try:
        data = book.add_worksheet(sheet)
        for number, row in enumerate(rows):
            if number == XLSX_MAX_ROWS:
                raise ServiceError(ServiceCode.REQUEST_INVALID, Message.of("sheet_too_long", most=XLSX_MAX_ROWS))
            write(data, number, row)
        if notes:
            explained = book.add_worksheet("填写说明")
            for number, row in enumerate(notes):
                write(explained, number, row)
    finally:
        book.close()
    return out.getvalue()


_NOT_IN_A_WORKSHEET = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_MOST_IN_A_CELL = 32_767  # Excel's own limit: XlsxWriter leaves a longer text out


def _xlsx_cell(value: Any) -> Any:
    """An amount as a number Excel sums (two places at most: a float holds it); text as text a worksheet holds."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, str):
        return _NOT_IN_A_WORKSHEET.sub("\ufffd", value[:_MOST_IN_A_CELL])
    return value


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(cell: Any) -> Any:
    """An amount with its exact digits; typed text that Excel would run as a formula, quoted."""
    if isinstance(cell, Decimal):
        return text(cell)
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell
