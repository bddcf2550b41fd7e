"""An office registers its residents from the roster it keeps in Excel (花名册): a blank one out, GBK or .xlsx in."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import Workbook, load_workbook

from tests.api.test_community_configuration import GROUPS, ROLES
from xinzhi.spreadsheets import XLSX_MEDIA_TYPE

CSV = {"content-type": "text/csv", "accept-language": "zh"}
XLSX = {"content-type": XLSX_MEDIA_TYPE, "accept-language": "zh"}


def village(client) -> str:
    community = f"r{dt.datetime.now().strftime('%H%M%S%f')}"
    assert client.put(f"/communities/{community}", json={"name": "东山村", "zones": GROUPS, "roles": ROLES}
                      ).status_code == 200
    return community


def residents(client, community: str) -> dict[str, dict]:
    return {r["id"]: r for r in client.get(f"/communities/{community}/residents").json()}


def test_a_filled_blank_roster_registers_its_residents_by_the_villages_own_titles(client):
    community = village(client)
    template = client.get(f"/communities/{community}/residents/template.csv")
    assert template.status_code == 200 and template.content.startswith("\ufeff".encode())
    header = template.text.lstrip("\ufeff").strip()
    assert header == "编号（id）,姓名（name）,分区（zone）,家庭（household）,身份（roles）,入住日期（moved_in）"
    filled = (f"{header}\r\np1,李一,第一村民小组,h1,村干部、elder,2024/7/1\r\n"
              "p2,李二,g2,h1,,\r\np3,王三,第三村民小组,,老党员,2023年3月5日\r\n")
    imported = client.post(f"/communities/{community}/residents/import", content=filled.encode("gbk"), headers=CSV)
    assert imported.status_code == 200, imported.text
    assert imported.json() == {"rows": 3, "added": 3, "updated": 0}
    stored = residents(client, community)
    assert {r: (p["name"], p["zone"], p["household"], p["roles"], p["moved_in"]) for r, p in stored.items()} == {
        "p1": ("李一", "g1", "h1", ["village_cadre", "elder"], "2024-07-01"),
        "p2": ("李二", "g2", "h1", [], None),
        "p3": ("王三", "g3", None, ["elder"], "2023-03-05")}
    again = client.post(f"/communities/{community}/residents/import", headers=CSV,
                        content=f"{header}\r\np2,李二,g1,h1,,\r\n".encode())
    assert again.json() == {"rows": 1, "added": 0, "updated": 1}
    assert residents(client, community)["p2"]["zone"] == "g1"


def test_the_xlsx_roster_explains_each_column_and_reads_excel_dates(client):
    community = village(client)
    blank = client.get(f"/communities/{community}/residents/template.xlsx")
    book = load_workbook(io.BytesIO(blank.content), read_only=True)
    notes = {row[0]: row[1] for row in book["填写说明"].iter_rows(values_only=True)}
    assert notes["分区（zone）"] == "以下之一：第一村民小组（g1）、第二村民小组（g2）、第三村民小组（g3）"
    filled = Workbook()
    filled.active.append(["编号", "姓名", "分区", "入住日期"])
    filled.active.append(["q1", "赵六", "第二村民小组", dt.datetime(2025, 1, 2)])
    out = io.BytesIO()
    filled.save(out)
    imported = client.post(f"/communities/{community}/residents/import", content=out.getvalue(), headers=XLSX)
    assert imported.status_code == 200, imported.text
    assert residents(client, community)["q1"]["moved_in"] == "2025-01-02"


def test_a_roster_with_bad_rows_stores_nothing_and_names_each_row(client):
    community = village(client)
    client.post(f"/communities/{community}/residents", json=[{"id": "k0", "name": "原有", "zone": "g1"}])
    roster = ("编号,姓名,分区,身份,入住日期\r\nk1,好人,g1,,\r\nk2,,g1,,\r\nk3,孙七,第九小组,,\r\n"
              "k4,周八,g2,会计,\r\nk5,吴九,g2,,2024-02-30\r\nk1,好人改名,g1,,\r\n")
    refused = client.post(f"/communities/{community}/residents/import", content=roster.encode(), headers=CSV)
    assert refused.status_code == 422, refused.text
    body = refused.json()
    assert body["code"] == "request_invalid" and body["detail"] == "6 行中有 4 行有错误，一个居民也没有登记"
    assert [(e["row"], e.get("path")) for e in body["errors"]] == [(3, "name"), (4, "zone"), (5, "roles[0]"),
                                                                   (6, "moved_in")]
    assert set(residents(client, community)) == {"k0"}
    undeclared = client.post(f"/communities/{community}/residents/import", headers=CSV,
                             content="编号,姓名,分区,身份\r\nk3,孙七,g9,\r\nk4,周八,g2,cashier\r\n".encode())
    assert [(e["row"], e.get("path")) for e in undeclared.json()["errors"]] == [(2, "zone"), (3, "roles[0]")]
    twice = client.post(f"/communities/{community}/residents/import", headers=CSV,
                        content="编号,姓名,分区\r\nk1,好人,g1\r\nk1,好人改名,g1\r\n".encode())
    [problem] = twice.json()["errors"]
    assert (problem["row"], problem["path"]) == (3, "id") and "第 2 行" in problem["message"], problem
    assert set(residents(client, community)) == {"k0"}


def test_a_roster_without_its_columns_or_in_no_known_encoding_is_refused_before_any_row(client):
    community = village(client)
    no_zone = client.post(f"/communities/{community}/residents/import", headers=CSV,
                          content="编号,姓名\r\nk1,好人\r\n".encode())
    assert no_zone.status_code == 422 and "表头缺少这些列：分区" in no_zone.json()["errors"][0]["message"]
    binary = client.post(f"/communities/{community}/residents/import", headers=CSV, content=b"\x81\xff\xfe\x00" * 40)
    assert binary.status_code == 422
    assert residents(client, community) == {}


def test_a_column_the_roster_lacks_keeps_what_is_stored_and_cells_are_trimmed(client):
    community = village(client)
    full = "编号,姓名,分区,家庭,身份,入住日期\r\nm1,马一,g1,h7,elder,2024-07-01\r\n"
    client.post(f"/communities/{community}/residents/import", content=full.encode(), headers=CSV)
    names_only = client.post(f"/communities/{community}/residents/import", headers=CSV,
                             content="编号,姓名,分区\r\n m1 , 马一一 ,g2\r\n".encode())
    assert names_only.json() == {"rows": 1, "added": 0, "updated": 1}, names_only.text
    stored = residents(client, community)
    assert list(stored) == ["m1"]
    assert {key: stored["m1"][key] for key in ("name", "zone", "household", "roles", "moved_in")} == {
        "name": "马一一", "zone": "g2", "household": "h7", "roles": ["elder"], "moved_in": "2024-07-01"}
    cleared = client.post(f"/communities/{community}/residents/import", headers=CSV,
                          content="编号,姓名,分区,家庭,身份\r\nm1,马一一,g2,,\r\n".encode())
    assert cleared.status_code == 200
    assert (residents(client, community)["m1"]["household"], residents(client, community)["m1"]["roles"]) == (None, [])


def test_a_zone_written_by_id_is_that_zone_even_where_another_is_titled_so(client):
    community = f"t{dt.datetime.now().strftime('%H%M%S%f')}"
    client.put(f"/communities/{community}", json={"name": "村", "zones": [
        {"id": "g1", "title": "一组"}, {"id": "g2", "title": "g1"}]})
    client.post(f"/communities/{community}/residents/import", headers=CSV,
                content="编号,姓名,分区\r\nz1,张一,g1\r\nz2,张二,一组\r\n".encode())
    assert {r: p["zone"] for r, p in residents(client, community).items()} == {"z1": "g1", "z2": "g1"}


def test_a_role_title_may_hold_a_space_and_many_bad_rows_are_counted_not_all_kept(client):
    community = f"t{dt.datetime.now().strftime('%H%M%S%f')}"
    client.put(f"/communities/{community}", json={"name": "村", "zones": [{"id": "g1", "title": "一组"}],
                                                  "roles": [{"id": "rep", "title": "村民 代表"}]})
    spaced = client.post(f"/communities/{community}/residents/import", headers=CSV,
                         content="编号,姓名,分区,身份\r\ns1,孙一,一组,村民 代表\r\n".encode())
    assert spaced.status_code == 200 and residents(client, community)["s1"]["roles"] == ["rep"]
    rows = "".join(f"b{i},,东区,会计、出纳\r\n" for i in range(3000))
    refused = client.post(f"/communities/{community}/residents/import", headers=CSV,
                          content=("编号,姓名,分区,身份\r\n" + rows).encode())
    body = refused.json()
    assert body["detail"] == "3000 行中有 3000 行有错误，一个居民也没有登记"
    assert len(body["errors"]) == 100 and body["errors_total"] == 3000 * 4  # all counted, 1,000 kept
    said = {problem["path"]: problem["message"] for problem in body["errors"] if problem["row"] == 2}
    assert said == {"name": "「姓名（name）」至少要 1 个字", "zone": "「东区」不是本社区的分区：请写一组（g1）",
                    "roles[0]": "「会计」不是本社区的身份：请写村民 代表（rep）",
                    "roles[1]": "「出纳」不是本社区的身份：请写村民 代表（rep）"}
    assert list(residents(client, community)) == ["s1"]


def test_a_wide_header_is_refused_and_a_column_twice_found_in_one_pass(client):
    """Found by attack: each column counted every other (60,000 columns took a minute, facts' files too),
    then 300,000 columns took a server to 1.45 GB: a header is at most 256 columns, as a workbook's."""
    community = village(client)
    wide = "编号,姓名,分区," + ",".join(f"x{i}" for i in range(30_000))
    refused = client.post(f"/communities/{community}/residents/import", headers=CSV,
                          content=f"{wide}\r\nw1,王一,g1\r\n".encode())
    assert refused.status_code == 422 and refused.json()["errors"][0]["message"] == "表头超过了 256 列"
    header = "编号,姓名,分区," + ",".join(f"x{i}" for i in range(250))
    imported = client.post(f"/communities/{community}/residents/import", headers=CSV,
                           content=f"{header}\r\nw1,王一,g1\r\n".encode())
    assert imported.json() == {"rows": 1, "added": 1, "updated": 0}
    twice = client.post(f"/communities/{community}/residents/import", headers=CSV,
                        content=f"{header},x7\r\nw1,王一,g1\r\n".encode())
    assert "x7" in twice.json()["errors"][0]["message"]


def test_a_roster_with_the_villages_title_above_its_columns_is_read_from_its_columns(client):
    community = village(client)
    roster = ("东山村2024年村民花名册\r\n制表：村委会,,2024-06-01\r\n编号,姓名,分区\r\n"
              "t1,陶一,第一村民小组\r\nt2,陶二,g2\r\n")
    answer = client.post(f"/communities/{community}/residents/import", headers=CSV, content=roster.encode("gbk"))
    assert answer.status_code == 200 and answer.json()["added"] == 2, answer.text
    assert {r: p["zone"] for r, p in residents(client, community).items()} == {"t1": "g1", "t2": "g2"}
    bad = client.post(f"/communities/{community}/residents/import", headers=CSV,
                      content=roster.replace("陶二,g2", "陶二,g9").encode("gbk")).json()
    assert [(p["row"], p["path"]) for p in bad["errors"]] == [(5, "zone")]  # the row as the sheet numbers it
