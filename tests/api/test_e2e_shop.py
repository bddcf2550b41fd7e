"""End to end on PostgreSQL: two ``xinzhi serve`` processes, tokens on, racing redemptions over HTTP."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.api.conftest import serve
from tests.support.backends import postgres_schema
from xinzhi.access import create_token
from xinzhi.service import open_service
from xinzhi.settings import Settings


def test_fifty_redemptions_over_two_processes_only_ten_succeed(monkeypatch):
    monkeypatch.setenv("XINZHI_AUTH", "on")
    with postgres_schema() as url, serve(url) as first, serve(url) as second:
        service = open_service(Settings(database_url=url, rulesets_dir=None), load_rulesets=False)
        try:
            admin = create_token(service, ["committee", "staff"]).token
        finally:
            service.close()
        auth = {"Authorization": f"Bearer {admin}"}
        with httpx.Client(base_url=first, timeout=30, headers=auth) as http:
            assert http.get("/communities/yihe/residents").status_code == 200
            assert httpx.get(f"{first}/communities/yihe/residents").status_code == 401
            assert http.post("/communities/yihe/residents", json=[
                {"id": "p1", "name": "王秀英", "zone": "south"}]).status_code == 200
            assert http.put("/communities/yihe/shop/items", json=[
                {"id": "oil", "kind": "goods", "title": "花生油", "price": 10, "stock": 30}]).status_code == 200
            assert http.post("/communities/yihe/appeals", json={
                "action": "adjust", "resident": "p1", "points_delta": 100, "reason": "开户"}).status_code == 201
        barrier = threading.Barrier(50)

        def post(i: int) -> httpx.Response:
            with httpx.Client(base_url=(first, second)[i % 2], timeout=60, headers=auth) as client:
                barrier.wait()
                return client.post("/communities/yihe/shop/redemptions", json={"id": f"rd-{i}", "resident": "p1",
                                                                                 "item": "oil"})

        with ThreadPoolExecutor(50) as pool:
            responses = list(pool.map(post, range(50)))
        assert sorted(r.status_code for r in responses) == [201] * 10 + [409] * 40
        assert {r.json()["code"] for r in responses if r.status_code == 409} == {"insufficient_points"}
        with httpx.Client(base_url=second, timeout=30, headers=auth) as http:
            assert http.get("/communities/yihe/residents/p1/score").json()["points"] == 0
            assert [i["stock"] for i in http.get("/communities/yihe/shop/items").json()] == [20]
            assert http.post("/communities/yihe/appeals", json={
                "action": "adjust", "resident": "p1", "points_delta": 30, "reason": "补录"}).status_code == 201

        # twenty identical requests (a double tap, retries) through both processes: one redemption
        same = threading.Barrier(20)

        def tap(i: int) -> httpx.Response:
            with httpx.Client(base_url=(first, second)[i % 2], timeout=60, headers=auth) as client:
                same.wait()
                return client.post("/communities/yihe/shop/redemptions", json={"id": "tap", "resident": "p1",
                                                                                 "item": "oil"})

        with ThreadPoolExecutor(20) as pool:
            taps = list(pool.map(tap, range(20)))
        assert sorted(r.status_code for r in taps) == [200] * 19 + [201]
        assert {r.json()["ledger_seq"] for r in taps} == {taps[0].json()["ledger_seq"]}
        with httpx.Client(base_url=first, timeout=30, headers=auth) as http:
            assert http.get("/communities/yihe/residents/p1/score").json()["points"] == 20
            assert [i["stock"] for i in http.get("/communities/yihe/shop/items").json()] == [19]
