"""Acceptance, over HTTP against a real server: a village that keeps its points per household (户积分).

北山村 adopts the repository's village standard (rulesets/xishan_2024.yaml) and has three
villagers' groups (村民小组) and its own roles. The standard: every household starts once at
100; members' deeds go to the household; a courtyard inspection belongs to the household as a
whole; only the points earned above the base are spendable; a household below 70 is suspended
from the credit supermarket until it is back at 70 (a tier every item asks for); a serious
offence makes the household ineligible for the year's star rating, which is read at the end of
the year. Every number below is worked out by hand in the comments.
"""

from __future__ import annotations

import httpx

from tests.api.conftest import serve
from tests.conftest import RULESETS

VILLAGE = (RULESETS / "xishan_2024.yaml").read_text(encoding="utf-8")

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
        assert http.put("/communities/beishan", json={"name": "北山村", "zones": GROUPS,
                                                      "roles": ROLES}).status_code == 200
        assert http.post("/communities/beishan/residents", json=VILLAGERS).status_code == 200
        uploaded = http.post("/communities/beishan/rulesets", content=VILLAGE.encode(),
                             headers={"Content-Type": "application/yaml"})
        assert uploaded.status_code == 201, uploaded.text
        assert http.post("/communities/beishan/rulesets/xishan_2024/versions/1/publish").status_code == 200
        posted = http.post("/communities/beishan/facts/batch", json={"facts": FACTS})
        assert posted.status_code == 200, posted.text

        zhang = http.get("/communities/beishan/households/zhang", params={"as_of": "2024-12-31"}).json()
        assert (zhang["held_by"], zhang["account"]["index"], zhang["account"]["points"]) == ("household", 123, 23)
        assert (zhang["account"]["tier"], zhang["account"]["name"], zhang["account"]["flags"]) == ("star", "张*家", [])
        assert [(c["resident"], c["index"]) for c in zhang["contributions"]] == [(None, 3), ("zs", 10), ("zs2", 10)]

        # year-end eligibility: 王家 has 120 points of index but the offence keeps it from the star rating
        wang = http.get("/communities/beishan/households/wang", params={"as_of": "2024-12-31"}).json()["account"]
        assert (wang["index"], wang["tier"], wang["flags"]) == (120, "ok", ["star_ineligible"])
        assert "严重违法违规" in wang["tier_capped_by"]
        nextyear = http.get("/communities/beishan/households/wang", params={"as_of": "2025-01-01"}).json()["account"]
        assert (nextyear["tier"], nextyear["flags"]) == ("star", [])

        # the credit supermarket: only the points above the base (23 for 张家), and never while suspended
        assert http.put("/communities/beishan/shop/items", json=[
            {"id": "oil", "kind": "goods", "title": "食用油", "price": 15, "stock": 10, "min_tier": "ok"},
        ]).status_code == 200
        first = http.post("/communities/beishan/shop/redemptions", json={"id": "r1", "resident": "zs2", "item": "oil"})
        assert first.status_code == 201 and first.json()["points_after"] == 8
        again = http.post("/communities/beishan/shop/redemptions", json={"id": "r2", "resident": "zs", "item": "oil"})
        assert (again.status_code, again.json()["code"]) == (409, "insufficient_points")
        li = http.post("/communities/beishan/shop/redemptions", json={"id": "r3", "resident": "ly", "item": "oil"})
        assert (li.status_code, li.json()["code"]) == (409, "tier_too_low")  # 60: suspended (and nothing to spend)
        ledger = http.get("/communities/beishan/ledger.csv").text
        assert "redemption" in ledger and "zhang" in ledger

        # 李家 back at 70 (two deeds, +10): no longer suspended
        assert http.post("/communities/beishan/facts/batch", json={"facts": [
            fact("l1", "deed", "09-01", resident="ly"), fact("l2", "deed", "09-02", resident="ly")]}).status_code == 200
        li = http.get("/communities/beishan/households/li").json()["account"]
        assert (li["index"], li["tier"]) == (70, "ok")

        # the board ranks households by their masked names; the office's CSV lists each household with its members
        board = http.get("/communities/beishan/board").json()
        assert sorted(line["name"] for z in board["zones"] for line in z["ranking"]) == ["张*家", "李*家", "王*家"]
        scores = http.get("/communities/beishan/scores.csv", params={"as_of": "2024-12-31"}).text.splitlines()
        assert "zhang,张三、张小四,g1,zhang,2024-12-31,123,23,star,星级文明户,," in scores

        # the groups are the village's own everywhere a resident is shown
        summary = http.get("/communities/beishan/summary", params={"as_of": "2024-12-31"}).json()
        assert {z["zone"] for z in summary["zones"]} <= {"g1", "g2", "g3"}
        assert "north" not in str(summary) and "south" not in str(summary)
