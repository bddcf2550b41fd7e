"""Acceptance, over HTTP against a real server: a village that keeps its points per household (户积分).

西山村 has three villagers' groups (村民小组) and its own roles. Its standard: every household
starts once at 100; members' deeds go to the household; a courtyard inspection belongs to the
household as a whole; only the points earned above the base are spendable; a household below
70 is suspended from the credit supermarket until it is back at 70 (a tier every item asks
for); a serious offence makes the household ineligible for the year's star rating, which is
read at the end of the year. Every number below is worked out by hand in the comments.
"""

from __future__ import annotations

import httpx

from tests.api.conftest import serve

VILLAGE = """\
id: xishan
version: 1
title: 西山村户积分管理办法（示例）
community: 西山村
effective_from: 2024-01-01
accounts:
  held_by: household
  starting_index: 100
tiers:
  - {id: star, title: 星级文明户, index_from: 120}
  - {id: ok, title: 合格户, index_from: 70, index_below: 120}
  - {id: suspended, title: 暂停兑换户, index_below: 70}
categories:
  - {id: civic, title: 文明新风}
  - {id: hygiene, title: 庭院卫生}
  - {id: violations, title: 违规违约}
fact_types:
  - {id: deed, title: 好人好事}
  - id: courtyard_check
    title: 庭院卫生检查
    names: household
    fields: {result: {type: enum, values: [clean, dirty]}}
  - {id: serious_offence, title: 严重违法违规}
rules:
  - {id: deed, title: 好人好事, category: civic, fact: deed, award: {points: 5}, limits: [{period: month, max: 20}]}
  - {id: courtyard_clean, title: 庭院整洁, category: hygiene, fact: courtyard_check, when: {result: clean},
     award: {points: 3}}
  - {id: courtyard_dirty, title: 庭院脏乱, category: hygiene, fact: courtyard_check, when: {result: dirty},
     award: {points: -10}}
  - {id: serious_offence, title: 严重违法违规, category: violations, fact: serious_offence, award: {points: -20},
     veto: {tier_at_most: ok, flag: star_ineligible, until_end_of: year}}
"""

GROUPS = [{"id": "g1", "title": "第一村民小组"}, {"id": "g2", "title": "第二村民小组"},
          {"id": "g3", "title": "第三村民小组"}]
ROLES = [{"id": "head", "title": "户主"}, {"id": "member", "title": "家庭成员"}]
VILLAGERS = [
    {"id": "zs", "name": "张三", "zone": "g1", "household": "zhang", "roles": ["head"]},
    {"id": "zs2", "name": "张小四", "zone": "g1", "household": "zhang", "roles": ["member"]},
    {"id": "ly", "name": "李一", "zone": "g2", "household": "li", "roles": ["head"]},
    {"id": "ww", "name": "王五", "zone": "g3", "household": "wang", "roles": ["head"]},
    {"id": "ww2", "name": "王六", "zone": "g3", "household": "wang", "roles": ["member"]},
]


def fact(fact_id: str, kind: str, day: str, *, resident: str | None = None, household: str | None = None,
         **fields) -> dict:
    return {"id": fact_id, "type": kind, "occurred_at": f"2024-{day}T10:00:00+08:00", "fields": fields,
            **({"resident": resident} if resident else {}), **({"household": household} if household else {})}


FACTS = [
    # 张家: five deeds in March, capped at 20 for the household (not 20 per member): 120
    *[fact(f"z{n}", "deed", f"03-0{n}", resident="zs" if n % 2 else "zs2") for n in range(1, 6)],
    fact("zc", "courtyard_check", "04-01", household="zhang", result="clean"),  # 123: a star household
    # 李家: three dirty courtyards make 70, a fourth 60: suspended until it is back at 70
    *[fact(f"lc{n}", "courtyard_check", f"0{n}-15", household="li", result="dirty") for n in range(1, 5)],
    # 王家: 20 in May, 20 in June (140), then a serious offence (120): star by points, but ineligible this year
    *[fact(f"w{n}", "deed", f"05-0{n}", resident="ww" if n % 2 else "ww2") for n in range(1, 5)],
    *[fact(f"w{n}", "deed", f"06-0{n - 4}", resident="ww") for n in range(5, 9)],
    fact("wx", "serious_offence", "07-01", resident="ww2"),
]


def test_a_village_keeps_its_points_per_household_end_to_end(tmp_path):
    with serve(f"sqlite:///{tmp_path / 'village.db'}") as base, httpx.Client(base_url=base, timeout=30) as http:
        assert http.put("/communities/xishan", json={"name": "西山村", "zones": GROUPS,
                                                      "roles": ROLES}).status_code == 200
        assert http.post("/communities/xishan/residents", json=VILLAGERS).status_code == 200
        uploaded = http.post("/communities/xishan/rulesets", content=VILLAGE.encode(),
                             headers={"Content-Type": "application/yaml"})
        assert uploaded.status_code == 201, uploaded.text
        assert http.post("/communities/xishan/rulesets/xishan/versions/1/publish").status_code == 200
        posted = http.post("/communities/xishan/facts/batch", json={"facts": FACTS})
        assert posted.status_code == 200, posted.text

        zhang = http.get("/communities/xishan/households/zhang", params={"as_of": "2024-12-31"}).json()
        assert (zhang["held_by"], zhang["account"]["index"], zhang["account"]["points"]) == ("household", 123, 23)
        assert (zhang["account"]["tier"], zhang["account"]["name"], zhang["account"]["flags"]) == ("star", "张*家", [])
        assert [(c["resident"], c["index"]) for c in zhang["contributions"]] == [(None, 3), ("zs", 10), ("zs2", 10)]

        # year-end eligibility: 王家 has 120 points of index but the offence keeps it from the star rating
        wang = http.get("/communities/xishan/households/wang", params={"as_of": "2024-12-31"}).json()["account"]
        assert (wang["index"], wang["tier"], wang["flags"]) == (120, "ok", ["star_ineligible"])
        assert "严重违法违规" in wang["tier_capped_by"]
        nextyear = http.get("/communities/xishan/households/wang", params={"as_of": "2025-01-01"}).json()["account"]
        assert (nextyear["tier"], nextyear["flags"]) == ("star", [])

        # the credit supermarket: only the points above the base (23 for 张家), and never while suspended
        assert http.put("/communities/xishan/shop/items", json=[
            {"id": "oil", "kind": "goods", "title": "食用油", "price": 15, "stock": 10, "min_tier": "ok"},
        ]).status_code == 200
        first = http.post("/communities/xishan/shop/redemptions", json={"id": "r1", "resident": "zs2", "item": "oil"})
        assert first.status_code == 201 and first.json()["points_after"] == 8
        again = http.post("/communities/xishan/shop/redemptions", json={"id": "r2", "resident": "zs", "item": "oil"})
        assert (again.status_code, again.json()["code"]) == (409, "insufficient_points")
        li = http.post("/communities/xishan/shop/redemptions", json={"id": "r3", "resident": "ly", "item": "oil"})
        assert (li.status_code, li.json()["code"]) == (409, "tier_too_low")  # 60: suspended (and nothing to spend)
        ledger = http.get("/communities/xishan/ledger.csv").text
        assert "redemption" in ledger and "zhang" in ledger

        # 李家 back at 70 (two deeds, +10): no longer suspended
        assert http.post("/communities/xishan/facts/batch", json={"facts": [
            fact("l1", "deed", "09-01", resident="ly"), fact("l2", "deed", "09-02", resident="ly")]}).status_code == 200
        li = http.get("/communities/xishan/households/li").json()["account"]
        assert (li["index"], li["tier"]) == (70, "ok")

        # the groups are the village's own everywhere a resident is shown
        summary = http.get("/communities/xishan/summary", params={"as_of": "2024-12-31"}).json()
        assert {z["zone"] for z in summary["zones"]} <= {"g1", "g2", "g3"}
        assert "north" not in str(summary) and "south" not in str(summary)
