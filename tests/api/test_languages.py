"""A refusal is read in the reader's language: Chinese for ``Accept-Language: zh``, English otherwise."""

from __future__ import annotations

import pytest

from tests.support.standard import CIVIC_V1
from xinzhi.clock import today
from xinzhi.messages import Message, language_of

ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}
EN = {"Accept-Language": "en-US,en;q=0.9"}


@pytest.mark.parametrize(("header", "language"), [
    (None, "en"), ("", "en"), ("zh-CN", "zh"), ("zh-CN,zh;q=0.9,en;q=0.8", "zh"), ("en;q=0.5,zh;q=0.9", "zh"),
    ("en-GB,zh;q=0.1", "en"), ("fr-FR", "en"), ("zh;q=0", "en"), ("zh;q=bad,en", "en"), ("*", "en")])
def test_the_language_is_the_readers_first_choice_of_those_there_are(header, language):
    assert language_of(header) == language


def test_a_sentence_nests_its_parts_in_the_same_language():
    message = Message.of("insufficient_points", item="肥皂", cost=10, points=4,
                         whose=Message.of("whose_household", household="zhang"),
                         floor=Message.of("above_floor", floor=100), since=Message.of("nothing"))
    assert message.render("zh") == "「肥皂」需要 10 分，家庭「zhang」可用 4 分（100 分以上的部分）"
    assert message.render("en") == "'肥皂' costs 10 points; household zhang has 4 to spend above the floor of 100"


def test_a_shop_refusal_and_a_missing_resident_read_in_chinese_or_english(client, community):
    items = [{"id": "soap", "kind": "goods", "title": "肥皂", "price": 50, "stock": 3}]
    assert client.put(f"/communities/{community}/shop/items", json=items).status_code == 200
    body = {"id": "v-lang-1", "resident": "r1", "item": "soap"}
    zh = client.post(f"/communities/{community}/shop/redemptions", json=body, headers=ZH)
    assert zh.status_code == 409 and zh.headers["content-language"] == "zh"
    assert (zh.json()["code"], zh.json()["title"]) == ("insufficient_points", "积分不足")
    assert zh.json()["detail"] == "「肥皂」需要 50 分，该居民可用 0 分"
    en = client.post(f"/communities/{community}/shop/redemptions", json=body, headers=EN)
    assert (en.json()["title"], en.json()["detail"]) == ("Not enough points",
                                                         "'肥皂' costs 50 points; the resident has 0 to spend")
    missing = client.get(f"/communities/{community}/residents/ghost/score", headers=ZH).json()
    assert (missing["title"], missing["detail"]) == ("没有这位居民", f"社区「{community}」没有居民「ghost」")
    forbidden = client.get("/communities/nowhere/summary", headers=ZH).json()
    assert forbidden["title"] == "没有这个社区" and forbidden["detail"] == "没有社区「nowhere」"


BROKEN = [  # (what the committee or the clerk sent, what the Chinese reader is told, where)
    ("ruleset", "rules:\n  - id: a\n    title: 甲\n   award: 2\n", "YAML 格式有误", 4),
    ("ruleset", "id: x\nversion: 1\ntitle: 甲\ncommunity: c\neffective_from: 2026-01-01\ncategories: []\n"
                "fact_types: []\nrules: []\nrulez: []\n", "这里不能写「rulez」，是不是「rules」？", 9),
]


@pytest.mark.parametrize(("kind", "body", "said", "line"), BROKEN)
def test_a_ruleset_problem_is_said_in_plain_chinese_at_its_line(client, community, kind, body, said, line):
    headers = {**ZH, "content-type": "application/yaml"}
    answer = client.post(f"/communities/{community}/rulesets", content=body.encode(), headers=headers).json()
    assert answer["code"] == "ruleset_invalid" and answer["detail"].startswith("评定标准有"), answer
    [problem] = [p for p in answer["errors"] if said in p["message"]]
    assert problem["line"] == line
    english = client.post(f"/communities/{community}/rulesets", content=body.encode(),
                          headers={**EN, "content-type": "application/yaml"}).json()
    assert all(not any("\u4e00" <= c <= "\u9fff" for c in p["message"]) for p in english["errors"]), english


def test_request_fact_and_endpoint_refusals_read_in_chinese(client, community):
    short = client.post(f"/communities/{community}/objections", json={"notice": 1, "reason": "无"}, headers=ZH).json()
    assert (short["title"], short["detail"]) == ("请求有误", "请求的内容不符合要求")
    assert [p["message"] for p in short["errors"]] == ["「reason」至少要 2 个字"]
    fact = {"id": "lang-f1", "type": "volunteering", "resident": "r1", "occurred_at": "05/06/2026", "fields": {}}
    refused = client.post(f"/communities/{community}/facts", json=fact, headers=ZH).json()
    messages = " ".join(p["message"] for p in refused["errors"])
    assert "「05/06/2026」分不清日和月" in messages, refused
    stranger = client.post(f"/communities/{community}/facts", headers=ZH, json={
        **fact, "id": "lang-f2", "resident": "nobody", "occurred_at": "2026-01-05T10:00:00+08:00"}).json()
    assert [p["message"] for p in stranger["errors"]] == ["事实「lang-f2」：本社区没有居民「nobody」"], stranger
    future = client.post(f"/communities/{community}/facts", headers=ZH, json={
        **fact, "id": "lang-f3", "occurred_at": "2099-01-05T10:00:00+08:00"}).json()
    assert future["errors"][0]["message"].startswith("事实「lang-f3」的时间是 2099-01-05 10:00，晚于现在"), future
    nowhere = client.get("/no/such/place", headers=ZH).json()
    assert (nowhere["title"], nowhere["detail"]) == ("没有这个地址", "没有这个地址，请查看 /docs")
    assert client.get("/no/such/place", headers=EN).json()["title"] == "Not found"


def test_what_is_not_found_and_a_refused_fact_are_said_in_chinese_too(client, community):
    """Found by attack: their titles were Chinese, their details English."""
    said = {path: client.request(method, f"/communities/{community}{path}", json=body, headers=ZH).json()["detail"]
            for method, path, body in [
                ("POST", "/shop/redemptions", {"id": "v-none", "resident": "r1", "item": "no-such-item"}),
                ("GET", "/cases/no-such-case", None),
                ("POST", "/appeals", {"action": "reverse", "entry": 999_999, "reason": "核实"}),
                ("POST", "/facts", {"id": "zh-1", "type": "activity", "resident": "nobody",
                                    "occurred_at": "2021-03-01T10:00:00+08:00", "fields": {"name": "a"}})]}
    assert said == {"/shop/redemptions": "信用超市没有商品「no-such-item」",
                    "/cases/no-such-case": "没有议事案件「no-such-case」", "/appeals": "台账中没有第 999999 条",
                    "/facts": "这条事实未被接受，什么也没有保存（见逐条说明）"}


def test_an_appeal_is_refused_at_its_entry_in_chinese(client, community):
    """What an appeal cannot undo is refused at ``entry`` in the reader's language, and stores nothing."""
    fact = {"id": "lang-appeal-1", "type": "activity", "resident": "r1", "occurred_at": "2026-01-05T10:00:00+08:00",
            "fields": {"name": "植树"}}
    seq = client.post(f"/communities/{community}/facts", json=fact).json()["entries"][0]["seq"]
    reverse = {"action": "reverse", "entry": seq, "reason": "核实有误"}
    assert client.post(f"/communities/{community}/appeals", json=reverse).status_code == 201
    again = client.post(f"/communities/{community}/appeals", json=reverse, headers=ZH)
    assert (again.status_code, again.json()["code"]) == (409, "entry_already_corrected")
    assert again.json()["detail"] == f"台账第 {seq} 条已经撤销或更正过；如需再改，请对那条更正提出申诉"
    assert [(p["path"], p["message"]) for p in again.json()["errors"]] == [("entry", again.json()["detail"])]
    fine = client.post(f"/communities/{community}/appeals", headers=ZH, json={
        "action": "adjust", "resident": "r1", "points_delta": 0.5, "reason": "核实有误"}).json()
    assert fine["detail"] == "金额的小数位超过了标准允许的位数"
    assert [(p["path"], p["message"]) for p in fine["errors"]] == [
        ("points_delta", "0.5 的小数位超过了标准允许的位数（0 位）")]
    english = client.post(f"/communities/{community}/appeals", json=reverse, headers=EN).json()
    assert english["errors"][0]["message"] == f"entry {seq} was already reversed or corrected; appeal the correction"


def test_refusals_found_in_english_under_zh_by_attack_are_said_in_chinese(client, community):
    """Each was a Chinese title over an English detail; the path of each stays where it was."""
    def said(method: str, path: str, **kwargs) -> tuple[int, str, list[str]]:
        answer = client.request(method, path, headers={**ZH, **kwargs.pop("headers", {})}, **kwargs)
        body = answer.json()
        return answer.status_code, body["detail"], [p.get("path") for p in body["errors"]]

    c = f"/communities/{community}"
    case = client.post(f"{c}/cases", json={"kind": "noise", "zone": "north", "description": "噪音", "parties": ["r1"],
                                          "reported_by": "网格员"}).json()["id"]
    assert said("POST", f"{c}/jobs/close-periods", params={"as_of": "2099-01-01"})[:2] == (
        422, f"2099-01-01 晚于今天（{today()}）：只能结算到今天")
    assert said("POST", f"{c}/jobs/close-periods", params={"as_of": "2026-01-01", "since": "2026-02-01"}) == (
        422, "起始日期 2026-02-01 晚于结算日期 2026-01-01：两者之间没有可以结算的周期", ["since"])
    assert said("POST", f"{c}/shop/redemptions", json={"id": "late", "resident": "r1", "item": "x",
                                                      "redeemed_at": "2099-01-01T10:00"}) == (
        422, "兑换时间 2099-01-01 10:00 晚于现在", ["redeemed_at"])
    assert said("POST", f"{c}/cases/{case}/close", json={"outcome": "和解", "satisfaction": {"r1": 5}})[:2] == (
        409, f"案件「{case}」还没有召集议事会，召集后才能结案")
    assert said("POST", f"{c}/residents/import", content=b"{}", headers={"content-type": "application/json"})[:2] == (
        415, "请求的内容要标明以下类型之一发送：text/csv, application/csv, text/plain, application/vnd."
             "openxmlformats-officedocument.spreadsheetml.sheet（现在标的是 application/json）")
    assert said("POST", f"{c}/facts/import", content=b"id,type\n", headers={"content-type": "text/csv"})[1] == \
        "表头缺少这些列：居民、发生时间（「resident」、「occurred_at」）"


def test_a_ruleset_refused_by_its_state_is_said_in_chinese(client, community):
    """Found by attack: published, overlapping and missing standards answered in English under zh."""
    headers = {**ZH, "content-type": "application/yaml"}
    again = client.post(f"/communities/{community}/rulesets", content=CIVIC_V1.encode(), headers=headers).json()
    assert again["detail"] == "civic@1 已经发布，不能再修改：请作为第 2 版上传"
    missing = client.get(f"/communities/{community}/rulesets/civic/versions/9", headers=ZH).json()
    assert missing["detail"] == f"社区「{community}」没有评定标准 civic@9"
    overlapping = CIVIC_V1.replace("version: 1", "version: 2")
    assert client.post(f"/communities/{community}/rulesets", content=overlapping.encode(),
                       headers=headers).status_code == 201
    refused = client.post(f"/communities/{community}/rulesets/civic/versions/2/publish", headers=ZH).json()
    assert refused["code"] == "ruleset_dates_overlap", refused
    assert refused["detail"].startswith("civic@2（2021-01-01 至 —）与已发布的 civic@1") and \
        [p["message"] for p in refused["errors"]] == ["与已发布的 civic@1 生效日期重叠"]


def test_a_what_if_moving_a_standard_that_extends_nothing_says_so_at_its_field(client, community):
    """Found by attack: a 422 with no problem listed, in English."""
    refused = client.post(f"/communities/{community}/simulations", headers=ZH, json={
        "baseline": "civic@1", "candidate": "civic@1", "candidate_upstream": 5})
    assert refused.status_code == 422, refused.text
    assert [(p["path"], p["message"]) for p in refused.json()["errors"]] == [
        ("candidate_upstream", "civic@1 没有继承标准库中的标准，没有上游可以换到")]
    assert refused.json()["detail"] == "civic@1 没有继承标准库中的标准，没有上游可以换到"
