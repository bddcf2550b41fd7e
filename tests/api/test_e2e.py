"""End to end: real ``xinzhi serve`` processes on free ports, spoken to over HTTP."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.api.conftest import serve
from tests.support.backends import postgres_schema
from tests.support.standard import civic


def race(bases: list[str], path: str, body: dict, n: int = 20) -> list[httpx.Response]:
    """``n`` simultaneous POSTs of the same body, spread over the given servers."""
    barrier = threading.Barrier(n)

    def post(i: int) -> httpx.Response:
        with httpx.Client(base_url=bases[i % len(bases)], timeout=30) as http:
            barrier.wait()
            return http.post(path, json=body)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(post, range(n)))


def test_readme_path_demo_post_a_fact_see_the_explained_score_and_restart(tmp_path, monkeypatch):
    monkeypatch.delenv("XINZHI_DATABASE_URL", raising=False)  # the default: ./xinzhi.db, created on first start
    # an hour ago in Shanghai: "today at 09:00" is still in the future before 09:00 (found at 08:18 local)
    earlier = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).astimezone(dt.timezone(dt.timedelta(hours=8)))
    fact = {"id": "readme-1", "type": "volunteering", "resident": "N001",
            "occurred_at": earlier.isoformat(timespec="seconds"), "fields": {"hours": 2.5}}
    with serve(None, demo=True, cwd=tmp_path) as base, httpx.Client(base_url=base, timeout=30) as http:
        summary = http.get("/communities/yihe/summary").json()
        assert summary["residents"] >= 200 and summary["facts"] >= 1000
        assert {z["zone"] for z in summary["zones"]} == {"north", "south"} and len(summary["months"]) >= 3
        assert [r["ref"] for r in http.get("/communities/yihe/rulesets", params={"status": "published"}).json()]
        before = http.get("/communities/yihe/residents/N001/score").json()
        posted = http.post("/communities/yihe/facts", json=fact)
        assert posted.status_code == 201
        [entry] = posted.json()["entries"]
        assert entry["rule_id"] and entry["explanation"]["summary"] and entry["amount"] > 0
        after = http.get("/communities/yihe/residents/N001/score").json()
        assert after["index"] == before["index"] + entry["index_delta"]
        ledger = http.get("/communities/yihe/residents/N001/ledger", params={"limit": 500}).json()
        assert ledger["entries"][-1]["fact_id"] == "readme-1"
        responses = race([base], "/communities/yihe/facts", {**fact, "id": "raced-1"})
        assert sorted(r.status_code for r in responses) == [200] * 19 + [201]
        assert len({tuple(e["seq"] for e in r.json()["entries"]) for r in responses}) == 1
        kept = (http.get("/communities/yihe/residents/N001/ledger", params={"limit": 500}).json(),
                http.get("/communities/yihe/summary").json())
    assert (tmp_path / "xinzhi.db").exists()
    with serve(None, demo=True, cwd=tmp_path) as base, httpx.Client(base_url=base, timeout=30) as http:
        assert (http.get("/communities/yihe/residents/N001/ledger", params={"limit": 500}).json(),
                http.get("/communities/yihe/summary").json()) == kept  # a restart keeps all; no second demo
        assert http.post("/communities/yihe/facts", json=fact).json()["duplicate"] is True


def test_two_server_processes_on_postgresql_score_a_raced_fact_once():
    with postgres_schema() as url, serve(url) as first, serve(url) as second:
        with httpx.Client(base_url=first, timeout=30) as http:
            assert http.post("/communities/yihe/residents", json=[
                {"id": "p1", "name": "王秀英", "zone": "south", "household": "SH1"}]).status_code == 200
        fact = {"id": "pg-race", "type": "volunteering", "resident": "p1",
                "occurred_at": "2024-05-01T09:00:00+08:00", "fields": {"hours": 3}}
        responses = race([first, second], "/communities/yihe/facts", fact)
        assert sorted(r.status_code for r in responses) == [200] * 19 + [201]
        with httpx.Client(base_url=second, timeout=30) as http:
            ledger = http.get("/communities/yihe/residents/p1/ledger").json()
        assert ledger["total"] == len(responses[0].json()["entries"]) >= 1


def test_serve_with_two_worker_processes_scores_as_one_process_does(tmp_path):
    """Each worker keeps its own residents' histories: the day and month limits must hold across them."""
    day = dt.datetime(2024, 3, 4, 9, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    facts = [{"id": f"v{i}", "type": "volunteering", "resident": f"w{i % 2}",
              "occurred_at": (day + dt.timedelta(days=i // 6, minutes=i)).isoformat(), "fields": {"hours": 3}}
             for i in range(36)]  # 3 a day each: 6 + 6 + 4 under the day's 16, and the month's 40 reached
    ledgers = []
    for workers in (1, 2):
        with serve(f"sqlite:///{tmp_path / f'{workers}.db'}", workers=workers) as base:
            with httpx.Client(base_url=base, timeout=30) as http:
                assert http.post("/communities/yihe/residents", json=[
                    {"id": f"w{i}", "name": f"居民{i}", "zone": "north"} for i in range(2)]).status_code == 200
            for fact in facts:  # a connection each, so the kernel spreads them over the workers
                with httpx.Client(base_url=base, timeout=30) as http:
                    assert http.post("/communities/yihe/facts", json=fact).status_code == 201
            with httpx.Client(base_url=base, timeout=30) as http:
                ledgers.append([[(e["fact_id"], e["amount"], e["limited_by"]) for e in http.get(
                    f"/communities/yihe/residents/w{i}/ledger", params={"limit": 500}).json()["entries"]]
                    for i in range(2)])
    assert ledgers[0] == ledgers[1]
    assert {(limited or "/none").rsplit("/", 1)[1] for ledger in ledgers[0] for _, _, limited in ledger} == {
        "none", "day", "month"}


def test_two_server_processes_on_postgresql_publish_one_of_two_versions_with_the_same_start():
    """Found by attack: 4 of 12 races published both; publishing is serialised per community."""
    with postgres_schema() as url, serve(url) as first, serve(url) as second:
        with httpx.Client(base_url=first, timeout=60) as http:
            assert http.put("/communities/race", json={"name": "竞争社区"}).status_code == 200
        for attempt in range(4):
            refs = []
            for offset in (1, 2):
                version = 2 * attempt + offset
                text = civic(version, effective_from=f"{2031 + attempt}-01-01")
                with httpx.Client(base_url=first, timeout=60) as http:
                    assert http.post("/communities/race/rulesets", content=text.encode(),
                                     headers={"content-type": "application/yaml"}).status_code == 201
                refs.append(version)
            with ThreadPoolExecutor(2) as pool:
                codes = sorted(pool.map(publish_together, (first, second), refs, [threading.Barrier(2)] * 2))
            assert codes == [200, 409], (attempt, codes)
        with httpx.Client(base_url=second, timeout=60) as http:
            published = http.get("/communities/race/rulesets", params={"status": "published"}).json()
        assert len(published) == 4 and len({r["effective_from"] for r in published}) == 4


def publish_together(base: str, version: int, barrier: threading.Barrier) -> int:
    with httpx.Client(base_url=base, timeout=60) as http:
        barrier.wait()
        return http.post(f"/communities/race/rulesets/civic/versions/{version}/publish").status_code
