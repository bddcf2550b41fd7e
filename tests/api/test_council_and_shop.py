"""Through HTTP: a full council case, a redemption, appeals, review with publicity and objections, the board."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from tests.api.cycle import Seeded, seed
from xinzhi.api.main import create_app
from xinzhi.db.tables import ReviewItem
from xinzhi.settings import Settings


@pytest.fixture(scope="module")
def app_client(tmp_path_factory) -> Iterator[TestClient]:
    directory = tmp_path_factory.mktemp("cycle")
    with TestClient(create_app(Settings(database_url=f"sqlite:///{directory / 'cycle.db'}", rulesets_dir=None))) as c:
        yield c


@pytest.fixture
def site(app_client) -> Seeded:
    return seed(app_client)


def points(site: Seeded, resident: str, role: str = "staff") -> int:
    return site.as_(role, "GET", f"/communities/{{c}}/residents/{resident}/score").json()["points"]


def test_a_full_council_case_ends_with_explained_satisfaction_awards_once(site):
    reported = site.as_("staff", "POST", "/communities/{c}/cases", json={
        "kind": "noise", "zone": "north", "building": "3号楼", "description": "洗衣机夜间排水噪音",
        "parties": ["n2", "s2"], "reported_by": "网格员 刘"})
    assert reported.status_code == 201, reported.text
    case = reported.json()["id"]
    members = [{"name": "社区 王主任", "role": "staff"}, {"name": "物业 孙经理", "role": "property_company"},
               {"name": "张三凤", "role": "alley_steward", "resident": "n1"},
               {"name": "王秀英", "role": "resident_representative", "resident": "s1"}]
    assert site.as_("staff", "POST", f"/communities/{{c}}/cases/{case}/convene", json={"members": members}).json()[
        "status"] == "convened"
    close = {"outcome": "约定晚十点后不使用洗衣机", "satisfaction": {"n2": 5, "s2": 4}}
    closed = site.as_("staff", "POST", f"/communities/{{c}}/cases/{case}/close", json=close)
    assert closed.status_code == 200, closed.text
    body = closed.json()
    assert body["status"] == "closed" and len(body["fact_ids"]) == 4
    awarded = {a["resident"]: [(e["rule_id"], e["amount"]) for e in a["entries"]] for a in body["awards"]}
    # parties by their own satisfaction (5→3, 4→2); mediators by the parties' mean 4.5 → 5 → 5 points
    assert awarded == {"n2": [("mediation_party", 3)], "s2": [("mediation_party", 2)],
                       "n1": [("mediation_mediator", 5)], "s1": [("mediation_mediator", 5)]}
    ledger = site.as_("committee", "GET", "/communities/{c}/residents/n2/ledger").json()["entries"]
    [entry] = [e for e in ledger if e["fact_id"] == f"council:{case}:party:n2"]
    assert entry["explanation"]["fact"]["fields"] == {"case": case, "role": "party", "satisfaction": 5}
    assert "当事人接受调解" in entry["explanation"]["summary"] and entry["ruleset"] == "cycle@1"
    before = {r: points(site, r) for r in ("n1", "n2", "s1", "s2")}
    again = site.as_("staff", "POST", f"/communities/{{c}}/cases/{case}/close",
                     json={**close, "satisfaction": {"n2": 1, "s2": 1}})
    assert again.status_code == 409 and again.json()["code"] == "case_wrong_state"
    assert {r: points(site, r) for r in before} == before == {"n1": 5, "n2": 3, "s1": 5, "s2": 2}
    stats = site.as_("committee", "GET", "/communities/{c}/cases/statistics").json()
    assert stats["closed"] == 1 and stats["resolution_rate"] == 1.0 and stats["by_zone"] == {
        "north": {"open": 0, "closed": 1}}
    audit = site.as_("committee", "GET", "/audit", params={"community": site.community}).json()
    assert any(a["action"].endswith(f"/cases/{case}/close") and a["status"] == 200 and a["roles"] == ["staff"]
               for a in audit)


RD_1, RD_2, RD_3 = (f"0d1e2f3a-4b5c-4d6e-8f70-81920a1b2c{n:02d}" for n in (1, 2, 3))  # a resident's ids: UUIDs


def test_a_resident_redeems_sees_only_their_own_and_staff_cancels_once(site):
    site.as_("committee", "POST", "/communities/{c}/appeals", json={
        "action": "adjust", "resident": "n1", "points_delta": 12, "reason": "开户赠送"})
    made = site.as_("resident", "POST", "/communities/{c}/shop/redemptions", json={"id": RD_1, "resident": "n1",
                                                                                  "item": "soap", "quantity": 2})
    assert made.status_code == 201, made.text
    assert made.json()["points_after"] == 2 and points(site, "n1") == 2
    short = site.as_("resident", "POST", "/communities/{c}/shop/redemptions", json={"id": RD_2, "resident": "n1",
                                                                                   "item": "soap"})
    assert short.status_code == 409 and short.json()["code"] == "insufficient_points"
    for_other = site.as_("resident", "POST", "/communities/{c}/shop/redemptions", json={"id": RD_3, "resident": "n2",
                                                                                       "item": "soap"})
    assert for_other.status_code == 404 and for_other.json()["code"] == "resident_not_found"
    mine = site.as_("resident", "GET", "/communities/{c}/shop/redemptions").json()
    assert [r["id"] for r in mine] == [made.json()["id"]]
    path = f"/communities/{{c}}/shop/redemptions/{made.json()['id']}/cancel"
    assert site.as_("resident", "POST", path).status_code == 403
    assert site.as_("staff", "POST", path, json={"reason": "退货"}).json()["status"] == "cancelled"
    assert site.as_("staff", "POST", path).json()["code"] == "redemption_already_cancelled"
    assert points(site, "n1") == 12
    items = {i["id"]: i["stock"] for i in site.as_("resident", "GET", "/communities/{c}/shop/items").json()}
    assert items["soap"] == 100


def test_appeals_keep_the_original_and_point_to_it(site):
    fact = {"id": "act-1", "type": "activity", "resident": "n2", "occurred_at": "2024-05-01T10:00:00+08:00",
            "fields": {"name": "邻里节"}}
    [award] = site.as_("staff", "POST", "/communities/{c}/facts", json=fact).json()["entries"]
    forbidden = site.as_("staff", "POST", "/communities/{c}/appeals", json={
        "action": "reverse", "entry": award["seq"], "reason": "未参加"})
    assert forbidden.status_code == 403
    no_reason = site.as_("committee", "POST", "/communities/{c}/appeals", json={"action": "reverse",
                                                                               "entry": award["seq"]})
    assert no_reason.status_code == 422
    decided = site.as_("committee", "POST", "/communities/{c}/appeals", json={
        "action": "correct", "entry": award["seq"], "amount": 2, "reason": "只参加半场"}).json()
    assert decided["original"]["seq"] == award["seq"]
    assert decided["correction"]["explanation"]["corrects"] == award["seq"]
    assert decided["correction"]["points_delta"] == -3
    twice = site.as_("committee", "POST", "/communities/{c}/appeals", json={
        "action": "reverse", "entry": award["seq"], "reason": "again"})
    assert twice.json()["code"] == "entry_already_corrected"
    ledger = site.as_("committee", "GET", "/communities/{c}/residents/n2/ledger").json()["entries"]
    assert [(e["kind"], e["amount"]) for e in ledger] == [("award", 5), ("adjustment", -3)]
    assert points(site, "n2") == 2


def test_reviewed_awards_are_pending_then_publicized_and_an_upheld_objection_reverses(site):
    fact = {"id": "her-1", "type": "heritage", "resident": "s1", "occurred_at": "2024-06-01T10:00:00+08:00",
            "fields": {"hours": 3}}
    posted = site.as_("staff", "POST", "/communities/{c}/facts", json=fact).json()
    assert [(e["kind"], e["amount"]) for e in posted["entries"]] == [("award", 12)]
    [held] = posted["under_review"]  # the answer says the award waits for the committee
    assert (held["rule_id"], held["amount"], held["status"]) == ("heritage_hours", 12, "pending"), held
    score = site.as_("staff", "GET", "/communities/{c}/residents/s1/score").json()
    assert (score["index"], score["points"]) == (100, 0)  # pending: visible, not spendable, not in the index
    [pending] = site.as_("committee", "GET", "/communities/{c}/reviews", params={"status": "pending"}).json()
    assert pending["amount"] == 12 and pending["resident"] == "s1"
    spend = site.as_("staff", "POST", "/communities/{c}/shop/redemptions", json={"id": "rd-s1", "resident": "s1",
                                                                                          "item": "soap"})
    assert spend.json()["code"] == "insufficient_points"
    notice = pending["notice"]
    assert site.as_("staff", "POST", f"/communities/{{c}}/reviews/{notice}", json={"decision": "approve"}
                    ).status_code == 403
    approved = site.as_("committee", "POST", f"/communities/{{c}}/reviews/{notice}", json={"decision": "approve"})
    assert approved.json()["status"] == "approved"
    again = site.as_("staff", "POST", "/communities/{c}/facts", json=fact).json()  # a retry says where it stands now
    assert again["duplicate"] and [h["status"] for h in again["under_review"]] == ["approved"]
    assert again["under_review"][0]["notice"] == notice
    assert site.as_("committee", "POST", f"/communities/{{c}}/reviews/{notice}", json={"decision": "reject"}
                    ).json()["code"] == "review_already_decided"
    score = site.as_("staff", "GET", "/communities/{c}/residents/s1/score").json()
    assert (score["index"], score["points"]) == (112, 12)
    board = site.client.get(f"/communities/{site.community}/board").json()
    [notice_line] = board["publicity"]
    assert notice_line["name"] == "王*英" and notice_line["amount"] == 12 and notice_line["notice"] == notice
    objection = site.as_("resident", "POST", "/communities/{c}/objections", json={"notice": notice,
                                                                                 "reason": "当天未见其授课"})
    assert objection.status_code == 201 and objection.json()["filed_by"] == "n1"
    seq = objection.json()["seq"]
    upheld = site.as_("committee", "POST", f"/communities/{{c}}/objections/{seq}",
                      json={"decision": "upheld", "resolution": "核实无授课记录"}).json()
    assert upheld["status"] == "upheld" and upheld["ledger_seq"]
    score = site.as_("staff", "GET", "/communities/{c}/residents/s1/score").json()
    assert (score["index"], score["points"]) == (100, 0)
    kinds = [(e["kind"], e["amount"]) for e in
             site.as_("committee", "GET", "/communities/{c}/residents/s1/ledger").json()["entries"]]
    assert kinds == [("award", 12), ("adjustment", -12), ("adjustment", 12), ("adjustment", -12)]
    assert site.client.get(f"/communities/{site.community}/board").json()["publicity"] == []


def test_a_rejected_review_stays_held_and_a_dismissed_objection_keeps_the_award(site):
    for i, resident in enumerate(("n2", "s2")):
        site.as_("staff", "POST", "/communities/{c}/facts", json={
            "id": f"her-{i}", "type": "heritage", "resident": resident, "occurred_at": "2024-06-01T10:00:00+08:00",
            "fields": {"hours": 1}})
    first, second = site.as_("committee", "GET", "/communities/{c}/reviews").json()
    site.as_("committee", "POST", f"/communities/{{c}}/reviews/{first['notice']}", json={"decision": "reject"})
    site.as_("committee", "POST", f"/communities/{{c}}/reviews/{second['notice']}", json={"decision": "approve"})
    objection = site.as_("staff", "POST", "/communities/{c}/objections",
                         json={"notice": second["notice"], "reason": "有疑问"}).json()
    again = site.as_("staff", "POST", "/communities/{c}/objections",
                     json={"notice": second["notice"], "reason": "有疑问"})
    assert (again.status_code, again.json()["code"]) == (409, "objection_already_open")  # found by attack: filed 3×
    assert site.as_("staff", "POST", "/communities/{c}/objections",  # another resident's, by phone: other words
                    json={"notice": second["notice"], "reason": "签到表上没有他"}).status_code == 201
    site.as_("committee", "POST", f"/communities/{{c}}/objections/{objection['seq']}",
             json={"decision": "dismissed", "resolution": "有签到记录"})
    assert points(site, "n2") == 0 and points(site, "s2") == 4
    rejected, missing = (site.as_("resident", "POST", "/communities/{c}/objections", json={"notice": notice,
                                                                                          "reason": "再议"})
                         for notice in (first["notice"], 10**9))
    assert (rejected.status_code, rejected.json()["code"]) == (missing.status_code, missing.json()["code"]) == (
        404, "review_not_found")  # a rejected award was never on the board: it answers as no notice does
    with site.client.app.state.service.db.writing() as session:  # the approved one's publicity ends
        session.execute(update(ReviewItem).where(ReviewItem.community == site.community,
                                                 ReviewItem.seq == second["notice"])
                        .values(publicity_until=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)))
    late = site.as_("resident", "POST", "/communities/{c}/objections", json={"notice": second["notice"],
                                                                            "reason": "再议"})
    assert (late.status_code, late.json()["code"]) == (409, "publicity_closed")


def test_the_public_board_masks_names_and_shows_no_ids(site):
    site.as_("committee", "POST", "/communities/{c}/appeals", json={
        "action": "adjust", "resident": "s1", "index_delta": 15, "reason": "年度表彰"})
    response = site.client.get(f"/communities/{site.community}/board")  # no token
    assert response.status_code == 200
    board = response.json()
    zones = {z["zone"]: z for z in board["zones"]}
    assert [line["name"] for line in zones["south"]["ranking"]] == ["王*英", "赵*庆"]
    assert zones["south"]["ranking"][0] == {"rank": 1, "name": "王*英", "index": 115, "tier": "A",
                                            "tier_title": "良好"}
    assert zones["north"]["ranking"][0]["rank"] == zones["north"]["ranking"][1]["rank"] == 1  # a tie
    assert {line["name"] for line in zones["north"]["ranking"]} == {"张*凤", "李*"}
    assert zones["south"]["tiers"] == {"A": 1, "B": 1}
    text = response.text
    for secret in ("n1", "n2", "s1", "s2", "h1", "张三凤", "王秀英", "household", "\"resident\"", "\"id\""):
        assert secret not in text


@pytest.mark.parametrize(("appeal", "said"), [
    ({"action": "reverse"}, {"entry": "「entry」操作是「reverse」时必须填写"}),
    ({"action": "correct", "entry": 1}, {"amount": "「amount」操作是「correct」时必须填写"}),
    ({"action": "adjust", "points_delta": 2}, {"resident": "「resident」操作是「adjust」时必须填写"}),
    ({"action": "adjust", "resident": "n2"},
     {"points_delta": "「points_delta」调整要写一个不为 0 的「index_delta」（诚信指数）或「points_delta」（积分）"}),
    ({"action": "adjust", "resident": "n2", "index_delta": "x"}, {"index_delta": "「index_delta」应为数字"}),
])
def test_an_appeal_without_what_its_action_needs_is_refused_at_that_field(site, appeal, said):
    answer = site.as_("committee", "POST", "/communities/{c}/appeals", json={**appeal, "reason": "更正"},
                      headers={"accept-language": "zh"})
    assert answer.status_code == 422, answer.text
    assert {p["path"]: p["message"] for p in answer.json()["errors"]} == said


def test_a_satisfaction_out_of_range_is_refused_at_its_party(site):
    case = site.as_("staff", "POST", "/communities/{c}/cases", json={
        "kind": "noise", "zone": "north", "description": "夜间噪音", "parties": ["n2"],
        "reported_by": "网格员 刘"}).json()
    site.as_("staff", "POST", f"/communities/{{c}}/cases/{case['id']}/convene",
             json={"members": [{"name": "社区 王主任", "role": "staff"}]})
    answer = site.as_("staff", "POST", f"/communities/{{c}}/cases/{case['id']}/close",
                      json={"outcome": "调解", "satisfaction": {"n2": 9}}, headers={"accept-language": "zh"})
    assert answer.status_code == 422
    said = [(p["path"], p["message"]) for p in answer.json()["errors"]]
    assert said == [("satisfaction.n2", "「satisfaction.n2」不能大于 5")]
    assert site.as_("staff", "GET", f"/communities/{{c}}/cases/{case['id']}").json()["status"] == "convened"


ZH = {"Accept-Language": "zh-CN"}


def test_a_shelf_naming_an_item_twice_or_a_tier_the_standard_lacks_is_refused_and_stores_nothing(site):
    """Found by attack: ``min_tier: a`` was stored and let every tier redeem; an id twice kept the last silently."""
    before = site.as_("staff", "GET", "/communities/{c}/shop/items").json()
    soap = {"id": "soap2", "kind": "goods", "title": "肥皂", "price": 1, "stock": 5}
    refused = site.as_("staff", "PUT", "/communities/{c}/shop/items", headers=ZH, json=[
        {**soap, "min_tier": "a"}, {**soap, "title": "香皂"}, soap, {**soap, "id": "ok", "min_tier": "A"}])
    assert refused.status_code == 422, refused.text
    assert [(p["path"], p["message"]) for p in refused.json()["errors"]] == [
        ("[0].min_tier", "「a」不是现行标准的诚信等级：请写 A、B、C 之一"),
        ("[1].id", "商品「soap2」在这份清单里出现了两次（另一处在 [0]），两处信息不一样：请只保留一处"),
        ("[2].id", "商品「soap2」在这份清单里出现了两次（另一处在 [0]），两处信息不一样：请只保留一处")]
    assert site.as_("staff", "GET", "/communities/{c}/shop/items").json() == before
    same = site.as_("staff", "PUT", "/communities/{c}/shop/items", json=[soap, soap])  # the same twice: one item
    assert same.status_code == 200 and [i["id"] for i in same.json()] == ["soap2", "soap2"]


def test_a_tier_refusal_says_why_in_chinese(site):
    refused = site.as_("staff", "POST", "/communities/{c}/shop/redemptions", headers=ZH,
                       json={"id": "tier-zh", "resident": "n2", "item": "physio"})
    assert refused.status_code == 409 and refused.json()["code"] == "tier_too_low"
    assert refused.json()["detail"] == "「白手杖理疗」限 A 级及以上兑换：A 级需要诚信指数 110，该居民为 100"


def test_a_case_reported_after_now_is_refused_at_its_moment(site):
    """Found by attack: a case reported in 2030 closed in −1,277 days, and the statistics averaged it in."""
    cases = site.as_("staff", "GET", "/communities/{c}/cases").json()
    refused = site.as_("staff", "POST", "/communities/{c}/cases", headers=ZH, json={
        "kind": "noise", "zone": "north", "description": "未来", "parties": ["n2"], "reported_by": "网格员",
        "reported_at": "2099-06-01T00:00"})
    assert refused.status_code == 422, refused.text
    assert [(p["path"], p["message"]) for p in refused.json()["errors"]] == [
        ("reported_at", "报告时间 2099-06-01 00:00 晚于现在：请写问题报告的时间")]
    assert site.as_("staff", "GET", "/communities/{c}/cases").json() == cases


def test_an_id_of_the_wrong_shape_is_told_what_shape_it_takes(site):
    """Found by attack: 「id」格式不对 and nothing more."""
    refused = site.as_("staff", "PUT", "/communities/{c}/shop/items", headers=ZH, json=[
        {"id": "肥皂 1", "kind": "goods", "title": "肥皂", "price": 1, "stock": 5}]).json()
    assert [p["message"] for p in refused["errors"]] == [
        "「[0].id」格式不对：以字母或数字开头，只用英文字母、数字、- 和 _，最多 64 个字符"]
