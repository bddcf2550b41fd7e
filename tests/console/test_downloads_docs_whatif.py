"""Issue 13 items 4, 5 and 7 in the browser: spreadsheets from the console, the API docs page, the what-if.

Every page is opened with the network to the outside cut, at desktop and phone widths, in
Chinese and in English. A download is what Chromium saved to disk when the button was
clicked (the console fetches with the token and hands over a blob link), read here byte for
byte; an import is the file chosen in the page's own file field.
"""

from __future__ import annotations

import csv
import io
import re
import time
from pathlib import Path

import httpx
import openpyxl
import pytest

from tests.api.cycle import RESIDENTS

from .conftest import assert_chinese, cycle_community, sign_in
from .phone import PHONES, as_phone, frame_layout_problems, layout_problems

COMMUNITY = "sheetsui"
BOM = b"\xef\xbb\xbf"
METHODS = ("get", "post", "put", "delete", "patch")
DESKTOP = {"width": 1400, "height": 1000, "deviceScaleFactor": 1, "mobile": False}


@pytest.fixture(scope="module")
def sheets(demo):
    """A community of its own (the cycle standard, four residents, two scored activities)."""
    return cycle_community(demo, COMMUNITY, "表格社区", [
        {"id": f"seed-{i}", "type": "activity", "resident": resident, "occurred_at": "2024-05-01T19:00:00+08:00",
         "fields": {"name": "重阳节敬老活动"}} for i, resident in enumerate(("n1", "s1"))])


def _allow_downloads(page, directory: Path) -> None:
    page.browser.send("Browser.setDownloadBehavior", {"behavior": "allowAndName", "downloadPath": str(directory),
                                                      "eventsEnabled": True})


def _download(page, selector: str, directory: Path) -> tuple[str, bytes]:
    """Click a download button; what Chromium saved: (the file name the page gave it, its bytes)."""
    seen = len(page.browser.events)
    page.click(selector)
    deadline = time.monotonic() + 20
    while True:
        events = page.browser.events[seen:]
        begun = [e["params"] for e in events if e["method"] == "Browser.downloadWillBegin"]
        done = {e["params"]["guid"] for e in events
                if e["method"] == "Browser.downloadProgress" and e["params"]["state"] == "completed"}
        saved = next((b for b in begun if b["guid"] in done), None)
        if saved:
            break
        if time.monotonic() > deadline:
            raise AssertionError(f"nothing was saved from {selector}: {page.text('main')[:2000]}")
        page.browser.pump(0.1)
    assert saved["url"].startswith("blob:http://127.0.0.1"), saved["url"]  # fetched with the token, not a bare link
    return saved["suggestedFilename"], (directory / saved["guid"]).read_bytes()


def _csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(BOM), data[:20]  # so Excel reads the Chinese
    return list(csv.reader(io.StringIO(data[len(BOM):].decode("utf-8"))))


def _xlsx_rows(data: bytes) -> list[list[object]]:
    assert data[:2] == b"PK", data[:20]  # a zip: an Office Open XML workbook
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def _choose_file(page, path: Path, form: str = "import") -> None:
    """Choose ``path`` in a form's file field, as the file dialog would."""
    found = page.call("Runtime.evaluate", {"expression": f"document.querySelector('#{form}-file')"})
    page.call("DOM.setFileInputFiles", {"files": [str(path)], "objectId": found["result"]["objectId"]})
    page.wait_text(path.name, selector=f"#{form}-name")


def _readable_on_phones(page, artifacts, name: str, widths=PHONES, *, full_page: bool = True) -> None:
    for label, (width, height) in widths.items():
        as_phone(page, width, height)
        page.browser.pump(0.3)
        assert layout_problems(page) == [], f"{name} at {width}px"
        page.screenshot(artifacts / f"{name}-phone-{label}.png", full_page=full_page)
    page.call("Emulation.setDeviceMetricsOverride", DESKTOP)


def test_staff_download_exports_and_templates_and_import_a_filled_template(page, demo, sheets, artifacts, tmp_path):
    files = tmp_path / "downloads"
    files.mkdir()
    _allow_downloads(page, files)
    page.block_outside_localhost()
    sign_in(page, demo, demo.token("staff", community=COMMUNITY))
    page.goto(f"{demo.base}/console/#/residents", wait_for="document.querySelector('#template-type')")
    card = page.text("#spreadsheets")
    for words in ("表格：导出与导入", "导出全部居民积分", "导出全部积分台账", "事实模板", "Excel 模板", "CSV 模板",
                  "导入事实表格", "选择文件", "未选择文件", "跳过有错误的行"):
        assert words in card, (words, card)
    assert_chinese(page.text(), "the residents page")
    # the fact types of the standard in force, by their titles
    assert page.eval("[...document.querySelectorAll('#template-type option')].map(o => o.innerText)") == [
        "参加活动", "诚信议事会调解", "非遗传承活动"]
    page.screenshot(artifacts / "files-residents.png", full_page=False)

    # every account's score: a workbook and a CSV, headed in Chinese, one row per resident
    name, data = _download(page, "#scores-xlsx", files)
    assert name == f"{COMMUNITY}-scores.xlsx"
    page.wait_text(f"已下载 {name}", selector="#files-status")
    rows = _xlsx_rows(data)
    assert rows[0][:2] == ["居民（resident）", "姓名（name）"], rows[0]
    assert sorted(r[1] for r in rows[1:]) == sorted(r["name"] for r in RESIDENTS)
    name, data = _download(page, "#scores-csv", files)
    assert name == f"{COMMUNITY}-scores.csv"
    rows = _csv_rows(data)
    assert rows[0][:2] == ["居民（resident）", "姓名（name）"] and "王秀英" in {r[1] for r in rows[1:]}, rows
    _, data = _download(page, "#ledger-xlsx", files)
    assert _xlsx_rows(data)[0][0] == "序号（seq）"
    _, data = _download(page, "#ledger-csv", files)
    assert {r[1] for r in _csv_rows(data)[1:]} == {"n1", "s1"}  # the two scored activities

    # a template for one fact type, chosen by its title: the columns the import reads back
    page.eval("(() => { const s = document.querySelector('#template-type'); s.value = 'heritage'; "
              "s.dispatchEvent(new Event('change')); })()")
    name, data = _download(page, "#template-xlsx", files)
    columns = ["编号（id）", "事实类型（type）", "居民（resident）", "发生时间（occurred_at）"]
    assert name == f"{COMMUNITY}-heritage-template.xlsx"
    assert _xlsx_rows(data)[0] == [*columns, "hours（hours）"], _xlsx_rows(data)
    page.eval("(() => { const s = document.querySelector('#template-type'); s.value = 'activity'; "
              "s.dispatchEvent(new Event('change')); })()")
    name, data = _download(page, "#template-csv", files)
    assert name == f"{COMMUNITY}-activity-template.csv"
    header = _csv_rows(data)[0]
    assert header == [*columns, "name（name）"], header

    # the template filled in: one good row, a date that could be either day or month, a day that does not exist
    filled = tmp_path / "活动签到.csv"
    filled.write_bytes(data + "\n".join(["imp-1,activity,n2,2024-06-01 19:00,垃圾分类宣传",
                                         "imp-2,activity,s2,05/06/2024,义务理发",
                                         "imp-3,activity,n2,2024-02-30 09:00,植树"]).encode() + b"\n")
    before = httpx.get(f"{sheets['url']}/residents/n2/score", headers=sheets["admin"]).json()["points"]
    _choose_file(page, filled)
    page.click("#import-go")
    page.wait("document.querySelector('#import-refused')", message="a file with bad rows was not refused")
    assert "活动签到.csv 有 2 行有错误，没有导入任何一行" in page.text("#import-refused")
    problems = page.eval("[...document.querySelectorAll('#import-errors tr[data-row]')]"
                         ".map(r => [...r.cells].map(c => c.innerText))")
    assert [p[:2] for p in problems] == [["第 3 行", "imp-2"], ["第 4 行", "imp-3"]], problems
    assert "分不清日和月" in problems[0][2] and "不是真实存在的日期" in problems[1][2], problems
    assert_chinese(page.text("#import-out"), "the refused import")
    assert httpx.get(f"{sheets['url']}/residents/n2/score", headers=sheets["admin"]).json()["points"] == before
    page.screenshot(artifacts / "files-import-refused.png")

    page.click("#import-skip")
    page.click("#import-go")
    page.wait("document.querySelector('#import-done')", message="the good row was not imported")
    assert "已导入 活动签到.csv：共 3 行，计分 1 条，重复 0 条，跳过 2 行。" in page.text("#import-done")
    problems = page.eval("[...document.querySelectorAll('#import-errors tr[data-row]')].map(r => r.cells[0].innerText)")
    assert problems == ["第 3 行", "第 4 行"]
    assert "分不清日和月" in page.text("#import-errors")  # the skipped rows said in Chinese too
    assert_chinese(page.text("#import-out"), "the import's result")
    assert httpx.get(f"{sheets['url']}/residents/n2/score", headers=sheets["admin"]).json()["points"] == before + 5
    page.screenshot(artifacts / "files-imported.png")
    _readable_on_phones(page, artifacts, "files-imported", {"390": PHONES["390"]})

    # one resident's ledger, from their page: the imported activity is in it
    page.goto(f"{demo.base}/console/#/resident/n2", wait_for="document.querySelector('#resident-ledger-xlsx')")
    assert "下载积分明细" in page.text("#ledger-files")
    name, data = _download(page, "#resident-ledger-xlsx", files)
    assert name == f"{COMMUNITY}-n2-ledger.xlsx"
    rows = _xlsx_rows(data)
    assert rows[0][0] == "序号（seq）" and "imp-1" in {str(c) for r in rows[1:] for c in r}, rows
    name, data = _download(page, "#resident-ledger-csv", files)
    assert name == f"{COMMUNITY}-n2-ledger.csv"
    rows = _csv_rows(data)
    assert rows[0][:2] == ["序号（seq）", "账户（resident）"] and {r[1] for r in rows[1:]} == {"n2"}, rows
    _readable_on_phones(page, artifacts, "files-resident", {"390": PHONES["390"]})

    # in English: the same buttons and the same files; the result of an import in English
    page.click("#lang")
    page.goto(f"{demo.base}/console/#/residents", wait_for="document.querySelector('#template-type')")
    page.wait_text("Spreadsheets: export and import", selector="#spreadsheets")
    card = page.text("#spreadsheets")
    for words in ("Export all residents' scores", "Export the whole ledger", "Fact template", "Excel template",
                  "Import facts from a spreadsheet", "Choose a file", "No file chosen"):
        assert words in card, (words, card)
    name, data = _download(page, "#scores-xlsx", files)
    assert _xlsx_rows(data)[0][0] == "居民（resident）"  # the file is the office's, in Chinese, whatever the page says
    page.wait_text(f"Downloaded {name}", selector="#files-status")
    again = tmp_path / "again.csv"
    again.write_bytes(filled.read_bytes())
    _choose_file(page, again)
    page.click("#import-skip")
    page.click("#import-go")
    page.wait("document.querySelector('#import-done')")
    assert "Imported again.csv: 3 row(s), 0 scored, 1 seen before, 2 skipped." in page.text("#import-done")
    assert "day and month cannot be told apart" in page.text("#import-errors")
    assert page.eval("[...document.querySelectorAll('#import-errors tr[data-row]')].map(r => r.cells[0].innerText)") \
        == ["row 3", "row 4"]
    page.screenshot(artifacts / "files-en.png", full_page=False)
    _readable_on_phones(page, artifacts, "files-en", {"390": PHONES["390"]})
    page.click("#lang")
    assert page.blocked == []
    page.browser.send("Browser.setDownloadBehavior", {"behavior": "default"})


def test_staff_register_residents_from_the_roster_they_keep_in_excel(page, demo, artifacts, tmp_path):
    """The blank roster downloaded, filled in with a zone by title and a mistake, refused at its row, then stored."""
    roster = cycle_community(demo, "rosterui", "花名册社区", [])
    _allow_downloads(page, tmp_path)
    page.block_outside_localhost()
    sign_in(page, demo, demo.token("staff", community="rosterui"))
    page.goto(f"{demo.base}/console/#/residents", wait_for="document.querySelector('#roster-go')")
    for words in ("居民花名册", "花名册模板", "编号、姓名、分区必填", "选择文件"):
        assert words in page.text("#roster"), words
    name, data = _download(page, "#roster-template-xlsx", tmp_path)
    assert name == "rosterui-residents-template.xlsx"
    page.wait_text(f"已下载 {name}", selector="#roster-status")
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]][:3] == ["编号（id）", "姓名（name）", "分区（zone）"]
    assert "北区（north）" in str([c.value for row in book.worksheets[1].iter_rows() for c in row])
    sheet.append(["r9", "钱多多", "北区"])
    sheet.append(["r10", "孙小梅", "东区"])  # no such zone
    filled = tmp_path / "花名册.xlsx"
    book.save(filled)
    _choose_file(page, filled, "roster")
    page.click("#roster-go")
    page.wait("document.querySelector('#roster-refused')", message="a roster with a bad row was not refused")
    assert "2 行中有 1 行有错误，一个居民也没有登记" in page.text("#roster-refused")
    problems = page.eval("[...document.querySelectorAll('#roster-errors tr[data-row]')]"
                         ".map(r => [...r.cells].map(c => c.innerText))")
    assert [p[:2] for p in problems] == [["第 3 行", "zone"]] and "北区（north）" in problems[0][2], problems
    assert_chinese(page.text("#roster-out"), "the refused roster")
    listed = httpx.get(f"{roster['url']}/residents", headers=roster["admin"]).json()
    assert {r["id"] for r in listed} == {r["id"] for r in RESIDENTS}  # nobody registered

    sheet.cell(row=3, column=3, value="南区")
    book.save(filled)
    _choose_file(page, filled, "roster")
    page.click("#roster-go")
    page.wait("document.querySelector('#roster-done')", message="the corrected roster was not registered")
    assert "已导入 花名册.xlsx：共 2 行，新登记 2 人，更新 0 人。" in page.text("#roster-done")
    page.click("#roster-reload")
    page.wait_text("钱多多", selector="#residents")
    assert "南区" in page.text("#residents") and "孙小梅" in page.text("#residents")
    page.screenshot(artifacts / "roster-imported.png")
    _readable_on_phones(page, artifacts, "roster", {"390": PHONES["390"]})
    assert page.blocked == []
    page.browser.send("Browser.setDownloadBehavior", {"behavior": "default"})


def test_the_committee_downloads_but_does_not_import(page, demo, artifacts, tmp_path):
    """The committee reads the exports of the demo community; importing facts is the staff's."""
    _allow_downloads(page, tmp_path)
    page.block_outside_localhost()
    sign_in(page, demo, demo.token("committee"))
    page.goto(f"{demo.base}/console/#/residents", wait_for="document.querySelector('#template-type')")
    assert page.eval("!document.querySelector('#import-go') && !document.querySelector('#roster-go')")
    titles = page.eval("[...document.querySelectorAll('#template-type option')].map(o => o.innerText)")
    assert "志愿服务" in titles and "volunteering" not in titles, titles
    name, data = _download(page, "#scores-csv", tmp_path)
    assert name == "yihe-scores.csv"
    residents = httpx.get(f"{demo.base}/communities/yihe/residents?limit=500",
                          headers={"Authorization": f"Bearer {demo.token('staff')}"}).json()
    assert len(_csv_rows(data)) == len(residents) + 1
    page.eval("(() => { const s = document.querySelector('#template-type'); s.value = 'volunteering'; "
              "s.dispatchEvent(new Event('change')); })()")
    _, data = _download(page, "#template-csv", tmp_path)
    assert "服务时长（小时）（hours）" in _csv_rows(data)[0]
    page.screenshot(artifacts / "files-committee.png", full_page=False)
    _readable_on_phones(page, artifacts, "files-committee", full_page=False)  # the card above 300 residents
    assert page.blocked == []
    page.browser.send("Browser.setDownloadBehavior", {"behavior": "default"})


def test_a_resident_downloads_their_own_ledger_on_a_phone(page, demo, sheets, artifacts, tmp_path):
    _allow_downloads(page, tmp_path)
    page.block_outside_localhost()
    as_phone(page, *PHONES["390"])
    sign_in(page, demo, demo.token("resident", community=COMMUNITY, resident="s1"))
    page.wait("document.querySelector('#resident-ledger-csv')")
    assert page.eval("!document.querySelector('#resident-ledger-xlsx')")  # the workbook export is the office's
    assert "下载积分明细" in page.text("#ledger-files")
    name, data = _download(page, "#resident-ledger-csv", tmp_path)
    assert name == f"{COMMUNITY}-s1-ledger.csv"
    rows = _csv_rows(data)
    assert rows[0][:2] == ["序号（seq）", "账户（resident）"] and {r[1] for r in rows[1:]} == {"s1"}, rows
    page.wait_text(f"已下载 {name}", selector="#ledger-files-status")
    assert_chinese(page.text(), "my points")
    _readable_on_phones(page, artifacts, "files-mine", {"390": PHONES["390"]})
    assert page.blocked == []
    page.browser.send("Browser.setDownloadBehavior", {"behavior": "default"})


def test_the_api_docs_page_on_a_closed_network(page, demo, artifacts):
    spec = httpx.get(f"{demo.base}/openapi.json").json()
    operations = sorted((method.upper(), path) for path, ops in spec["paths"].items() for method in ops
                        if method in METHODS)
    page.block_outside_localhost()
    page.goto(f"{demo.base}/docs", wait_for="document.querySelector('h1')")
    shown = page.eval("[...document.querySelectorAll('h3')].filter(h => h.querySelector('.path'))"
                      ".map(h => [h.querySelector('.m').innerText, h.querySelector('.path').innerText])")
    assert sorted(map(tuple, shown)) == operations
    text = page.text()
    assert all(path in text for path in spec["paths"])  # on the screen, not only in the markup
    assert all(name in text for name in spec["components"]["schemas"])
    assert "接口文档" in text and "不从外网加载任何文件" in text and "nothing loaded from elsewhere" in text
    assert page.eval("document.querySelectorAll('script, link, img, iframe, object').length") == 0
    page.screenshot(artifacts / "docs.png", full_page=False)
    for label, (width, height) in PHONES.items():
        as_phone(page, width, height)
        page.browser.pump(0.3)
        assert layout_problems(page) == [], f"/docs at {width}px"
        page.screenshot(artifacts / f"docs-phone-{label}.png", full_page=False)
    # on a phone a table row is a block of labelled lines: the header's words before each value
    label = page.eval("getComputedStyle(document.querySelector('td[data-h]'), '::before').content")
    assert label.strip('"') in ("参数 parameter", "应答 status", "字段 field"), label
    page.call("Emulation.setDeviceMetricsOverride", DESKTOP)
    assert page.requests and all(re.match(r"http://127\.0\.0\.1:\d+/", u) for u in page.requests), page.requests
    assert page.blocked == []
    resources = page.eval("performance.getEntriesByType('resource').map(e => e.name)")
    assert all(r.startswith(demo.base) for r in resources), resources


def test_a_what_if_on_a_phone_in_chinese_and_english(page, demo, artifacts):
    page.block_outside_localhost()
    sign_in(page, demo, demo.token("committee"))
    as_phone(page, *PHONES["390"])
    page.goto(f"{demo.base}/console/#/whatif", wait_for="document.querySelector('#whatif-start')")
    assert layout_problems(page) == [], "the what-if form at 390px"
    page.eval("(() => { const s = document.querySelector('#whatif-candidate'); "
              "s.value = s.options[s.options.length - 1].value; })()")
    page.fill("#whatif-residents", "60")
    page.fill("#whatif-months", "2")
    page.click("#whatif-start")
    frame_ready = ("document.querySelector('#whatif-frame') && "
                   "document.querySelector('#whatif-frame').contentDocument.querySelectorAll('svg.chart').length > 0")
    page.wait(frame_ready, timeout=60, message="the what-if report did not arrive")
    page.wait_text("100%", selector="#whatif-progress")
    page.wait_text("已完成", selector="#whatif-progress")
    assert "模拟推演（What-if）" in page.text("#whatif")
    totals = page.text("#whatif-totals")
    for words in ("指标", "基准标准", "候选标准", "变化", "计分事实数", "发放积分", "未兑换积分（负债）"):
        assert words in totals, (words, totals)
    frame = "document.querySelector('#whatif-frame').contentDocument"
    assert "规则变更模拟报告" in page.eval(f"{frame}.title")
    # the frame is as tall as the report: nothing scrolls inside it
    page.wait(f"{frame}.documentElement.scrollHeight <= document.querySelector('#whatif-frame').clientHeight + 1",
              message="the report's frame is not as tall as the report")
    assert_chinese(page.text("#whatif"), "the what-if page")
    page.browser.pump(0.3)
    assert layout_problems(page) == [], "the what-if page at 390px"
    assert frame_layout_problems(page, "#whatif-frame") == [], "the report at 390px"
    page.screenshot(artifacts / "whatif-phone-390.png")

    # the language switch draws the page again, with the same report
    page.click("#lang")
    page.wait_text("What-if simulation", selector="#whatif")
    page.wait(frame_ready, timeout=30, message="the report did not come back after the language switch")
    page.wait_text("done", selector="#whatif-progress")
    totals = page.text("#whatif-totals")
    for words in ("Metric", "Baseline", "Candidate", "Change", "Facts scored", "Points issued",
                  "Points unredeemed (liability)"):
        assert words in totals, (words, totals)
    assert "计分事实数" not in totals
    assert re.search(r"Report: yihe_2021@\d+ → \S+@\d+", page.text("#whatif-report")), page.text("#whatif-report")
    page.browser.pump(0.3)
    assert layout_problems(page) == [], "the what-if page in English at 390px"
    assert frame_layout_problems(page, "#whatif-frame") == [], "the report at 390px (English page)"
    page.screenshot(artifacts / "whatif-en-phone-390.png")
    page.call("Emulation.setDeviceMetricsOverride", DESKTOP)
    page.wait(f"{frame}.documentElement.scrollHeight <= document.querySelector('#whatif-frame').clientHeight + 1")
    assert page.eval(f"{frame}.querySelectorAll('svg.chart').length") >= 3
    page.screenshot(artifacts / "whatif-en.png")
    page.click("#lang")
    page.wait_text("模拟推演（What-if）", selector="#whatif")
    assert page.blocked == []
