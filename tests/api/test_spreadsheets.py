"""Spreadsheets as a Chinese office uses them, over HTTP: a template to fill in, GBK CSV and .xlsx in, Excel out."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import Workbook, load_workbook

from tests.api.conftest import PROBLEM
from tests.support.exports import read_rows
from tests.support.standard import CIVIC_V1
from xinzhi.engine.factfiles import column_key
from xinzhi.spreadsheets import XLSX_MEDIA_TYPE

CSV = {"content-type": "text/csv"}
XLSX = {"content-type": XLSX_MEDIA_TYPE}


def sheet(data: bytes) -> list[list]:
    book = load_workbook(io.BytesIO(data), read_only=True)
    return [[cell for cell in row] for row in book.worksheets[0].iter_rows(values_only=True)]


def test_a_template_per_fact_type_is_headed_in_chinese_and_imports_once_filled(client, community):
    template = client.get(f"/communities/{community}/facts/template.csv", params={"type": "cleanup"})
    assert template.status_code == 200 and template.headers["content-type"] == "text/csv; charset=utf-8"
    assert template.content.startswith("\ufeff".encode())  # Excel reads the Chinese as UTF-8
    header = template.text.lstrip("\ufeff").strip()
    assert header == "编号（id）,事实类型（type）,居民（resident）,发生时间（occurred_at）,count（count）"
    filled = f"{header}\r\nk1,cleanup,r1,2026/1/5 9:30,3\r\nk2,cleanup,r2,2026年1月6日 14时,2\r\n"
    imported = client.post(f"/communities/{community}/facts/import", content=filled.encode("gbk"), headers=CSV)
    assert imported.status_code == 200, imported.text
    assert imported.json()["scored"] == 2
    entries = client.get(f"/communities/{community}/residents/r2/ledger").json()["entries"]
    assert [(e["fact_id"], e["occurred_at"][:16]) for e in entries] == [("k2", "2026-01-06T14:00")]


def test_the_xlsx_template_explains_each_column_on_a_second_sheet(client, community):
    response = client.get(f"/communities/{community}/facts/template.xlsx", params={"type": "violation"})
    assert response.status_code == 200 and response.headers["content-type"] == XLSX_MEDIA_TYPE
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    assert book.sheetnames == ["事实", "填写说明"]
    notes = {row[0]: row[1] for row in book["填写说明"].iter_rows(values_only=True)}
    assert notes["kind（kind）"] == "以下之一：noise、parking"
    assert "分不清日月" in notes["发生时间（occurred_at）"]


def test_an_unknown_fact_type_is_refused_naming_the_types_there_are(client, community):
    response = client.get(f"/communities/{community}/facts/template.csv", params={"type": "nope"})
    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM
    error = response.json()["errors"][0]
    assert error["path"] == "type" and "清理小广告（cleanup）" in error["message"]


def test_an_xlsx_workbook_imports_with_excel_dates_and_numbers(client, community):
    book = Workbook()
    book.active.append(["编号", "事实类型", "居民", "发生时间", "数量（count）"])
    book.active.append(["x1", "cleanup", "r3", dt.datetime(2026, 2, 1, 10, 0), 4])
    out = io.BytesIO()
    book.save(out)
    imported = client.post(f"/communities/{community}/facts/import", content=out.getvalue(), headers=XLSX,
                           params={"name": "二月.xlsx"})
    assert imported.status_code == 200, imported.text
    assert imported.json()["scored"] == 1
    ledger = client.get(f"/communities/{community}/residents/r3/ledger").json()["entries"]
    assert [(e["fact_id"], e["occurred_at"][:16]) for e in ledger] == [("x1", "2026-02-01T10:00")]


def test_a_date_whose_day_and_month_cannot_be_told_apart_is_refused_at_its_row(client, community):
    text = "id,type,resident,occurred_at,count\nd1,cleanup,r1,2026-02-03,1\nd2,cleanup,r1,05/06/2026,1\n"
    refused = client.post(f"/communities/{community}/facts/import", content=text.encode(), headers=CSV,
                          params={"name": "office.csv"})
    assert refused.status_code == 422
    (error,) = refused.json()["errors"]
    assert (error["file"], error["row"], error["path"]) == ("office.csv", 3, "occurred_at")
    assert "cannot be told apart" in error["message"]
    assert client.get(f"/communities/{community}/residents/r1/ledger").json()["entries"] == []  # nothing stored


def test_text_in_no_known_encoding_is_refused_not_guessed(client, community):
    refused = client.post(f"/communities/{community}/facts/import", headers=CSV,
                          content=b"id,type,resident,occurred_at\nd1,cleanup,r1,\xff\xff\xff\n")
    assert refused.status_code == 422 and "GBK" in refused.json()["errors"][0]["message"]


def test_exports_open_in_excel_as_csv_with_a_bom_and_as_xlsx(client, community):
    facts = [{"id": f"e{n}", "type": "cleanup", "resident": "r1", "occurred_at": f"2026-03-0{n}T10:00:00+08:00",
              "fields": {"count": 1}} for n in (1, 2)]
    assert client.post(f"/communities/{community}/facts/batch", json={"facts": facts}).status_code == 200
    scores = read_rows(client.get(f"/communities/{community}/scores.csv").text)
    mine = next(r for r in scores if r["resident"] == "r1")
    workbook = client.get(f"/communities/{community}/scores.xlsx")
    assert workbook.status_code == 200 and workbook.headers["content-type"] == XLSX_MEDIA_TYPE
    header, *rows = sheet(workbook.content)
    assert header[:3] == ["居民（resident）", "姓名（name）", "分区（zone）"]
    row = dict(zip([column_key(h) for h in header], next(r for r in rows if r[0] == "r1"), strict=True))
    assert (row["index"], row["points"]) == (102, 2) and (mine["index"], mine["points"]) == ("102", "2")
    assert row["as_of"].date().isoformat() == mine["as_of"]  # a date cell, not text
    assert (row["name"], row["tier_title"]) == (mine["name"], mine["tier_title"]) == ("张三1", "一般")
    ledger = client.get(f"/communities/{community}/ledger.xlsx", params={"resident": "r1"})
    header, *rows = sheet(ledger.content)
    assert header[0] == "序号（seq）" and [row[11] for row in rows] == ["e1", "e2"]
    assert client.get("/communities/nowhere/scores.xlsx").status_code == 404


def test_a_sheet_headed_and_filled_with_titles_alone_imports(client, community):
    """Found by use: an office's own sheet, its type written 清理小广告 and a column 清理张数, was refused."""
    titled = CIVIC_V1.replace("version: 1", "version: 2").replace(
        "effective_from: 2021-01-01", "effective_from: 2025-01-01").replace(
        "count: {type: int, min: 1, max: 100}", "count: {type: int, min: 1, max: 100, title: 清理张数}")
    assert client.post(f"/communities/{community}/rulesets", content=titled.encode(),
                       headers={"content-type": "application/yaml"}).status_code == 201
    assert client.post(f"/communities/{community}/rulesets/civic/versions/2/publish").status_code == 200
    filled = "编号,事实类型,居民,发生时间,清理张数\r\nt1,清理小广告,r1,2026/1/5 9:30,3\r\n"
    imported = client.post(f"/communities/{community}/facts/import", content=filled.encode("gbk"), headers=CSV)
    assert imported.status_code == 200 and imported.json()["scored"] == 1, imported.text
    entries = client.get(f"/communities/{community}/residents/r1/ledger").json()["entries"]
    assert [(e["fact_id"], e["amount"]) for e in entries] == [("t1", 3)]  # 1 a sheet, 3 sheets: the count was read
