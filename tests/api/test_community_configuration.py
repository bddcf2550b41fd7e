"""A community describes itself: its own groups (村民小组) and roles, used everywhere instead of Yihe's north/south."""

from __future__ import annotations

import uuid

import pytest

from tests.api.test_simulations_api import start, wait
from tests.support.standard import CIVIC_V1, civic

GROUPS = [{"id": "g1", "title": "第一村民小组"}, {"id": "g2", "title": "第二村民小组"},
          {"id": "g3", "title": "第三村民小组"}]
ROLES = [{"id": "village_cadre", "title": "村干部"}, {"id": "elder", "title": "老党员"}]


def village(client) -> str:
    community = f"v{uuid.uuid4().hex[:10]}"
    made = client.put(f"/communities/{community}", json={"name": "东山村", "zones": GROUPS, "roles": ROLES})
    assert made.status_code == 200, made.text
    assert made.json()["zones"] == GROUPS and made.json()["roles"] == ROLES
    people = [{"id": f"p{i}", "name": f"李{'一二三四五六'[i - 1]}", "zone": f"g{1 + i % 3}",
               "roles": ["elder"] if i % 2 else []} for i in range(1, 7)]
    assert client.post(f"/communities/{community}/residents", json=people).status_code == 200
    for text in (CIVIC_V1, civic(2, activity_points=3)):
        assert client.post(f"/communities/{community}/rulesets", content=text.encode(),
                           headers={"content-type": "application/yaml"}).status_code == 201
    assert client.post(f"/communities/{community}/rulesets/civic/versions/1/publish").status_code == 200
    facts = [{"id": f"a{i}", "type": "activity", "resident": f"p{i}", "fields": {"name": "修路"},
              "occurred_at": "2021-03-10T10:00:00+08:00"} for i in range(1, 7)]
    assert client.post(f"/communities/{community}/facts/batch", json={"facts": facts}).status_code == 200
    return community


def test_a_village_with_three_groups_and_its_own_roles_is_shown_so_everywhere(client):
    community = village(client)
    titles = [g["title"] for g in GROUPS]
    summary = client.get(f"/communities/{community}/summary").json()
    assert [(z["zone"], z["title"], z["residents"]) for z in summary["zones"]] == [
        ("g1", titles[0], 2), ("g2", titles[1], 2), ("g3", titles[2], 2)]
    board = client.get(f"/communities/{community}/board").json()
    assert [z["title"] for z in board["zones"]] == titles
    assert {r["zone"] for r in client.get(f"/communities/{community}/residents").json()} == {"g1", "g2", "g3"}
    location, _ = start(client, community, baseline="civic@1", candidate="civic@2",
                        source={"kind": "store", "period": "2021-03"})
    assert wait(client, location)["status"] == "done"
    report = client.get(f"{location}/report.json").json()
    groups = [(g["dimension"], g["title"]) for g in report["fairness"]["groups"] if g["dimension"] != "all"]
    assert groups == [("zone", t) for t in titles] + [("role", "老党员")]
    html = client.get(f"{location}/report.html").text
    everything = " ".join((str(summary), str(board), str(report), html))
    assert "north" not in everything and "北区" not in everything and all(t in html for t in titles)


def test_undeclared_zones_and_roles_are_refused_with_their_place(client):
    community = village(client)
    refused = client.post(f"/communities/{community}/residents", json=[
        {"id": "x1", "name": "王五", "zone": "g1"}, {"id": "x2", "name": "赵六", "zone": "north", "roles": ["cadre"]}])
    assert refused.status_code == 422
    assert [(e["code"], e["path"]) for e in refused.json()["errors"]] == [
        ("zone_not_declared", "[1].zone"), ("role_not_declared", "[1].roles[0]")]
    case = client.post(f"/communities/{community}/cases", json={
        "kind": "noise", "zone": "south", "description": "夜间施工", "parties": ["p1"], "reported_by": "网格员"})
    assert case.status_code == 422 and case.json()["code"] == "zone_not_declared"
    assert len(client.get(f"/communities/{community}/residents").json()) == 6  # nothing stored


@pytest.mark.parametrize("path", ["residents", "cases", "board"])
def test_a_list_filtered_by_a_zone_the_community_lacks_says_so_instead_of_answering_empty(client, path):
    community = village(client)
    assert client.get(f"/communities/{community}/{path}", params={"zone": "g2"}).status_code == 200
    refused = client.get(f"/communities/{community}/{path}", params={"zone": "g9"},
                         headers={"Accept-Language": "zh"})
    assert refused.status_code == 422, refused.text
    [problem] = refused.json()["errors"]
    assert (problem["code"], problem["path"]) == ("zone_not_declared", "zone")
    assert "g9" in problem["message"] and "第二村民小组" in problem["message"], problem


def test_one_resident_twice_in_a_list_must_say_the_same_twice(client):
    community = village(client)
    same = {"id": "x1", "name": "王五", "zone": "g1"}
    assert client.post(f"/communities/{community}/residents", json=[same, same]).status_code == 200
    refused = client.post(f"/communities/{community}/residents", json=[
        {"id": "p1", "name": "李一", "zone": "g1"}, same, {"id": "p1", "name": "李大", "zone": "g2"}])
    assert refused.status_code == 422, refused.text
    assert [(e["code"], e["path"]) for e in refused.json()["errors"]] == [("request_invalid", "[2].id")]
    said = client.post(f"/communities/{community}/residents", headers={"Accept-Language": "zh"}, json=[
        {"id": "p1", "name": "李一", "zone": "g1"}, {"id": "p1", "name": "李大", "zone": "g2"}]).json()
    assert said["errors"][0]["message"].startswith("居民「p1」在这份名单里出现了两次"), said
    people = {p["id"]: p for p in client.get(f"/communities/{community}/residents").json()}
    assert people["p1"]["name"] == "李一" and "x1" in people  # the refused list stored nothing


def test_a_zone_or_role_in_use_cannot_be_dropped_and_changes_are_audited(client):
    community = village(client)
    dropped = client.put(f"/communities/{community}", json={"name": "东山村", "zones": GROUPS[:2]})
    assert dropped.status_code == 409 and dropped.json()["code"] == "configuration_in_use"
    renamed = client.put(f"/communities/{community}", json={
        "name": "东山村", "zones": [*GROUPS, {"id": "g4", "title": "第四村民小组"}]})
    assert renamed.status_code == 200 and renamed.json()["roles"] == ROLES  # a list left out stays as it was
    assert client.get(f"/communities/{community}").json()["zones"][-1]["title"] == "第四村民小组"
    audit = client.get("/audit", params={"community": community}).json()
    assert [(a["action"], a["status"]) for a in audit[:2]] == [(f"PUT /communities/{community}", 200),
                                                              (f"PUT /communities/{community}", 409)]


def test_a_name_holds_only_characters_people_see_and_a_role_counts_once(client):
    community = village(client)
    for bad in ("王\u202e五", "王\x01五", "王\u200b五"):  # a right-to-left override, a control, a zero-width space
        refused = client.post(f"/communities/{community}/residents", json=[{"id": "x9", "name": bad, "zone": "g1"}])
        assert refused.status_code == 422, refused.text
        assert [e["path"] for e in refused.json()["errors"]] == ["[0].name"]
    said = client.post(f"/communities/{community}/residents", headers={"Accept-Language": "zh"},
                       json=[{"id": "x9", "name": "王\u202e五", "zone": "g1"}]).json()
    assert "不能含有看不见的字符 U+202E" in said["errors"][0]["message"], said
    kept = client.post(f"/communities/{community}/residents", json=[
        {"id": "x9", "name": "阿卜杜·热合曼", "zone": "g1", "roles": ["elder", "elder"]}])
    assert kept.status_code == 200 and kept.json()[0]["roles"] == ["elder"]


def test_the_day_a_resident_moved_in_is_kept_read_back_and_bounded(client):
    community = village(client)
    stored = client.post(f"/communities/{community}/residents", json=[
        {"id": "x8", "name": "赵八", "zone": "g2", "moved_in": "2024-07-01"}])
    assert stored.status_code == 200 and stored.json()[0]["moved_in"] == "2024-07-01"
    listed = client.get(f"/communities/{community}/residents", params={"zone": "g2"}).json()
    assert {r["id"]: r["moved_in"] for r in listed}["x8"] == "2024-07-01"
    spelled = client.post(f"/communities/{community}/residents", json=[
        {"id": "x7", "name": "钱七", "zone": "g2", "moved_in": "2024年7月1日"}])
    assert spelled.status_code == 200 and spelled.json()[0]["moved_in"] == "2024-07-01"
    later = client.post(f"/communities/{community}/residents", headers={"Accept-Language": "zh"},
                        json=[{"id": "x8", "name": "赵八", "zone": "g2", "moved_in": "2099-12-31"}])
    assert later.status_code == 422 and "晚于今天" in later.json()["errors"][0]["message"], later.text
    for bad in ("1999-12-31", "2024-02-30", "七月", 1719792000, "2024-07-01 10:00"):
        refused = client.post(f"/communities/{community}/residents", headers={"Accept-Language": "zh"},
                              json=[{"id": "x8", "name": "赵八", "zone": "g2", "moved_in": bad}])
        assert refused.status_code == 422, refused.text
        assert [e["path"] for e in refused.json()["errors"]] == ["[0].moved_in"]
    kept = client.get(f"/communities/{community}/residents", params={"zone": "g2"}).json()
    assert {r["id"]: r["moved_in"] for r in kept}["x8"] == "2024-07-01"


@pytest.mark.parametrize("bad", [{"id": "a/b"}, {"id": ".."}, {"id": "a\tb"}, {"household": "h/1"}])
def test_an_id_that_cannot_stand_in_an_address_is_refused(client, bad):
    """Found by attack: a resident ``a/b`` registered, earned and spent, and its own pages answered 404."""
    community = f"ids{uuid.uuid4().hex[:8]}"
    client.put(f"/communities/{community}", json={"name": "编号社区"})
    refused = client.post(f"/communities/{community}/residents", headers={"Accept-Language": "zh"},
                          json=[{"id": "ok1", "name": "张三", "zone": "north", **bad}])
    assert refused.status_code == 422, refused.text
    [problem] = refused.json()["errors"]
    assert problem["path"] == f"[0].{next(iter(bad))}" and "不能作编号" in problem["message"], problem
    assert client.get(f"/communities/{community}/residents").json() == []


@pytest.mark.parametrize(("name", "shown"), [("张三凤", "张*凤"), ("张三", "张*"), ("王", "*"), ("A", "*"),
                                             ("欧阳小明", "欧**明"), ("  张三", "张*"),
                                             ("阿卜杜热合曼·买买提", "阿**提")])
def test_the_board_shows_every_name_masked_and_a_name_is_registered_without_spaces_around_it(client, name, shown):
    """Found by attack: one-character names were shown whole, and " 张三" was stored and shown as " **三"."""
    community = f"nm{uuid.uuid4().hex[:8]}"
    client.put(f"/communities/{community}", json={"name": "姓名社区"})
    assert client.post(f"/communities/{community}/residents",
                       json=[{"id": "p1", "name": name, "zone": "north"}]).status_code == 200
    [resident] = client.get(f"/communities/{community}/residents").json()
    assert (resident["name"], resident["masked_name"]) == (name.strip(), shown)
