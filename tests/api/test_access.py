"""The access matrix: every endpoint × every role → allowed or denied (401 / 403 / 404 for others' data)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from tests.api.cycle import Seeded, seed
from tests.support.cycle_standard import CYCLE_V1
from xinzhi.access import create_token, revoke_token
from xinzhi.api.main import create_app
from xinzhi.db.tables import AuditRecord, Fact
from xinzhi.settings import Settings

ROLES = ("public", "committee", "staff", "resident")
FACT = {"id": "m-{n}", "type": "activity", "resident": "n2", "occurred_at": "2024-05-01T10:00:00+08:00",
        "fields": {"name": "x"}}
CASE = {"kind": "parking_space", "zone": "south", "description": "车位被占", "parties": ["s2"], "reported_by": "s1"}
YAML = {"content": CYCLE_V1.replace("version: 1", "version: 2").replace("2021-01-01", "2030-01-01").encode(),
        "headers": {"content-type": "application/yaml"}}

# (method, path as the app declares it, roles allowed — "C"ommittee, "S"taff, "R"esident (self), "P"ublic, body)
MATRIX = [
    ("GET", "/health", "P", None),
    ("GET", "/communities", "CS", None),
    ("PUT", "/communities/{community}", "C", {"json": {"name": "亿和社区"}}),
    ("GET", "/communities/{community}", "CSR", None),
    ("GET", "/communities/{community}/summary", "CS", None),
    ("GET", "/communities/{community}/households/{household}", "CS", None),
    ("GET", "/communities/{community}/ledger.csv", "CS", None),
    ("GET", "/communities/{community}/scores.csv", "CS", None),
    ("GET", "/communities/{community}/ledger.xlsx", "CS", None),
    ("GET", "/communities/{community}/scores.xlsx", "CS", None),
    ("GET", "/communities/{community}/facts/template.csv", "CS", {"params": {"type": "activity"}}),
    ("GET", "/communities/{community}/facts/template.xlsx", "CS", {"params": {"type": "activity"}}),
    ("POST", "/communities/{community}/jobs/expire", "CS", None),
    ("POST", "/communities/{community}/jobs/close-periods", "C", None),
    ("GET", "/communities/{community}/residents", "CS", None),
    ("POST", "/communities/{community}/residents", "S",
     {"json": [{"id": "x1", "name": "钱多多", "zone": "north"}]}),
    ("POST", "/communities/{community}/residents/import", "S",
     {"content": "编号,姓名,分区\r\nx2,钱二,north\r\n".encode(), "headers": {"content-type": "text/csv"}}),
    ("GET", "/communities/{community}/residents/template.csv", "CS", None),
    ("GET", "/communities/{community}/residents/template.xlsx", "CS", None),
    ("GET", "/communities/{community}/residents/{resident}/score", "CSR", None),
    ("GET", "/communities/{community}/residents/{resident}/ledger", "CSR", None),
    ("GET", "/communities/{community}/residents/{resident}/ledger.csv", "CSR", None),
    ("POST", "/communities/{community}/rulesets", "C", YAML),
    ("GET", "/communities/{community}/rulesets", "CS", None),
    ("GET", "/communities/{community}/rulesets/{ruleset_id}/versions/{version}", "CS", None),
    ("GET", "/communities/{community}/rulesets/{ruleset_id}/diff", "CS", {"params": {"base": 1, "other": 1}}),
    ("POST", "/communities/{community}/rulesets/{ruleset_id}/versions/{version}/publish", "C", None),
    ("POST", "/communities/{community}/rulesets/{ruleset_id}/versions/{version}/dry-run", "C",
     {"json": {"facts": [FACT]}}),
    ("POST", "/communities/{community}/rulesets/{ruleset_id}/versions/{version}/share", "C", {"json": {}}),
    ("GET", "/communities/{community}/rulesets/{ruleset_id}/versions/{version}/upstream", "CS", None),
    ("POST", "/communities/{community}/rulesets/{ruleset_id}/versions/{version}/upstream/adopt", "C",
     {"json": {"to": 2}}),
    ("GET", "/communities/{community}/catalogue", "CS", None),
    ("GET", "/communities/{community}/catalogue/{catalogue_id}/versions/{version}", "CS", None),
    ("POST", "/communities/{community}/catalogue/{catalogue_id}/versions/{version}/derive", "C",
     {"json": {"id": "derived", "title": "派生标准", "effective_from": "2024-01-01"}}),
    ("GET", "/communities/{community}/catalogue/{catalogue_id}/versions/{version}/bundle", "CS", None),
    ("POST", "/communities/{community}/catalogue/bundles", "C", YAML),
    ("POST", "/communities/{community}/rulesets/{ruleset_id}/versions/{version}/adoption", "C",
     {"json": {"body": "two_committees", "decision": "comment", "held_on": "2026-11-20", "recorded_by": "王芳"}}),
    ("GET", "/communities/{community}/rulesets/{ruleset_id}/versions/{version}/adoption", "CS", None),
    ("POST", "/communities/{community}/facts", "S", {"json": FACT}),
    ("POST", "/communities/{community}/facts/batch", "S", {"json": {"facts": [FACT]}}),
    ("POST", "/communities/{community}/facts/import", "S",
     {"content": b"id,type,resident,occurred_at,name\ncsv-1,activity,n2,2024-05-01T10:00:00+08:00,x\n",
      "headers": {"content-type": "text/csv"}}),
    ("POST", "/communities/{community}/dry-run", "CS", {"json": {"ruleset": CYCLE_V1, "facts": [FACT]}}),
    ("GET", "/communities/{community}/shop/items", "CSR", None),
    ("PUT", "/communities/{community}/shop/items", "S",
     {"json": [{"id": "tea", "kind": "goods", "title": "茶叶", "price": 3, "stock": 5}]}),
    ("POST", "/communities/{community}/shop/redemptions", "SR",
     {"json": {"id": "5f0c7d1e-8a4b-4c2d-9e3f-0a1b2c3d4e5f", "resident": "n1", "item": "soap"}}),
    ("GET", "/communities/{community}/shop/redemptions", "CSR", None),
    ("GET", "/communities/{community}/shop/redemptions/{redemption}", "CSR", None),
    ("POST", "/communities/{community}/shop/redemptions/{redemption}/cancel", "S", None),
    ("POST", "/communities/{community}/cases", "SR", {"json": CASE}),
    ("GET", "/communities/{community}/cases", "CS", None),
    ("GET", "/communities/{community}/cases/statistics", "CS", None),
    ("GET", "/communities/{community}/cases/{case}", "CS", None),
    ("POST", "/communities/{community}/cases/{case}/convene", "S",
     {"json": {"members": [{"name": "社区 王主任", "role": "staff"}]}}),
    ("POST", "/communities/{community}/cases/{case}/close", "S",
     {"json": {"outcome": "已调解", "satisfaction": {"s2": 4}}}),
    ("POST", "/communities/{community}/appeals", "C",
     {"json": {"action": "adjust", "resident": "n2", "points_delta": 1, "reason": "测试"}}),
    ("GET", "/communities/{community}/appeals", "C", None),
    ("GET", "/communities/{community}/reviews", "CS", None),
    ("POST", "/communities/{community}/reviews/{notice}", "C", {"json": {"decision": "approve"}}),
    ("POST", "/communities/{community}/objections", "SR", {"json": {"notice": "{notice}", "reason": "有疑问"}}),
    ("GET", "/communities/{community}/objections", "CS", None),
    ("POST", "/communities/{community}/objections/{objection}", "C",
     {"json": {"decision": "dismissed", "resolution": "核实无误"}}),
    ("GET", "/communities/{community}/board", "P", None),
    ("GET", "/console/api/me", "CSR", None),
    ("POST", "/console/api/communities/{community}/rulesets/test", "C", YAML),
    ("POST", "/communities/{community}/simulations", "C",
     {"json": {"baseline": "cycle@1", "candidate": "cycle@1", "source": {"residents": 2, "months": 1}}}),
    ("GET", "/communities/{community}/simulations", "C", None),
    ("GET", "/communities/{community}/simulations/{job}", "C", None),
    ("GET", "/communities/{community}/simulations/{job}/report.json", "C", None),
    ("GET", "/communities/{community}/simulations/{job}/report.html", "C", None),
    ("POST", "/communities/{community}/simulations/{job}/cancel", "C", None),
    ("GET", "/audit", "C", None),
]
LETTER = {"committee": "C", "staff": "S", "resident": "R"}


@pytest.fixture(scope="module")
def app_client(tmp_path_factory) -> Iterator[TestClient]:
    directory = tmp_path_factory.mktemp("access")
    with TestClient(create_app(Settings(database_url=f"sqlite:///{directory / 'access.db'}", rulesets_dir=None))) as c:
        yield c


@pytest.fixture(scope="module")
def site(app_client) -> tuple[Seeded, dict]:
    """A seeded community with one of everything the paths name."""
    site = seed(app_client)
    site.as_("committee", "POST", "/communities/{c}/appeals", json={
        "action": "adjust", "resident": "n1", "points_delta": 100, "reason": "开户"})
    redemption = site.as_("staff", "POST", "/communities/{c}/shop/redemptions",
                          json={"id": "rd-site", "resident": "n1", "item": "soap"}).json()["id"]
    case = site.as_("staff", "POST", "/communities/{c}/cases", json=CASE).json()["id"]
    for i in (1, 2):
        site.as_("staff", "POST", "/communities/{c}/facts", json={
            "id": f"her-{i}", "type": "heritage", "resident": "n2", "occurred_at": "2024-06-01T10:00:00+08:00",
            "fields": {"hours": 1}})
    first, second = [r["notice"] for r in site.as_("committee", "GET", "/communities/{c}/reviews").json()]
    site.as_("committee", "POST", f"/communities/{{c}}/reviews/{second}", json={"decision": "approve"})
    objection = site.as_("staff", "POST", "/communities/{c}/objections",
                         json={"notice": second, "reason": "疑问"}).json()["seq"]
    values = {"community": site.community, "resident": "n1", "household": "h1", "ruleset_id": "cycle", "job": "none",
              "catalogue_id": "cycle",
              "version": 1, "redemption": redemption, "case": case, "notice": first, "objection": objection}
    return site, values


def fill(kwargs: dict | None, values: dict) -> dict:
    if not kwargs:
        return {}
    out = dict(kwargs)
    if isinstance(out.get("json"), dict) and out["json"].get("notice") == "{notice}":
        out["json"] = {**out["json"], "notice": values["notice"]}
    if isinstance(out.get("json"), dict) and out["json"].get("id") == "m-{n}":
        out["json"] = {**out["json"], "id": f"m-{id(out)}"}
    return out


def test_the_matrix_covers_every_endpoint_of_the_app(app_client):
    declared = {(m.upper(), p) for p, ms in app_client.app.openapi()["paths"].items() for m in ms}
    assert {(m, p) for m, p, _, _ in MATRIX} == declared


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "allowed", "kwargs"),
                         [pytest.param(*row, id=f"{row[0]} {row[1]}") for row in MATRIX])
def test_every_endpoint_for_every_role(site, role, method, path, allowed, kwargs):
    seeded, values = site
    headers = seeded.headers(role)
    kwargs = fill(kwargs, values)
    kwargs["headers"] = {**kwargs.get("headers", {}), **headers}
    response = seeded.client.request(method, path.format(**values), **kwargs)
    assert response.status_code < 500, response.text
    code = response.json().get("code") if "json" in response.headers["content-type"] and \
        isinstance(response.json(), dict) else None  # a workbook is application/… too
    if "P" in allowed or LETTER.get(role, "-") in allowed:
        assert code not in ("unauthorized", "forbidden"), response.text
        assert response.status_code not in (401, 403)
    elif role == "public":
        assert (response.status_code, code) == (401, "unauthorized")
    else:
        assert (response.status_code, code) == (403, "forbidden"), response.text


@pytest.mark.parametrize("tail", ["score", "ledger", "ledger.csv"])
def test_a_resident_asking_about_another_learns_nothing(site, tail):
    seeded, values = site
    other = seeded.as_("resident", "GET", f"/communities/{{c}}/residents/n2/{tail}")
    nobody = seeded.as_("resident", "GET", f"/communities/{{c}}/residents/zz/{tail}")
    assert other.status_code == nobody.status_code == 404
    assert other.json()["code"] == nobody.json()["code"] == "resident_not_found"
    assert other.json()["detail"].replace("n2", "zz") == nobody.json()["detail"]
    assert "李四" not in other.text
    elsewhere = seeded.as_("resident", "GET", f"/communities/other/residents/n1/{tail}")
    assert elsewhere.status_code == 404


def test_a_resident_sees_no_one_elses_redemption(site):
    seeded, values = site
    seeded.as_("committee", "POST", "/communities/{c}/appeals", json={
        "action": "adjust", "resident": "s2", "points_delta": 10, "reason": "开户"})
    theirs = seeded.as_("staff", "POST", "/communities/{c}/shop/redemptions",
                        json={"id": "rd-theirs", "resident": "s2", "item": "soap"}).json()["id"]
    response = seeded.as_("resident", "GET", f"/communities/{{c}}/shop/redemptions/{theirs}")
    assert (response.status_code, response.json()["code"]) == (404, "redemption_not_found")
    listed = seeded.as_("resident", "GET", "/communities/{c}/shop/redemptions", params={"resident": "s2"})
    assert listed.status_code == 404


def test_a_resident_redeems_now_only_staff_date_a_redemption(site):
    """Found by attack: dated before a 一票否决, a resident's redemption passed the tier the veto lowered."""
    seeded, values = site
    before = seeded.as_("staff", "GET", "/communities/{c}/shop/redemptions").json()
    dated = seeded.as_("resident", "POST", "/communities/{c}/shop/redemptions", headers={"Accept-Language": "zh"},
                       json={"id": str(uuid.uuid4()), "resident": "n1", "item": "soap",
                             "redeemed_at": "2024-06-01T10:00:00+08:00"})
    assert dated.status_code == 422 and [(p["path"], p["message"]) for p in dated.json()["errors"]] == [
        ("redeemed_at", "只有工作人员才能补记兑换的时间（「redeemed_at」）：居民兑换即为现在")], dated.text
    # and numbers a redemption at random: the office's voucher numbers cannot be taken ahead of it (found by attack)
    numbered = seeded.as_("resident", "POST", "/communities/{c}/shop/redemptions", headers={"Accept-Language": "zh"},
                          json={"id": "V2024-0001", "resident": "n1", "item": "soap"})
    assert numbered.status_code == 422 and [p["path"] for p in numbered.json()["errors"]] == ["id"], numbered.text
    assert seeded.as_("staff", "GET", "/communities/{c}/shop/redemptions").json() == before


@pytest.mark.parametrize(("roles", "resident", "tail", "status"), [
    (["staff"], None, "cases", 403),  # the role the route takes, of another community
    (["staff"], None, "appeals", 403),  # a role the route does not take (found by a second attack: audited here)
    (["resident"], "s1", "facts", 403),
])
def test_a_write_refused_for_a_token_of_another_community_is_audited_there_not_here(site, roles, resident, tail,
                                                                                    status):
    """Found by attack: each such refusal was a row of the community it tried, so anyone could fill its trail."""
    seeded, values = site
    service = seeded.client.app.state.service
    if resident:  # the same resident id, registered in the other community
        assert seeded.as_("admin", "PUT", "/communities/another", json={"name": "别的社区"}).status_code == 200
        assert seeded.as_("admin", "POST", "/communities/another/residents",
                          json=[{"id": resident, "name": "张三", "zone": "south"}]).status_code == 200
    elsewhere = create_token(service, roles, community="another", resident=resident)
    trail = seeded.as_("committee", "GET", "/audit", params={"community": values["community"]}).json()
    refused = seeded.client.post(f"/communities/{values['community']}/{tail}", json=CASE,
                                 headers={"Authorization": f"Bearer {elsewhere.token}"})
    assert refused.status_code == status, refused.text
    assert seeded.as_("committee", "GET", "/audit", params={"community": values["community"]}).json() == trail
    theirs = seeded.as_("admin", "GET", "/audit", params={"community": "another"}).json()
    assert theirs[0]["action"] == f"POST /communities/{values['community']}/{tail}" and theirs[0]["status"] == status


def test_tokens_are_checked_scoped_and_revocable(site):
    seeded, values = site
    service = seeded.client.app.state.service
    path = f"/communities/{values['community']}/cases"
    assert seeded.client.get(path, headers={"Authorization": "Basic abc"}).json()["code"] == "unauthorized"
    assert seeded.client.get(path, headers={"Authorization": "Bearer nope"}).json()["code"] == "unauthorized"
    elsewhere = create_token(service, ["staff"], community="another")
    assert seeded.client.get(path, headers={"Authorization": f"Bearer {elsewhere.token}"}).status_code == 403
    token = create_token(service, ["staff"], community=values["community"])
    assert seeded.client.get(path, headers={"Authorization": f"Bearer {token.token}"}).status_code == 200
    assert seeded.as_("admin", "PUT", "/communities/another", json={"name": "别的社区"}).status_code == 200
    listed = seeded.client.get("/communities", headers={"Authorization": f"Bearer {token.token}"}).json()
    assert [c["id"] for c in listed] == [values["community"]]  # other communities stay unseen
    assert {"another", values["community"]} <= {c["id"] for c in seeded.as_("admin", "GET", "/communities").json()}
    assert revoke_token(service, token.id)
    assert seeded.client.get(path, headers={"Authorization": f"Bearer {token.token}"}).status_code == 401
    with service.db.reading() as session:
        from sqlalchemy import select

        from xinzhi.db.tables import ApiToken
        stored = session.scalars(select(ApiToken.token_hash)).all()
    assert token.token not in stored and len(stored[0]) == 64


def test_every_write_is_in_the_audit_trail_with_its_actor(site):
    seeded, values = site
    seeded.as_("staff", "PUT", "/communities/{c}/shop/items",
               json=[{"id": "rice", "kind": "goods", "title": "大米", "price": 9, "stock": 3}])
    records = seeded.as_("committee", "GET", "/audit", params={"community": values["community"]}).json()
    latest = records[0]
    assert latest["action"] == f"PUT /communities/{values['community']}/shop/items" and latest["status"] == 200
    assert latest["roles"] == ["staff"] and latest["actor"].startswith("token:")
    # refused anonymous writes are counted, not stored row by row (2,331 requests once made 2,323 rows)
    assert not any(r["actor"] == "anonymous" for r in records)
    before = seeded.client.get("/health").json()["anonymous_writes_refused"]
    for _ in range(3):
        assert seeded.client.post(f"/communities/{values['community']}/cases", json={},
                                  headers={"Authorization": ""}).status_code == 401
    assert seeded.client.get("/health").json()["anonymous_writes_refused"] == before + 3
    after = seeded.as_("committee", "GET", "/audit", params={"community": values["community"]}).json()
    assert after == records  # the refused writes added no row



def test_a_writes_audit_record_commits_with_the_write_or_not_at_all(site):
    """When a fact's transaction commits, its audit record is already there: a kill -9 between the two
    (the record used to be written after the answer) once could leave a write no one had made."""
    seeded, values = site
    community = values["community"]
    service = seeded.client.app.state.service
    action = f"POST /communities/{community}/facts"

    def counts() -> tuple[int, int]:
        with service.db.reading() as session:
            return (session.scalar(select(func.count()).select_from(Fact).where(Fact.community == community)),
                    session.scalar(select(func.count()).select_from(AuditRecord).where(
                        AuditRecord.action == action, AuditRecord.status == 201)))

    seen: list[tuple[int, int]] = []
    before = counts()
    listener = lambda session: seen.append(counts())  # noqa: E731
    event.listen(Session, "after_commit", listener)
    try:
        for i in range(3):
            assert seeded.as_("staff", "POST", "/communities/{c}/facts", json={
                "id": f"aud-{i}", "type": "heritage", "resident": "n1", "occurred_at": "2024-06-02T10:00:00+08:00",
                "fields": {"hours": 1}}).status_code == 201
    finally:
        event.remove(Session, "after_commit", listener)
    grown = sorted({(facts - before[0], audits - before[1]) for facts, audits in seen})
    assert grown[-1] == (3, 3) and all(facts == audits for facts, audits in grown)


def test_xinzhi_token_create_prints_the_token_once_and_stores_only_its_hash(tmp_path, capsys):
    from xinzhi.access import resolve_token
    from xinzhi.cli.main import main
    from xinzhi.service import open_service

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert main(["token", "create", "--role", "committee", "--role", "staff", "--database-url", url]) == 0
    token = capsys.readouterr().out.strip()
    assert token.startswith("xz_") and len(token) > 30
    assert main(["token", "create", "--role", "resident", "--database-url", url]) == 2  # needs --resident
    service = open_service(Settings(database_url=url, rulesets_dir=None), load_rulesets=False)
    try:
        principal = resolve_token(service, token)
        assert principal is not None and principal.roles == {"committee", "staff"}
        with service.db.reading() as session:
            from sqlalchemy import text
            dump = " ".join(str(row) for row in session.execute(text("SELECT * FROM api_tokens")))
        assert token not in dump
    finally:
        service.close()


def test_a_resident_reports_a_case_as_themself_and_learns_nothing_of_others(site):
    seeded, values = site
    forged = {**CASE, "parties": ["n2"], "reported_by": "s2", "reported_at": "2020-01-01T08:00:00+08:00"}
    case = seeded.as_("resident", "POST", "/communities/{c}/cases", json=forged)
    assert case.status_code == 201, case.text
    assert case.json()["reported_by"] == "n1" and case.json()["reported_at"] > "2025"
    known = seeded.as_("resident", "POST", "/communities/{c}/cases", json={**CASE, "parties": ["n2"]})
    unknown = seeded.as_("resident", "POST", "/communities/{c}/cases", json={**CASE, "parties": ["nobody-zz"]})
    assert known.status_code == unknown.status_code == 201
    office = seeded.as_("staff", "POST", "/communities/{c}/cases", json={**CASE, "parties": ["nobody-zz"]})
    assert (office.status_code, office.json()["code"]) == (404, "resident_not_found")
