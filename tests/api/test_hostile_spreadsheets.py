"""Hostile and messy spreadsheets against the fact import, the templates and the Excel/CSV exports.

Each test asserts the behaviour a clerk (or an attacker) should meet. Those marked "Found by
attack" were bugs when written (the comment says what went wrong); the others confirmed a
hostile input was already handled well. Speed is not asserted here: a bomb must be refused
before openpyxl expands it, which the answer shows.
"""

from __future__ import annotations

import datetime as dt
import io
import struct
import zipfile

import httpx
import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from pydantic import TypeAdapter

from tests.support.exports import read_rows
from xinzhi.engine.moments import Day, Moment
from xinzhi.spreadsheets import XLSX_MEDIA_TYPE

CSV = {"content-type": "text/csv"}
XLSX = {"content-type": XLSX_MEDIA_TYPE}
HEADER = ("id", "type", "resident", "occurred_at", "count")
CSV_HEADER = ",".join(HEADER) + "\n"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
read_moment = TypeAdapter(Moment).validate_python  # as occurred_at is read; ValidationError is a ValueError
read_day = TypeAdapter(Day).validate_python  # as a date field is read


# --- building workbooks by hand: the parts a hostile file would hold ---------------------------------------------

def _blank_workbook() -> bytes:
    out = io.BytesIO()
    Workbook().save(out)
    return out.getvalue()


BLANK = _blank_workbook()


def text_cell(ref: str, value: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'


def row(number: int, *cells: str) -> str:
    """A row of inline text cells; a cell given as raw ``<c …>`` XML is kept as it is."""
    return f'<row r="{number}">' + "".join(
        cell if cell.startswith("<c") else text_cell(f"{get_column_letter(i)}{number}", cell)
        for i, cell in enumerate(cells, start=1)) + "</row>"


def sheet(rows: str, dimension: str | None = None) -> str:
    size = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f'<worksheet xmlns="{MAIN}">{size}<sheetData>{rows}</sheetData></worksheet>'


def workbook(sheet_xml: str | bytes, parts: dict[str, bytes] | None = None) -> bytes:
    """A real openpyxl workbook with its first sheet (and any ``parts``) replaced; shared strings wired in."""
    parts = dict(parts or {})
    shared = "xl/sharedStrings.xml" in parts
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(BLANK)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = sheet_xml.encode() if isinstance(sheet_xml, str) else sheet_xml
            if info.filename in parts:
                data = parts.pop(info.filename)
            if shared and info.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
            if shared and info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdSS" Target="sharedStrings.xml" Type="'
                                    b'http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings'
                                    b'"/></Relationships>')
            target.writestr(info.filename, data)
        for name, data in parts.items():
            target.writestr(name, data)
    return out.getvalue()


def blank_part(name: str) -> str:
    with zipfile.ZipFile(io.BytesIO(BLANK)) as source:
        return source.read(name).decode()


def good_rows(fact_id: str = "g1", resident: str = "r1") -> str:
    return row(1, *HEADER) + row(2, fact_id, "cleanup", resident, "2026-01-05", "1")


def answer(send, *args, **kwargs) -> httpx.Response:
    """The response; an error the test client re-raises (the server answered 500) as a short 500 response."""
    try:
        return send(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - any escape from the app is what a 500 is
        return httpx.Response(500, text=f"500 internal_error: {type(exc).__name__}: {exc}"[:300])


def post_file(client, community, body: bytes, headers, **params):
    return answer(client.post, f"/communities/{community}/facts/import", content=body, headers=headers,
                  params=params)


def ledger(client, community, resident):
    entries = client.get(f"/communities/{community}/residents/{resident}/ledger").json()["entries"]
    return [(e["fact_id"], e["occurred_at"]) for e in entries]


# --- dates as clerks write them ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["2026-11-20 24:00", "2026-11-20T24:00:00", "2026-11-20 9:60", "2026-11-20 09:00:60",
                                  "2026年2月30日", "2026年11月20日 25时", "0000-01-01"])
def test_impossible_clock_times_and_days_are_refused(text):
    with pytest.raises(ValueError):
        read_moment(text)


@pytest.mark.parametrize("text", ["26/11/20", "20/11/26", "26-11-20", "26年11月20日", "05/06/2026", "6.5.2026",
                                  "2026112", "202611201", "2026112009"])
def test_two_digit_years_ambiguous_orders_and_odd_digit_runs_are_refused(text):
    with pytest.raises(ValueError):
        read_moment(text)


@pytest.mark.parametrize("text", ["05012026", "11202026", "12122026"])  # DDMMYYYY / MMDDYYYY: never a YYYYMMDD day
def test_eight_digits_in_another_order_are_refused_not_misread(text):
    with pytest.raises(ValueError):
        read_moment(text)


@pytest.mark.parametrize("text", ["2026/11/20 9:00+09:00", "2026-11-20 9:00+09:00", "2026/11/20 9:00Z",
                                  "2026-11-20 09:00 CST", "2026年11月20日 9时 +0900"])
def test_an_offset_on_a_written_spelling_is_refused_not_dropped(text):
    with pytest.raises(ValueError):
        read_moment(text)


def test_full_width_digits_read_as_the_same_moment():
    assert read_moment("２０２６/１１/２０ ９:３０") == dt.datetime(2026, 11, 20, 9, 30)  # noqa: DTZ001
    assert read_moment("２０２６年１１月２０日") == dt.datetime(2026, 11, 20)  # noqa: DTZ001
    assert read_day("２０２６１１２０") == dt.date(2026, 11, 20)


@pytest.mark.parametrize("text", ["1763600000.5", "1763600000.0", "+1763600000", "1.7636e9", "46000.5", "46000.0"])
def test_a_number_with_a_sign_point_or_exponent_is_not_a_unix_time(text):
    # Found by attack: moments.read_moment stops bare digit runs but hands "1763600000.5", "+1763600000", "1.7636e9"
    # to pydantic, which reads them as Unix seconds (2025-11-20T00:53:20Z); an Excel serial typed as a
    # number in a General cell (46000.5) arrives as the text "46000.5" and becomes 1970-01-01T12:46:40Z.
    with pytest.raises(ValueError):
        read_moment(text)


def test_a_day_is_not_read_from_unix_seconds():
    # Found by attack: read_day("1763596800.0") was 2025-11-20 (Unix seconds at midnight UTC), though numbers are
    # never dates.
    with pytest.raises(ValueError):
        read_day("1763596800.0")


@pytest.mark.parametrize("text", ["2026-11-20 9::30", "2026-11-20 9时:30"])
def test_a_doubled_separator_is_not_read_as_seconds(text):
    # Found by attack: _TIME let the minutes be skipped and the seconds follow: the typo "9::30" (9:30 meant) was read
    # silently as 09:00:30.
    try:
        moment = read_moment(text)
    except ValueError:
        return
    assert moment == dt.datetime(2026, 11, 20, 9, 30)  # noqa: DTZ001


def test_a_unix_time_in_a_csv_cell_is_refused_at_its_row(client, community):
    # Found by attack: the cell "1763600000.5" is stored as a fact at 2025-11-20 08:53:20.5 (Shanghai): a number read as
    # Unix seconds, which the feature promises never to do.
    text = CSV_HEADER + "u1,cleanup,r4,1763600000.5,1\n"
    response = post_file(client, community, text.encode(), CSV, name="office.csv")
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert (error["file"], error["row"], error["path"]) == ("office.csv", 2, "occurred_at")
    assert ledger(client, community, "r4") == []


def test_full_width_and_chinese_spellings_import_from_gbk(client, community):
    text = CSV_HEADER + "w1,cleanup,r1,２０２６/１/５ ９:３０,1\nw2,cleanup,r1,2026年1月6日14时05分,1\n"
    response = post_file(client, community, text.encode("gbk"), CSV)
    assert response.status_code == 200, response.text
    assert ledger(client, community, "r1") == [("w1", "2026-01-05T09:30:00+08:00"), ("w2", "2026-01-06T14:05:00+08:00")]


def test_an_iso_offset_in_a_csv_cell_is_kept(client, community):
    text = CSV_HEADER + "o1,cleanup,r1,2026-01-05T09:30:00+09:00,1\no2,cleanup,r1,2026-01-05T01:30:00Z,1\n"
    response = post_file(client, community, text.encode(), CSV)
    assert response.status_code == 200, response.text
    assert ledger(client, community, "r1") == [("o1", "2026-01-05T08:30:00+08:00"), ("o2", "2026-01-05T09:30:00+08:00")]


@pytest.mark.parametrize("when", ["2026-01-05 24:00", "2026-01-05 9:60", "2026/02/30", "05/06/2026", "26/1/5"])
def test_a_bad_date_names_its_row_and_field_and_stores_nothing(client, community, when):
    text = CSV_HEADER + f"b1,cleanup,r1,2026-01-04,1\nb2,cleanup,r1,{when},1\n"
    response = post_file(client, community, text.encode(), CSV, name="clerk.csv")
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert (error["file"], error["row"], error["path"]) == ("clerk.csv", 3, "occurred_at")
    assert ledger(client, community, "r1") == []


def test_an_xlsx_date_cell_keeps_its_offset(client, community):
    # Found by attack: openpyxl drops the offset of an ISO date cell (t="d"), so 10:00+09:00 is stored as 10:00 Shanghai
    # time, an hour late (and 10:00Z eight hours early): the time zone is lost silently.
    cell = '<c r="D2" t="d"><v>2026-02-01T10:00:00+09:00</v></c>'
    body = workbook(sheet(row(1, *HEADER) + row(2, "tz1", "cleanup", "r1", cell, "1")))
    response = post_file(client, community, body, XLSX)
    assert response.status_code == 422 or ledger(client, community, "r1") == [("tz1", "2026-02-01T09:00:00+08:00")]


# --- a clerk's messy CSV ------------------------------------------------------------------------------------------

def test_an_error_names_the_line_a_clerk_sees_when_blank_lines_come_first(client, community):
    # Found by attack: blank lines are dropped before rows are numbered, so the bad row on line 4 is reported as row 2.
    text = CSV_HEADER + "\n\nb1,cleanup,r2,2026-01-05,abc\n"
    response = post_file(client, community, text.encode(), CSV)
    assert response.status_code == 422
    assert [e["row"] for e in response.json()["errors"]] == [4]


def test_an_error_names_the_sheet_row_a_clerk_sees_below_blank_rows(client, community):
    # Found by attack: empty sheet rows are skipped before numbering: a bad value in Excel row 5 is reported as row 2.
    body = workbook(sheet(row(1, *HEADER) + row(5, "b2", "cleanup", "r2", "2026-01-05", "abc")))
    response = post_file(client, community, body, XLSX)
    assert response.status_code == 422
    assert [e["row"] for e in response.json()["errors"]] == [5]


def test_a_row_with_more_cells_than_the_header_is_refused(client, community):
    # Found by attack: the unquoted thousands separator in "1,000" makes a sixth cell, which zip(strict=False) drops:
    # the fact is stored with count 1 instead of refused.
    text = CSV_HEADER + "x1,cleanup,r2,2026-01-05,1,000\n"
    response = post_file(client, community, text.encode(), CSV)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["row"] == 2
    assert ledger(client, community, "r2") == []


def test_two_columns_for_one_key_are_refused_naming_the_header(client, community):
    # Found by attack: "数量（count）" and "count" both name count; the last silently wins (7 here, the 5 is lost).
    text = "id,type,resident,occurred_at,数量（count）,count\nd1,cleanup,r3,2026-01-05,5,7\n"
    response = post_file(client, community, text.encode(), CSV)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["row"] == 1 and "count" in response.json()["errors"][0]["message"]
    assert ledger(client, community, "r3") == []


def test_utf8_with_one_stray_byte_is_refused_not_read_as_gb18030(client, community):
    # Found by attack: a UTF-8 file with one Latin-1 byte ("Andr\xe9s") is no longer UTF-8, so the whole file is read as
    # GB18030 and every Chinese value turns to mojibake: 社区义诊活动 is stored as 绀惧尯涔夎瘖娲诲姩.
    text = ("id,type,resident,occurred_at,name\n"
            "g1,activity,r1,2026-01-05,社区义诊活动\ng2,activity,r1,2026-01-06,Andrés\n")
    body = text.encode("utf-8").replace("é".encode(), b"\xe9")
    response = post_file(client, community, body, CSV)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["row"] == 3
    assert ledger(client, community, "r1") == []


def test_a_nul_in_a_utf16_csv_is_refused_at_its_row(client, community):
    text = CSV_HEADER + "n1,cleanup,r1,2026-01-05,1\nn\x002,cleanup,r1,2026-01-05,1\n"
    response = post_file(client, community, text.encode("utf-16"), CSV)
    assert response.status_code == 422 and response.json()["errors"][0]["row"] == 3
    assert ledger(client, community, "r1") == []


def test_a_lone_surrogate_in_utf16_is_refused(client, community):
    body = "\ufeff".encode("utf-16-le") + CSV_HEADER.encode("utf-16-le") + b"s\x00\x00\xd8,\x00"
    response = post_file(client, community, body, CSV)
    assert response.status_code == 422 and response.json()["errors"][0]["code"] == "facts_unreadable"


def test_an_oversized_csv_field_is_refused_at_its_row(client, community):
    body = (CSV_HEADER + 'f1,cleanup,r1,2026-01-05,1\nf2,cleanup,r1,2026-01-05,"' + "9" * 140_000 + '"\n').encode()
    response = post_file(client, community, body, CSV)
    assert response.status_code == 422 and response.json()["errors"][0]["row"] == 3


def test_a_refused_import_leaves_stored_facts_alone(client, community):
    first = post_file(client, community, (CSV_HEADER + "k1,cleanup,r3,2026/1/5 9:30,1\n").encode(), CSV)
    assert first.status_code == 200
    again = CSV_HEADER + "k9,cleanup,r3,2026-01-06,1\nk1,cleanup,r3,2026-01-05 09:30,2\n"  # k1 changed: a conflict
    refused = post_file(client, community, again.encode(), CSV)
    assert refused.status_code == 422 and refused.json()["errors"][0]["row"] == 3
    same = CSV_HEADER + "k1,cleanup,r3,2026-01-05T01:30:00Z,1\n"  # the same moment spelled otherwise
    duplicate = post_file(client, community, same.encode(), CSV)
    assert duplicate.status_code == 200 and duplicate.json()["duplicates"] == 1
    assert ledger(client, community, "r3") == [("k1", "2026-01-05T09:30:00+08:00")]


# --- hostile workbooks --------------------------------------------------------------------------------------------

SHARED = (f'<sst xmlns="{MAIN}"><si><t>only</t></si></sst>').encode()


@pytest.mark.parametrize(("sheet_xml", "parts"), [
    pytest.param(sheet(row(1, *HEADER) + '<row r="2"><c r="A2" t="s"><v>99</v></c></row>'),
                 {"xl/sharedStrings.xml": SHARED}, id="shared-string-index-out-of-range"),
    pytest.param(sheet(row(1, *HEADER) + '<row r="2"><c r="A2"><v>NaN</v></c></row>'), None, id="NaN-number"),
    pytest.param(sheet(row(1, *HEADER) + '<row r="2"><c r="A2"><v>abc</v></c></row>'), None, id="text-as-number"),
    pytest.param(sheet(row(1, *HEADER) + '<row r="2">' + text_cell("ZZZZ2", "x") + "</row>"), None,
                 id="column-beyond-XFD"),
    pytest.param(sheet(row(1, *HEADER) + '<row r="x">' + text_cell("A2", "x") + "</row>"), None, id="row-number-x"),
    pytest.param(sheet(good_rows("s&#xD800;"), "A1:E2"), None, id="surrogate-character-reference"),
    pytest.param(sheet(good_rows(), "A1:E2")[:-40], None, id="truncated-after-dimension"),
])
def test_a_damaged_workbook_is_refused_as_unreadable_not_a_500(client, community, sheet_xml, parts):
    # Found by attack: only load_workbook is guarded; the rows are parsed lazily in sheet.iter_rows, whose IndexError,
    # ValueError and ParseError escape parse_facts and answer 500 internal_error.
    response = post_file(client, community, workbook(sheet_xml, parts), XLSX)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["code"] == "facts_unreadable"


def _many_sheets(count: int) -> dict[str, bytes]:
    book, rels = blank_part("xl/workbook.xml"), blank_part("xl/_rels/workbook.xml.rels")
    book = book.replace("</sheets>", "".join(f'<sheet name="s{i}" sheetId="{i + 10}" r:id="rX{i}"/>'
                                             for i in range(count)) + "</sheets>")
    rels = rels.replace("</Relationships>", "".join(
        f'<Relationship Id="rX{i}" Target="worksheets/sheet1.xml" Type="http://schemas.openxmlformats.org/'
        f'officeDocument/2006/relationships/worksheet"/>' for i in range(count)) + "</Relationships>")
    return {"xl/workbook.xml": book.encode(), "xl/_rels/workbook.xml.rels": rels.encode()}


def _many_styles(count: int) -> dict[str, bytes]:
    styles = blank_part("xl/styles.xml").replace('<cellXfs count="1">', '<cellXfs count="1">'
                                                  + '<xf numFmtId="14"/>' * count)
    return {"xl/styles.xml": styles.encode()}


BOMBS = {  # name: (sheet, parts), each a body of a few KB that openpyxl holds whole in memory while loading
    "100k-shared-strings": lambda: (sheet(good_rows()), {
        "xl/sharedStrings.xml": (f'<sst xmlns="{MAIN}">' + "<si><t/></si>" * 100_000 + "</sst>").encode()}),
    "45k-cell-styles": lambda: (sheet(good_rows()), _many_styles(45_000)),
    "7k-sheets": lambda: (sheet(good_rows()), _many_sheets(7_000)),
    "600k-rows-without-numbers-or-dimension": lambda: (sheet(good_rows() + "<row/>" * 600_000), None),
    # Found by attack: only "<c " was counted, so 8M empty cells (53 KB) took 28 s; here 1M, unprefixed and prefixed
    "1M-empty-cells": lambda: (sheet(good_rows() + ("<row>" + "<c/>" * 500 + "</row>") * 2_000), None),
    "1M-empty-cells-with-a-prefix": lambda: (sheet(good_rows() + ('<x:row xmlns:x="' + MAIN + '">' + "<x:c/>" * 500
                                                                   + "</x:row>") * 2_000), None),
    "16384-columns-declared": lambda: (sheet(row(1, *HEADER) + "".join(
        row(n, f"w{n}") for n in range(2, 450)), "A1:XFD450"), None),
}


@pytest.mark.parametrize("bomb", list(BOMBS))
def test_a_small_workbook_cannot_make_the_server_work_for_seconds(client, community, bomb):
    # Found by attack: the 64 MB inflated-size check lets through parts that openpyxl expands into millions of objects
    # before a row is read (shared strings, styles, sheets; a sheet without <dimension> is parsed whole by
    # _get_size, its cleared rows kept), and <dimension ref="A1:XFD…"> pads every row to 16,384 cells, each
    # passed through _cell_text and kept. Measured in-process: 5M shared strings = 131 KB body, 82 s, 563 MB;
    # 3M <row/> = 31 KB, 5 s, 341 MB; A1:XFD2001 with 2,000 one-cell rows = 15 KB, 8 s, 303 MB (at 200,000
    # rows: ~15 min and ~26 GB). The sizes here are cut down to keep the test short.
    sheet_xml, parts = BOMBS[bomb]()
    body = workbook(sheet_xml, parts)
    assert len(body) < 96 * 1024
    response = post_file(client, community, body, XLSX)
    if bomb == "16384-columns-declared":  # a declared width is not read: its rows are judged as rows
        assert response.status_code == 422 and response.json()["code"] == "facts_rejected", response.text
    else:  # counted before openpyxl builds an object for each (it took 3–82 s and up to 563 MB)
        assert response.status_code == 422 and response.json()["errors"][0]["code"] == "facts_unreadable"


def test_a_zip_bomb_is_refused_before_it_is_inflated(client, community):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (100 * 1024 * 1024))
    response = post_file(client, community, out.getvalue(), XLSX)
    assert response.status_code == 422 and "inflates" in response.json()["errors"][0]["message"]


def test_a_workbook_that_understates_its_sizes_is_refused(client, community):
    body = bytearray(workbook(sheet(good_rows() + row(3, "y" * 5000), "A1:E3")))
    name = b"xl/worksheets/sheet1.xml"
    central = body.index(b"PK\x01\x02")  # the central directory's first entry
    while body[central + 46:central + 46 + len(name)] != name:
        central = body.index(b"PK\x01\x02", central + 4)
    body[central + 24:central + 28] = struct.pack("<I", 200)  # "inflates to 200 bytes"
    response = post_file(client, community, bytes(body), XLSX)
    assert response.status_code == 422 and response.json()["errors"][0]["code"] == "facts_unreadable"


def test_not_a_zip_and_text_sent_as_xlsx_are_refused(client, community):
    for body in (b"", b"PK\x03\x04garbage", (CSV_HEADER + "a,cleanup,r1,2026-01-05,1\n").encode()):
        response = post_file(client, community, body, XLSX)
        assert response.status_code == 422 and response.json()["errors"][0]["code"] == "facts_unreadable"


def test_an_empty_formatted_last_row_does_not_make_a_sheet_too_long(client, community):
    # Found by attack: Excel writes a formatted empty row (<row r="1048576" customHeight="1"/>); openpyxl fills the
    # gap with
    # empty rows, which count toward XLSX_MAX_ROWS: a sheet of one fact is refused as "at most 200,000 rows".
    body = workbook(sheet(good_rows("e1", "r2") + '<row r="1048576" ht="20" customHeight="1"/>'))
    response = post_file(client, community, body, XLSX)
    assert response.status_code == 200, response.text
    assert ledger(client, community, "r2") == [("e1", "2026-01-05T00:00:00+08:00")]


def test_escaped_nul_and_surrogates_in_shared_strings_stay_literal(client, community):
    shared = f'<sst xmlns="{MAIN}"><si><t>a_x0000_b</t></si><si><t>c_xD800_</t></si></sst>'.encode()
    cells = '<c r="A2" t="s"><v>0</v></c>', '<c r="A3" t="s"><v>1</v></c>'
    body = workbook(sheet(row(1, *HEADER) + row(2, cells[0], "cleanup", "r1", "2026-01-05", "1")
                          + row(3, cells[1], "cleanup", "r1", "2026-01-06", "1")), {"xl/sharedStrings.xml": shared})
    response = post_file(client, community, body, XLSX)
    assert response.status_code == 200, response.text
    ids = [fact_id for fact_id, _ in ledger(client, community, "r1")]
    assert ids == ["a_x0000_b", "c_xD800_"] and not any("\x00" in i or "\ud800" in i for i in ids)


def test_an_excel_serial_in_a_whole_number_cell_is_refused_at_its_row(client, community):
    cell = '<c r="D2"><v>46054</v></c>'  # 2026-02-01 typed as a plain number
    body = workbook(sheet(row(1, *HEADER) + row(2, "s1", "cleanup", "r1", cell, "1")))
    response = post_file(client, community, body, XLSX)
    assert response.status_code == 422
    assert [(e["row"], e["path"]) for e in response.json()["errors"]] == [(2, "occurred_at")]
    assert "not a date" in response.json()["errors"][0]["message"]


def test_an_excel_serial_with_a_time_is_refused_as_a_number_not_as_1970(client, community):
    # Found by attack: 46054.5 (2026-02-01 12:00 in a General cell) became the text "46054.5", read as Unix seconds:
    # the
    # clerk is told "no published ruleset ... is in force on 1970-01-01" (and a serial of ten digits would be
    # stored as a 2025 fact).
    cell = '<c r="D2"><v>46054.5</v></c>'
    body = workbook(sheet(row(1, *HEADER) + row(2, "s2", "cleanup", "r1", cell, "1")))
    response = post_file(client, community, body, XLSX)
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert (error["row"], error["path"]) == (2, "occurred_at") and "1970" not in error["message"]
    assert ledger(client, community, "r1") == []


# --- exports -------------------------------------------------------------------------------------------------------

FORMULA = '=HYPERLINK("http://x.example","点我")'


def test_exports_do_not_hand_formulas_to_excel(client, community):
    # BUG (report only): a resident named =HYPERLINK(…) and facts imported with ids "=1+2" and "@SUM(A1)" are
    # written unescaped: CSV cells begin with = and @ (Excel runs them), and openpyxl turns any text starting with
    # "=" into a live formula in scores.xlsx and ledger.xlsx.
    assert client.post(f"/communities/{community}/residents", json=[
        {"id": "evil", "name": FORMULA, "zone": "north", "household": "h9"}]).status_code == 200
    text = CSV_HEADER + '"=1+2",cleanup,evil,2026-01-02,1\n@SUM(A1),cleanup,evil,2026-01-03,1\n'
    assert post_file(client, community, text.encode(), CSV).status_code == 200
    scores = read_rows(client.get(f"/communities/{community}/scores.csv").text)
    assert not next(r for r in scores if r["resident"] == "evil")["name"].startswith("=")
    entries = read_rows(client.get(f"/communities/{community}/ledger.csv", params={"resident": "evil"}).text)
    assert not any(e["fact_id"][:1] in "=+-@" for e in entries)
    book = load_workbook(io.BytesIO(client.get(f"/communities/{community}/scores.xlsx").content))
    named = next(r for r in book.worksheets[0].iter_rows() if r[0].value == "evil")[1]
    assert named.data_type != "f"
    book = load_workbook(io.BytesIO(client.get(f"/communities/{community}/ledger.xlsx",
                                               params={"resident": "evil"}).content))
    assert all(r[11].data_type != "f" for r in book.worksheets[0].iter_rows(min_row=2))


def test_a_control_character_in_a_name_or_id_does_not_break_the_xlsx_exports(client, community):
    # Found by attack: a resident name "张\x01三" (accepted over JSON) or a fact id "k\x0b1" (accepted from a CSV) makes
    # openpyxl raise IllegalCharacterError: scores.xlsx, ledger.xlsx answer 500 for the whole community.
    named = client.post(f"/communities/{community}/residents", json=[
        {"id": "ctl", "name": "张\u0001三", "zone": "north", "household": "h8"}])
    if named.status_code == 200:
        assert answer(client.get, f"/communities/{community}/scores.xlsx").status_code == 200
    imported = post_file(client, community, (CSV_HEADER + "k\x0b1,cleanup,r2,2026-01-02,1\n").encode(), CSV)
    if imported.status_code == 200:
        assert answer(client.get, f"/communities/{community}/ledger.xlsx").status_code == 200
        assert answer(client.get, f"/communities/{community}/ledger.xlsx", params={"resident": "r2"}).status_code \
            == 200


def test_every_csv_export_and_template_starts_with_a_bom(client, community):
    assert post_file(client, community, (CSV_HEADER + "b1,cleanup,r1,2026-01-02,1\n").encode(), CSV).status_code \
        == 200
    for path, params in [("scores.csv", {}), ("ledger.csv", {}), ("ledger.csv", {"resident": "r1"}),
                         ("residents/r1/ledger.csv", {}), ("facts/template.csv", {"type": "violation"})]:
        response = client.get(f"/communities/{community}/{path}", params=params)
        assert response.status_code == 200 and response.content.startswith("\ufeff".encode()), path
