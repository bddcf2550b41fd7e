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
import io
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from xinzhi.engine.amounts import text
from xinzhi.errors import ServiceCode, ServiceError

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
    """A workbook of one sheet of ``rows`` (and a sheet 填写说明 of ``notes``, when given); streamed, not held.

    More rows than a worksheet holds is refused: the CSV export has no such limit.
    """
    from openpyxl import Workbook  # only where a workbook is written
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def cell(value: Any) -> Any:
        """An amount as a number Excel sums (two places at most: a float holds it); text as text, never a formula."""
        if isinstance(value, Decimal):
            return int(value) if value == value.to_integral_value() else float(value)
        if not isinstance(value, str):
            return value
        written = WriteOnlyCell(data, value=ILLEGAL_CHARACTERS_RE.sub("\ufffd", value))
        written.data_type = "s"  # '=HYPERLINK(…)' typed as a name stays a name
        return written

    book = Workbook(write_only=True)
    data = book.create_sheet(sheet)
    for number, row in enumerate(rows, start=1):
        if number > XLSX_MAX_ROWS:
            raise ServiceError(ServiceCode.REQUEST_INVALID, f"more than {XLSX_MAX_ROWS:,} rows do not fit in one "
                                                            "worksheet: export CSV instead")
        data.append([cell(value) for value in row])
    if notes:
        explained = book.create_sheet("填写说明")
        for row in notes:
            explained.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(cell: Any) -> Any:
    """An amount with its exact digits; typed text that Excel would run as a formula, quoted."""
    if isinstance(cell, Decimal):
        return text(cell)
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell
