"""The HTTP contract: status codes, problem+json errors with stable codes, every resource."""

from __future__ import annotations

import pytest

from tests.api.conftest import PROBLEM, make_community
from tests.support.standard import CIVIC_V1, civic

FACT = {"id": "f1", "type": "activity", "resident": "r1", "occurred_at": "2021-05-03T10:00:00+08:00",
        "fields": {"name": "邻里节"}}


def yaml_post(client, community: str, text: str):
    return client.post(f"/communities/{community}/rulesets", content=text.encode(),
                       headers={"content-type": "application/yaml"}, params={"name": "draft.yaml"})


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["code"] == code and body["status"] == status and body["detail"]
    return body


def test_a_bad_ruleset_is_a_422_listing_every_problem_with_line_and_column(client, community):
    text = civic(2, effective_from="2022-01-01").replace("period: week", "period: fortnight").replace(
        "title: 占用车位", "titel: 占用车位")
    body = assert_problem(yaml_post(client, community, text), 422, "ruleset_invalid")
    lines = text.splitlines()
    line_of = {word: next(i for i, line in enumerate(lines, 1) if word in line) for word in ("fortnight", "titel")}
    assert {(e["code"], e["line"]) for e in body["errors"]} >= {("ruleset_bad_period", line_of["fortnight"]),
                                                                ("ruleset_unknown_key", line_of["titel"])}
    assert all(e["column"] >= 1 and e["file"] == "draft.yaml" and e["message"] for e in body["errors"])
    assert [r["ref"] for r in client.get(f"/communities/{community}/rulesets").json()] == ["civic@1"]


def test_publish_is_refused_when_an_embedded_test_fails(client, community):
    assert yaml_post(client, community, civic(2, effective_from="2022-01-01", activity_points=3,
                                             expected_activity=2)).status_code == 201
    body = assert_problem(client.post(f"/communities/{community}/rulesets/civic/versions/2/publish"), 422,
                          "ruleset_tests_failed")
    assert body["tests"][0]["passed"] is False
    assert client.get(f"/communities/{community}/rulesets/civic/versions/2").json()["status"] == "draft"


def test_overlapping_and_immutable_versions_are_conflicts(client, community):
    assert_problem(yaml_post(client, community, CIVIC_V1.replace("测试标准", "改")), 409, "ruleset_published_immutable")
    assert yaml_post(client, community, civic(2)).status_code == 201
    assert_problem(client.post(f"/communities/{community}/rulesets/civic/versions/2/publish"), 409,
                   "ruleset_dates_overlap")


def test_versions_diff_and_the_version_in_force(client, community):
    assert yaml_post(client, community, civic(2, effective_from="2022-01-01", activity_points=3)).status_code == 201
    diff = client.get(f"/communities/{community}/rulesets/civic/diff", params={"base": 1, "other": 2}).json()
    assert diff["rules"] == [{"rule": "activity_join", "change": "changed",
                              "fields": {"award": {"before": {"points": 2}, "after": {"points": 3}}}}]
    assert client.post(f"/communities/{community}/rulesets/civic/versions/2/publish").status_code == 200
    posted = client.post(f"/communities/{community}/facts/batch", json={"facts": [
        FACT, {**FACT, "id": "f2", "occurred_at": "2022-01-01T00:00:00+08:00"}]}).json()
    assert [(r["ruleset"], r["entries"][0]["amount"]) for r in posted["results"]] == [("civic@1", 2), ("civic@2", 3)]


def test_a_fact_is_created_once_and_a_repeat_returns_the_first_result(client, community):
    first = client.post(f"/communities/{community}/facts", json=FACT)
    assert first.status_code == 201 and first.json()["entries"][0]["amount"] == 2
    again = client.post(f"/communities/{community}/facts", json=FACT)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert again.json()["entries"] == first.json()["entries"]
    other = assert_problem(client.post(f"/communities/{community}/facts", json={**FACT, "fields": {"name": "另一个"}}),
                           422, "facts_rejected")
    assert [(e["code"], e["path"]) for e in other["errors"]] == [("fact_id_conflict", "id")]


def test_rejected_facts_name_the_field_and_store_nothing(client, community):
    body = assert_problem(client.post(f"/communities/{community}/facts/batch", json={"facts": [
        FACT, {**FACT, "id": "f2", "type": "cleanup", "fields": {"count": 0}}]}), 422, "facts_rejected")
    assert [(e["code"], e["path"], e["fact_id"]) for e in body["errors"]] == [
        ("fact_invalid", "facts[1].fields.count", "f2")]
    assert client.get(f"/communities/{community}/residents/r1/ledger").json()["total"] == 0
    single = assert_problem(client.post(f"/communities/{community}/facts", json={**FACT, "resident": "ghost"}),
                            422, "facts_rejected")
    assert single["errors"][0]["code"] == "fact_unknown_resident"


@pytest.mark.parametrize("path, body, status, code", [
    pytest.param("/communities/{c}/facts/batch", {"facts": [FACT] * 51}, 413, "batch_too_large", id="batch"),
    pytest.param("/communities/{c}/facts/batch", {"facts": [{**FACT, "fields": {"name": "x" * 300_000}}]}, 413,
                 "request_too_large", id="body"),
    pytest.param("/communities/{c}/facts/batch", {"fact": []}, 422, "request_invalid", id="shape"),
    pytest.param("/communities/nowhere/facts", FACT, 404, "community_not_found", id="unknown-community"),
])
def test_request_limits_and_shapes(client, community, path, body, status, code):
    assert_problem(client.post(path.format(c=community), json=body), status, code)
    assert client.get(f"/communities/{community}/residents/r1/ledger").json()["total"] == 0


def test_uploads_must_have_a_text_content_type(client, community):
    response = client.post(f"/communities/{community}/rulesets", json={"id": "civic"})
    assert_problem(response, 415, "unsupported_media_type")
    not_text = client.post(f"/communities/{community}/facts/import", content=b"id,type\n\x80\x80",
                           headers={"content-type": "text/csv"})  # neither UTF-8 nor GBK/GB18030
    assert_problem(not_text, 422, "facts_rejected")
    assert not_text.json()["errors"][0]["row"] == 2


def test_unknown_things_are_404_problems(client, community):
    assert_problem(client.get("/nope"), 404, "not_found")
    assert_problem(client.get(f"/communities/{community}/residents/ghost/score"), 404, "resident_not_found")
    assert_problem(client.get(f"/communities/{community}/rulesets/civic/versions/9"), 404, "ruleset_not_found")
    assert_problem(client.delete(f"/communities/{community}/facts"), 405, "method_not_allowed")


def test_score_ledger_household_summary_and_exports(client, community):
    facts = [{**FACT, "id": f"a{i}", "occurred_at": f"2021-05-{i:02d}T10:00:00+08:00"} for i in range(1, 7)]
    facts.append({**FACT, "id": "v1", "type": "violation", "resident": "r2", "fields": {"kind": "parking"}})
    assert client.post(f"/communities/{community}/facts/batch", json={"facts": facts}).status_code == 200
    score = client.get(f"/communities/{community}/residents/r1/score", params={"as_of": "2021-12-31"}).json()
    assert (score["index"], score["points"], score["tier"]) == (110, 10, "A")
    assert score["categories"] == [{"category": "participation", "title": "社区活动", "index": 10, "points": 10,
                                    "entries": 6}]
    page = client.get(f"/communities/{community}/residents/r1/ledger", params={"offset": 4, "limit": 10}).json()
    assert page["total"] == 6 and len(page["entries"]) == 2
    assert page["entries"][1]["limited_by"] == "rule:activity_join/month"
    assert "max 10" in page["entries"][1]["explanation"]["summary"]
    home = client.get(f"/communities/{community}/households/h1", params={"as_of": "2021-12-31"}).json()
    assert (home["index_total"], home["points_total"]) == (110 + 97, 10 - 3)
    summary = client.get(f"/communities/{community}/summary", params={"as_of": "2021-12-31"}).json()
    assert {z["zone"]: z["index_total"] for z in summary["zones"]} == {"north": 210, "south": 197}
    ledger_csv = client.get(f"/communities/{community}/ledger.csv")
    assert ledger_csv.headers["content-type"].startswith("text/csv") and len(ledger_csv.text.splitlines()) == 8
    scores = client.get(f"/communities/{community}/scores.csv", params={"as_of": "2021-12-31"}).text.splitlines()
    assert scores[1] == "r1,张三1,north,h1,2021-12-31,110,10,A,良好,,"


def test_csv_import_reports_rows_and_can_skip_them(client, community):
    text = ("id,type,resident,occurred_at,count\n"
            "c1,cleanup,r1,2021-05-03T10:00:00+08:00,5\n"
            "c2,cleanup,r1,2021-05-04T10:00:00+08:00,zero\n")
    url = f"/communities/{community}/facts/import"
    body = assert_problem(client.post(url, content=text.encode(), headers={"content-type": "text/csv"}), 422,
                          "facts_rejected")
    assert [(e["row"], e["code"]) for e in body["errors"]] == [(3, "fact_invalid")]
    assert client.get(f"/communities/{community}/residents/r1/ledger").json()["total"] == 0
    done = client.post(url, content=text.encode(), params={"skip_bad_rows": True},
                       headers={"content-type": "text/csv"}).json()
    assert (done["scored"], done["skipped"], done["errors"][0]["row"]) == (1, 1, 3)


def test_csv_import_reads_lines_ended_by_a_lone_cr_and_locates_a_field_too_large(client, community):
    """Found by fuzzing (tests/api/test_fuzz.py): a lone CR, or a field beyond the csv module's limit, answered 500."""
    url = f"/communities/{community}/facts/import"
    text = "id,type,resident,occurred_at,count\rc1,cleanup,r1,2021-05-03T10:00:00+08:00,5\r"
    done = client.post(url, content=text.encode(), headers={"content-type": "text/csv"})
    assert done.status_code == 200 and done.json()["scored"] == 1, done.text
    huge = "id,type,resident,occurred_at,count\nc2,cleanup,r1,2021-05-03T10:00:00+08:00," + "9" * 140_000 + "\n"
    body = assert_problem(client.post(url, content=huge.encode(), headers={"content-type": "text/csv"}), 422,
                          "facts_rejected")
    assert [(e["row"], e["code"]) for e in body["errors"]] == [(2, "facts_unreadable")]


def test_dry_runs_of_stored_and_inline_drafts(client, community):
    facts = {"facts": [{**FACT, "occurred_at": "2022-02-01T10:00:00+08:00"}]}
    inline = client.post(f"/communities/{community}/dry-run",
                         json={**facts, "ruleset": civic(7, effective_from="2022-01-01", activity_points=6)})
    assert inline.status_code == 200 and inline.json()["awards"][0]["amount"] == 6
    assert yaml_post(client, community, civic(2, effective_from="2022-01-01", activity_points=4)).status_code == 201
    stored = client.post(f"/communities/{community}/rulesets/civic/versions/2/dry-run", json=facts).json()
    assert stored["draft"] and stored["awards"][0]["amount"] == 4
    assert_problem(client.post(f"/communities/{community}/dry-run", json={**facts, "ruleset": "id: ["}), 422,
                   "ruleset_invalid")
    assert client.get(f"/communities/{community}/residents/r1/ledger").json()["total"] == 0


def test_expiry_job_over_http(client, community):
    client.post(f"/communities/{community}/facts", json=FACT)
    run = client.post(f"/communities/{community}/jobs/expire", params={"as_of": "2023-06-01"}).json()
    assert (run["entries_written"], run["points_expired"]) == (1, 2)
    score = client.get(f"/communities/{community}/residents/r1/score", params={"as_of": "2023-06-01"}).json()
    assert (score["index"], score["points"]) == (102, 0)


def test_communities_are_separate(client, community):
    other = make_community(client)
    client.post(f"/communities/{community}/facts", json=FACT)
    assert client.post(f"/communities/{other}/facts", json=FACT).status_code == 201
    assert client.get(f"/communities/{other}/summary").json()["facts"] == 1


def test_openapi_docs_are_served(client):
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert "/communities/{community}/facts" in paths and "/communities/{community}/rulesets" in paths
