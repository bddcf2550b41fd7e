"""The OpenAPI document declares the error answers the API gives, and a 405 says what is allowed.

Found by attack: only 200/422 were declared, so about 115 statuses and 48 problem bodies
the API returned were undocumented, and 405s lacked ``Allow``. Found by fuzzing (tests/api/test_fuzz.py):
the problem schema was filed under ``application/json`` (``text/plain`` for a CSV export), never sent,
so no problem body was checked against it; the console's helpers declared no problem answers at all.
"""

from __future__ import annotations

import pytest

from tests.api.conftest import make_community


def test_every_resource_operation_declares_its_problem_answers(client):
    spec = client.get("/openapi.json").json()
    problem = spec["components"]["schemas"]["ProblemBody"]
    assert {"code", "errors", "detail", "status"} <= set(problem["properties"])
    undeclared = []
    for path, operations in spec["paths"].items():
        if path == "/health":
            continue
        for method, operation in operations.items():
            for status in ("401", "403", "404", "409", "413", "415", "422", "500"):
                answer = operation["responses"].get(status, {})
                if answer.get("content") != {"application/problem+json": {"schema": {
                        "$ref": "#/components/schemas/ProblemBody"}}}:
                    undeclared.append(f"{method.upper()} {path} {status}")
    assert undeclared == []


def test_a_method_not_allowed_names_the_allowed_ones(client):
    response = client.delete("/health")
    assert response.status_code == 405 and response.headers["allow"] == "GET"
    assert response.json()["code"] == "method_not_allowed"


@pytest.mark.parametrize("path", ["/communities/{c}/ledger.csv", "/communities/{c}/scores.csv",
                                  "/communities/{c}/residents/r1/ledger.csv"])
def test_a_csv_export_is_declared_as_the_csv_it_sends(client, path):
    """Found by fuzzing: scores.csv was declared ``text/plain``, the ledger exports declared no type."""
    spec = client.get("/openapi.json").json()
    template = path.replace("{c}", "{community}").replace("r1", "{resident}")
    assert spec["paths"][template]["get"]["responses"]["200"]["content"] == {"text/csv": {"schema": {"type": "string"}}}
    response = client.get(path.replace("{c}", make_community(client)))
    assert response.status_code == 200 and response.headers["content-type"] == "text/csv; charset=utf-8"


def test_the_location_of_an_accepted_simulation_is_declared(client):
    """So that a client, and the fuzzer's header check (tests/api/test_fuzz.py), know the 202 carries it."""
    answer = client.get("/openapi.json").json()["paths"]["/communities/{community}/simulations"]["post"]["responses"]
    assert answer["202"]["headers"]["Location"]["required"] is True


def test_the_routes_that_wait_for_a_draft_worker_declare_429_with_retry_after(client):
    paths = client.get("/openapi.json").json()["paths"]
    waiting = [(path, method) for path, operations in paths.items() for method, operation in operations.items()
               if "429" in operation["responses"]]
    assert sorted(waiting) == [
        ("/communities/{community}/dry-run", "post"),
        ("/communities/{community}/rulesets/{ruleset_id}/versions/{version}/dry-run", "post"),
        ("/communities/{community}/rulesets/{ruleset_id}/versions/{version}/publish", "post"),
        ("/console/api/communities/{community}/rulesets/test", "post")]
    assert all("Retry-After" in paths[p][m]["responses"]["429"]["headers"] for p, m in waiting)
