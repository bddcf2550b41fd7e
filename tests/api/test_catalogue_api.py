"""The catalogue over HTTP: two communities on one server share, derive and score; a bundle carries
a standard to a fresh server; roles, media types and tampering are refused plainly."""

from __future__ import annotations

import re
import uuid

from fastapi.testclient import TestClient

from tests.api.conftest import authorize
from tests.api.test_simulations_api import wait
from tests.catalogue.test_catalogue import child, parent
from tests.conftest import RULESETS
from xinzhi.api.main import create_app
from xinzhi.settings import Settings

YAML = {"content-type": "application/yaml"}


def _community(client: TestClient, **extra) -> str:
    """A community over HTTP (with ``extra`` configuration, e.g. bodies) and one resident, r1."""
    community = f"c{uuid.uuid4().hex[:10]}"
    assert client.put(f"/communities/{community}", json={"name": "测试社区", **extra}).status_code == 200
    assert client.post(f"/communities/{community}/residents",
                       json=[{"id": "r1", "name": "居民甲", "zone": "north"}]).status_code == 200
    return community


def _upload(client: TestClient, community: str, text: str) -> dict:
    draft = client.post(f"/communities/{community}/rulesets", content=text.encode(), headers=YAML)
    assert draft.status_code == 201, draft.text
    return draft.json()


def _publish(client: TestClient, community: str, text: str) -> dict:
    ref = _upload(client, community, text)
    published = client.post(f"/communities/{community}/rulesets/{ref['id']}/versions/{ref['version']}/publish")
    assert published.status_code == 200, published.text
    return ref


def test_two_communities_share_derive_and_score_then_a_bundle_moves_servers(client, tmp_path):
    a, b = _community(client), _community(client)
    shared = f"s{uuid.uuid4().hex[:10]}"
    _publish(client, a, parent(shared))
    entry = client.post(f"/communities/{a}/rulesets/{shared}/versions/1/share", json={})
    assert entry.status_code == 201 and entry.json()["summary"]["tests_passed"] == 1
    seen = {e["ref"]: e for e in client.get(f"/communities/{b}/catalogue").json()}
    assert seen[f"{shared}@1"]["title"] == "共享测试标准" and seen[f"{shared}@1"]["source_community"] == a

    own = f"b{uuid.uuid4().hex[:10]}"
    draft = client.post(f"/communities/{b}/catalogue/{shared}/versions/1/derive",
                        json={"id": own, "title": "乙社区标准", "effective_from": "2021-01-01"})
    assert draft.status_code == 201 and draft.json()["extends"] == f"{shared}@1"
    _publish(client, b, child(own, f"{shared}@1"))
    fact = {"id": "f-b1", "type": "activity", "resident": "r1", "occurred_at": "2024-03-05T19:00:00+08:00",
            "fields": {"name": "重阳节"}}
    scored = client.post(f"/communities/{b}/facts", json=fact).json()
    assert [(e["rule_id"], e["amount"]) for e in scored["entries"]] == [("activity_join", 3)]

    bundle = client.get(f"/communities/{b}/catalogue/{shared}/versions/1/bundle")
    assert bundle.status_code == 200 and bundle.headers["content-type"].startswith("application/yaml")
    assert "attachment" in bundle.headers["content-disposition"]
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'fresh.db'}", rulesets_dir=None)
    with TestClient(create_app(settings)) as fresh:
        authorize(fresh, "committee", "staff")
        far = _community(fresh)
        imported = fresh.post(f"/communities/{far}/catalogue/bundles", content=bundle.content, headers=YAML)
        assert imported.status_code == 201, imported.text
        assert imported.json()["digest"] == entry.json()["digest"]
        there = fresh.get(f"/communities/{far}/catalogue/{shared}/versions/1").json()
        here = client.get(f"/communities/{a}/catalogue/{shared}/versions/1").json()
        assert (there["yaml"], there["parents"]) == (here["yaml"], here["parents"])
        tampered = bundle.text.replace("award: {points: 2}", "award: {points: 20}")
        refused = fresh.post(f"/communities/{far}/catalogue/bundles", content=tampered.encode(),
                             headers={**YAML, "Accept-Language": "zh-CN"})
        assert refused.status_code == 422 and refused.json()["code"] == "bundle_invalid"
        assert refused.json()["title"] == "标准文件包无效或已被改动"


def test_who_may_share_and_what_a_bundle_upload_must_be(client):
    a = _community(client)
    shared = f"s{uuid.uuid4().hex[:10]}"
    _publish(client, a, parent(shared))
    as_staff = TestClient(client.app)
    authorize(as_staff, "staff")
    assert as_staff.post(f"/communities/{a}/rulesets/{shared}/versions/1/share", json={}).status_code == 403
    assert as_staff.get(f"/communities/{a}/catalogue").status_code == 200
    unknown = client.get(f"/communities/{a}/catalogue/nothing_here/versions/1")
    assert unknown.status_code == 404 and unknown.json()["code"] == "catalogue_not_found"
    wrong_type = client.post(f"/communities/{a}/catalogue/bundles", json={"a": 1})
    assert wrong_type.status_code == 415
    extra = client.post(f"/communities/{a}/rulesets/{shared}/versions/1/share", json={"everyone": True})
    assert extra.status_code == 422


def _yihe_v2() -> str:
    """Yihe's next version as community A writes it: activities earn 3, the podium rule is gone (tests rewritten)."""
    text = (RULESETS / "yihe_2021.yaml").read_text(encoding="utf-8")
    text = text[:text.index("\ntests:")] + "\n"
    start = text.index("  - id: competition_podium")
    text = text[:start] + text[text.index("  - id: ", start + 10):]
    join = text.index("  - id: community_activity_join")
    text = text[:join] + text[join:].replace("award: {points: 2}", "award: {points: 3}", 1)
    return (text.replace("version: 1\n", "version: 2\n", 1)
            .replace("effective_from: 2021-01-01", "effective_from: 2026-06-01", 1))


B_CHILD = """\
id: {id}
version: 1
title: 乙社区标准（沿用亿和标准）
community: 乙社区
effective_from: 2021-01-01
extends: yihe_2021@1
overrides:
  - {{rule: competition_podium, enabled: false}}
  - {{rule: volunteer_hours, limits: [{{period: month, max: 60}}]}}
"""


def test_acceptance_a_shares_b_derives_a_moves_on_b_previews_adopts_fixes_and_publishes(client):
    a, b = _community(client), _community(client)
    _publish(client, a, (RULESETS / "yihe_2021.yaml").read_text(encoding="utf-8"))
    assert client.post(f"/communities/{a}/rulesets/yihe_2021/versions/1/share", json={}).status_code == 201
    own = f"b{uuid.uuid4().hex[:10]}"
    _publish(client, b, B_CHILD.format(id=own))
    old = {"id": "b-old", "type": "community_activity", "resident": "r1",
           "occurred_at": "2024-03-05T19:00:00+08:00", "fields": {"activity": "重阳节"}}
    assert [e["amount"] for e in client.post(f"/communities/{b}/facts", json=old).json()["entries"]] == [2]

    _publish(client, a, _yihe_v2())
    assert client.post(f"/communities/{a}/rulesets/yihe_2021/versions/2/share", json={}).status_code == 201
    preview = client.get(f"/communities/{b}/rulesets/{own}/versions/1/upstream",
                         headers={"Accept-Language": "zh-CN"}).json()
    assert (preview["extends"], preview["target"]) == ("yihe_2021@1", "yihe_2021@2")
    upstream = {c["rule"]: c for c in preview["parent_diff"]["rules"]}
    assert upstream["community_activity_join"]["fields"]["award"] == {"before": {"points": 2}, "after": {"points": 3}}
    assert {o["rule"]: o["status"] for o in preview["overrides"]} == {"competition_podium": "rule_removed",
                                                                     "volunteer_hours": "applies"}
    [dangling] = preview["problems"]
    assert (dangling["code"], dangling["line"]) == ("ruleset_unknown_rule", 8)
    assert "competition_podium" in dangling["message"] and "sports_competition" in dangling["message"]
    assert not re.search(r"[a-z]+ [a-z]+ [a-z]+", dangling["message"]), dangling["message"]  # said in Chinese

    adopted = client.post(f"/communities/{b}/rulesets/{own}/versions/1/upstream/adopt", json={"to": 2})
    assert adopted.status_code == 422 and adopted.json()["errors"][0]["line"] == 8
    fixed = (adopted.json()["yaml"].replace("  - {rule: competition_podium, enabled: false}\n", "")
             .replace("effective_from: 2021-01-01", "effective_from: 2026-06-01"))
    draft = client.post(f"/communities/{b}/rulesets", content=fixed.encode(), headers=YAML)
    assert draft.status_code == 201 and draft.json()["extends"] == "yihe_2021@2", draft.text

    whatif = client.post(f"/communities/{b}/simulations", json={
        "baseline": f"{own}@1", "candidate": f"{own}@2", "source": {"kind": "store", "period": "2024"}})
    assert whatif.status_code == 202, whatif.text
    done = wait(client, whatif.headers["Location"])
    assert done["status"] == "done", done["problems"]
    report = client.get(f"{whatif.headers['Location']}/report.json").json()
    join = {r["rule_id"]: r for r in report["rules"]}["community_activity_join"]
    assert (join["status"], join["delta_net"]) == ("changed", 1)  # B's own fact: 2 → 3 under the new parent

    published = client.post(f"/communities/{b}/rulesets/{own}/versions/2/publish")
    assert published.status_code == 200, published.text
    new = {**old, "id": "b-new", "occurred_at": "2026-07-01T19:00:00+08:00"}
    assert [e["amount"] for e in client.post(f"/communities/{b}/facts", json=new).json()["entries"]] == [3]
    again = client.post(f"/communities/{b}/facts", json=old).json()
    assert again["duplicate"] and [e["amount"] for e in again["entries"]] == [2]  # old facts keep their scores
    ledger = client.get(f"/communities/{b}/residents/r1/ledger").json()["entries"]
    assert [(e["ruleset"], e["amount"]) for e in ledger] == [(f"{own}@1", 2), (f"{own}@2", 3)]


def test_a_what_if_of_moving_onto_the_newer_parent_before_adopting(client):
    a, b = _community(client), _community(client)
    shared, own = f"s{uuid.uuid4().hex[:10]}", f"b{uuid.uuid4().hex[:10]}"
    _publish(client, a, parent(shared, dates="effective_from: 2021-01-01\neffective_to: 2024-12-31"))
    client.post(f"/communities/{a}/rulesets/{shared}/versions/1/share", json={})
    _publish(client, b, child(own, f"{shared}@1").replace("  - {rule: litter_pick, enabled: false}\n", "")
             .replace("award: {points: 3}", "title: 参加活动"))  # B keeps the parent's award
    fact = {"id": "w-1", "type": "activity", "resident": "r1", "occurred_at": "2024-03-05T19:00:00+08:00",
            "fields": {"name": "义诊"}}
    client.post(f"/communities/{b}/facts", json=fact)
    _publish(client, a, parent(shared, 2, points=5, dates="effective_from: 2025-01-01"))
    client.post(f"/communities/{a}/rulesets/{shared}/versions/2/share", json={})

    body = {"baseline": f"{own}@1", "candidate": f"{own}@1", "candidate_upstream": 2,
            "source": {"kind": "store", "period": "2024"}}
    started = client.post(f"/communities/{b}/simulations", json=body)
    assert started.status_code == 202, started.text
    assert started.json()["candidate"] == f"{own}@1→{shared}@2"
    done = wait(client, started.headers["Location"])
    assert done["status"] == "done", done["problems"]
    join = {r["rule_id"]: r for r in client.get(f"{started.headers['Location']}/report.json").json()["rules"]}
    assert join["activity_join"]["delta_net"] == 3  # 2 → 5 on B's one recorded fact
    unknown = client.post(f"/communities/{b}/simulations", json={**body, "candidate_upstream": 9})
    assert unknown.status_code == 404 and unknown.json()["code"] == "catalogue_not_found"
