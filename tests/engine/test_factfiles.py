"""Fact files as an office saves them: CSV in UTF-8 / GBK / GB18030 / UTF-16, and .xlsx, with Chinese headers."""

from __future__ import annotations

import datetime as dt
import io
import tracemalloc
import zipfile

import pytest
import xlsxwriter
from openpyxl import Workbook

from xinzhi.engine import FactError, factfiles
from xinzhi.engine.factfiles import (
    MAX_COLUMNS,
    XLSX_MAX_INFLATED,
    column_key,
    decode_text,
    format_of,
    parse_fact_rows,
    parse_facts,
    read_facts,
    stream_fact_rows,
)

HEADER = "编号（id）,事实类型（type）,居民（resident）,发生时间（occurred_at）,服务内容（activity）"
ROW = "v1,volunteering,A1,2026/11/20 9:00,清扫楼道"
EXPECTED = {"id": "v1", "type": "volunteering", "resident": "A1", "occurred_at": "2026/11/20 9:00",
            "fields": {"activity": "清扫楼道"}}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_a_csv_is_read_in_the_encoding_excel_saved_it_in(tmp_path, encoding):
    path = tmp_path / "facts.csv"
    path.write_bytes(f"{HEADER}\r\n{ROW}\r\n".encode(encoding))
    assert read_facts(path) == [EXPECTED]


def test_gb18030_beyond_gbk_is_read_too(tmp_path):
    path = tmp_path / "facts.csv"
    rare = "𠀀"  # a character GBK lacks and GB18030 has (four bytes)
    path.write_bytes(f"{HEADER}\n{ROW}{rare}\n".encode("gb18030"))
    assert read_facts(path)[0]["fields"]["activity"] == f"清扫楼道{rare}"


def test_bytes_that_are_no_text_are_refused_at_their_row():
    data = f"{HEADER}\n{ROW}\n".encode() + b"v2,volunteering,A1,2026-11-21,\x80\xff\n"
    with pytest.raises(FactError) as refused:
        parse_facts(data, fmt="csv", name="office.csv")
    problem = refused.value.problems[0]
    assert (problem.file, problem.row) == ("office.csv", 3) and "GBK" in problem.message


@pytest.mark.parametrize(("text", "row"), [
    ('id,type,resident,occurred_at\na1,act,r1,2021-01-01\na2,"act,r1,2021-01-01\na3,act,r1,2021-01-01\n', 3),
    ('id,type,resident,occurred_at\na1,"act"x,r1,2021-01-01\n', 2),
])
def test_a_quote_never_closed_is_refused_at_the_row_it_opens_in(text, row):
    # found by attack: read leniently, the rest of the file became one cell and the error blamed occurred_at
    with pytest.raises(FactError) as raised:
        factfiles.parse_facts(text.encode(), fmt="csv", name="f.csv")
    assert [(p.code, p.row) for p in raised.value.problems] == [("facts_unreadable", row)]


@pytest.mark.parametrize(("header", "key"), [
    ("occurred_at", "occurred_at"), ("发生时间", "occurred_at"), ("发生时间（occurred_at）", "occurred_at"),
    ("时长(hours)", "hours"), (" 居民 ", "resident"), ("家庭", "household"), ("备注", "备注")])
def test_a_header_names_its_key_by_the_key_its_title_or_both(header, key):
    assert column_key(header) == key


def test_a_header_without_a_base_column_names_it_in_both_languages():
    with pytest.raises(FactError) as refused:
        parse_facts("编号,居民\nv1,A1\n", fmt="csv", name="office.csv")
    assert "type, occurred_at" in refused.value.problems[0].message
    assert "事实类型、发生时间" in refused.value.problems[0].message


def workbook(rows: list[list[object]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xlsx_is_read_with_its_date_cells_and_numbers_as_text(tmp_path):
    path = tmp_path / "facts.xlsx"
    path.write_bytes(workbook([
        ["编号（id）", "事实类型（type）", "居民（resident）", "发生时间（occurred_at）", "时长（hours）",
         "服务内容（activity）"],
        [1001, "volunteering", "A1", dt.datetime(2026, 11, 20, 9, 0), 2.0, "清扫楼道"],
        [None, None, None, None, None, None],  # an empty row, as spreadsheets keep them, is no fact
        ["v2", "volunteering", "A1", "2026/11/21 14:30", 1.5, None],
    ]))
    assert read_facts(path) == [
        {"id": "1001", "type": "volunteering", "resident": "A1", "occurred_at": "2026-11-20T09:00:00",
         "fields": {"hours": "2", "activity": "清扫楼道"}},
        {"id": "v2", "type": "volunteering", "resident": "A1", "occurred_at": "2026/11/21 14:30",
         "fields": {"hours": "1.5"}},
    ]


def merged_sheet(writer: str, merges: list[str]) -> bytes:
    """A titled sign-up sheet, ``merges`` merged (by ``writer``: openpyxl, or XlsxWriter as offices' tools write)."""
    rows = [["某某社区志愿服务登记表"], HEADER.split(",") + ["时长（hours）"],
            ["v1", "volunteering", "A1", "2026/11/20 9:00", "清扫楼道", 2],
            ["v2", "volunteering", "A2", None, None, 1],
            ["v3", "volunteering", "A3", None, None, 1.5],
            ["v4", "volunteering", "A4", "2026/11/21 9:00", "敬老院", 3]]
    if writer == "openpyxl":
        book = Workbook()
        for row in rows:
            book.active.append(row)
        for ref in merges:
            book.active.merge_cells(ref)
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()
    out = io.BytesIO()
    with xlsxwriter.Workbook(out) as book:
        sheet = book.add_worksheet()
        for number, row in enumerate(rows):
            sheet.write_row(number, 0, row)
        for ref in merges:  # a merged range keeps its first cell's value
            first = ref.split(":")[0]
            value = rows[int(first[1:]) - 1][ord(first[0]) - ord("A")]
            sheet.merge_range(ref, value)
    return out.getvalue()


@pytest.mark.parametrize("writer", ["openpyxl", "xlsxwriter"])
def test_a_column_merged_down_gives_each_of_its_rows_its_value_and_a_title_across_is_read_as_written(writer):
    facts = parse_facts(merged_sheet(writer, ["A1:F1", "D3:D5", "E3:E5"]), fmt="xlsx", name="登记表.xlsx")
    assert [(f["id"], f["occurred_at"], f["fields"]) for f in facts] == [
        ("v1", "2026/11/20 9:00", {"activity": "清扫楼道", "hours": "2"}),
        ("v2", "2026/11/20 9:00", {"activity": "清扫楼道", "hours": "1"}),
        ("v3", "2026/11/20 9:00", {"activity": "清扫楼道", "hours": "1.5"}),
        ("v4", "2026/11/21 9:00", {"activity": "敬老院", "hours": "3"}),
    ]
    unmerged = parse_facts(merged_sheet(writer, []), fmt="xlsx", name="登记表.xlsx")
    assert [f["fields"] for f in unmerged][1] == {"hours": "1"}  # unmerged, the empty cells stay empty


@pytest.mark.parametrize("writer", ["openpyxl", "xlsxwriter"])
def test_cells_merged_across_columns_among_the_facts_are_refused_at_their_row(writer):
    with pytest.raises(FactError) as refused:
        parse_facts(merged_sheet(writer, ["A1:F1", "D3:E3"]), fmt="xlsx", name="登记表.xlsx")
    [problem] = refused.value.problems
    assert (problem.row, problem.says, problem.params) == (3, "xlsx.merged_across", {"cells": "D3:E3"})


def far_cells(rows: int, column: str = "XFD") -> bytes:
    """A header, then ``rows`` rows each holding one value in ``column`` (found by attack: 42 KB made 1.2 GB)."""
    book = Workbook()
    book.active.append(HEADER.split(","))
    for row in range(2, rows + 2):
        book.active[f"{column}{row}"] = 1
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_value_far_beyond_the_header_is_refused_at_its_row_without_padding_every_row():
    tracemalloc.start()
    with pytest.raises(FactError) as refused:
        parse_facts(far_cells(2_000), fmt="xlsx", name="wide.xlsx")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    [problem] = refused.value.problems
    assert (problem.row, problem.says, problem.params["column"]) == (2, "xlsx.beyond_header", "XFD")
    assert peak < 50_000_000, peak  # each row padded to 16,384 cells and kept took 400 MB
    with pytest.raises(FactError, match="column F, beyond the header's 5 columns"):
        parse_facts(far_cells(1, "F"), fmt="xlsx", name="wide.xlsx")
    wide = workbook([[f"c{n}" for n in range(MAX_COLUMNS + 1)]])
    with pytest.raises(FactError, match=f"wider than {MAX_COLUMNS} columns"):
        parse_facts(wide, fmt="xlsx", name="wide.xlsx")


def test_empty_cells_far_to_the_right_are_no_values():
    book = Workbook()
    book.active.append(HEADER.split(","))
    book.active.append(ROW.split(","))
    book.active["XFD2"].number_format = "0.00"  # a styled cell with nothing in it, as Excel keeps them
    book.active["XFD3"] = ""
    out = io.BytesIO()
    book.save(out)
    assert [fact["id"] for fact in parse_facts(out.getvalue(), fmt="xlsx", name="styled.xlsx")] == ["v1"]


TITLED = [["某某社区2024年志愿服务登记表"], ["填表单位：社区居委会", None, "日期：2024-06-01"], [],
          HEADER.split(","), ROW.split(",")]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_title_above_the_header_as_offices_write_it_is_skipped(fmt):
    """The sheet's title, unit and date above its columns: the columns are found, each fact keeps its row."""
    data = "\n".join(",".join(cell or "" for cell in row) for row in TITLED).encode() if fmt == "csv" else \
        workbook(TITLED)
    assert [(row, fact["id"]) for row, fact in parse_fact_rows(data, fmt=fmt, name=f"titled.{fmt}")] == [(5, "v1")]
    untitled = [["某某社区登记表"]] * 5 + TITLED[3:]  # five rows above: looked no further, the first is the header
    data = "\n".join(",".join(row) for row in untitled).encode() if fmt == "csv" else workbook(untitled)
    with pytest.raises(FactError) as refused:
        parse_fact_rows(data, fmt=fmt, name=f"untitled.{fmt}")
    assert (refused.value.problems[0].row, refused.value.problems[0].says) == (1, "table.missing_columns")


def test_a_file_that_is_no_workbook_is_refused():
    with pytest.raises(FactError, match="not an .xlsx workbook"):
        parse_facts(b"id,type\n", fmt="xlsx", name="facts.xlsx")


def test_a_workbook_that_inflates_too_far_is_refused_before_it_is_opened():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (XLSX_MAX_INFLATED + 1))
    assert len(out.getvalue()) < 200_000  # small on the wire
    with pytest.raises(FactError, match="inflates to"):
        parse_facts(out.getvalue(), fmt="xlsx", name="bomb.xlsx")


def test_a_damaged_workbook_is_refused_as_the_files_fault():
    data = bytearray(workbook([["id"]]))
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, b"<not xml" if item.filename.endswith("workbook.xml") else src.read(item))
    with pytest.raises(FactError, match="not readable as an .xlsx workbook"):
        parse_facts(out.getvalue(), fmt="xlsx", name="damaged.xlsx")


# ---------------------------------------------------------------- a file read a slice at a time

JSONL_LINES = [
    '{"id": "j1", "type": "volunteering", "resident": "王五", "occurred_at": "2026-11-20T09:00:00", '
    '"fields": {"activity": "清扫楼道"}}',
    '{"id": "j2", "type": "volunteering", "resident": "A1", "occurred_at": "2026-11-21T09:00:00"}',
    '{"id": "j3", "type": "volunteering", "resident": "A1", "occurred_at": "2026-11-22T09:00:00"}',
]
TEXTS = {  # every way a line ends: CR LF, a lone CR, and (for JSON Lines, as str.splitlines has it) U+2028
    "facts.csv": f"{HEADER}\r\n{ROW}\r\nv2,volunteering,A2,2026/11/21 9:00,\"扫\r\n地\"\r{ROW.replace('v1', 'v3')}\n",
    "facts.jsonl": f"{JSONL_LINES[0]}\r\n\r\n{JSONL_LINES[1]}\u2028{JSONL_LINES[2]}\r\n\n",
}


def streamed(path, monkeypatch, size: int):
    """``stream_fact_rows`` reading ``size`` bytes (or characters) at a time, and what it raised, if anything."""
    monkeypatch.setattr(factfiles, "SLICE", size)
    rows = []
    try:
        for row in stream_fact_rows(path):
            rows.append(row)
    except FactError as exc:
        return rows, [p.model_dump() for p in exc.problems]
    return rows, None


def whole(path):
    try:
        return parse_fact_rows(path.read_bytes(), fmt=format_of(path), name=str(path)), None
    except FactError as exc:
        return None, [p.model_dump() for p in exc.problems]


@pytest.mark.parametrize("name", sorted(TEXTS))
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
@pytest.mark.parametrize("size", [1, 2, 3, 7, 1 << 20])
def test_a_file_read_in_slices_gives_the_rows_of_the_whole(tmp_path, monkeypatch, name, encoding, size):
    path = tmp_path / name
    path.write_bytes(TEXTS[name].encode(encoding))
    expected, refused = whole(path)
    assert refused is None
    assert streamed(path, monkeypatch, size) == (expected, None)
    assert len(expected) == 3


@pytest.mark.parametrize(("name", "data"), [
    ("bad.jsonl", "\n".join([JSONL_LINES[0], "{not json", "[1, 2]", JSONL_LINES[2].replace("A1", "A\u20281")])
     .encode()),  # U+2028 inside a string ends the line for str.splitlines, so for both readers
    ("bad.csv", f"{HEADER}\n{ROW}\nv2,volunteering,A1,2026-11-21,x,1,000\n{ROW}\n".encode()),
    ("bad.csv", f"{HEADER}\n{ROW}\n".encode() + b"v2,volunteering,A1,2026-11-21,\x80\xff\n"),
    ("bad.csv", "编号\n".encode("utf-16-le").join([b"\xff\xfe", b"\x00\xd8"])),
    ("bad.jsonl", "\ufeff社区".encode() + b"\xff\n{}\n"),  # damaged UTF-8 after a BOM, Chinese right before
], ids=["json lines", "csv extra cells", "not text", "utf-16 lone surrogate", "utf-8 bom"])
def test_a_file_read_in_slices_is_refused_as_the_whole_is(tmp_path, monkeypatch, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    _, refused = whole(path)
    assert refused
    for size in (1, 5, 1 << 20):
        assert streamed(path, monkeypatch, size)[1] == refused


def test_damaged_utf8_after_a_bom_is_refused_not_read_as_gbk():
    """A BOM once shifted the byte counted by three: Chinese just before the fault went unseen and the file
    was read as GB18030 — mojibake stored as facts."""
    data = "\ufeff编号,事实类型\n社区".encode() + b"\xff"
    with pytest.raises(FactError) as refused:
        decode_text(data, "office.csv")
    assert (refused.value.problems[0].code, refused.value.problems[0].row) == ("facts_unreadable", 2)


@pytest.mark.parametrize(("xml", "uncalculated"), [
    (b'<c r="E2"><f>1+1</f><v /></c>', True),  # as openpyxl writes "=1+1"
    (b'<c r="E2"><f>1+1</f></c>', True),
    (b'<x:c r="E2"><x:f t="shared" si="0"/></x:c>', True),
    (b'<c r="E2"><f>1+1</f><v>2</v></c>', False),  # as Excel saves it: the value it calculated
    (b'<c r="E2" t="str"><f>A1</f><v>v1</v></c>', False),
    (b'<c r="E2" t="inlineStr"><is><t>=1+1</t></is></c>', False),  # text that looks like a formula
])
def test_a_formula_is_refused_only_where_no_spreadsheet_calculated_it(xml, uncalculated):
    assert bool(factfiles._UNCACHED_FORMULA.search(xml)) is uncalculated
