"""Security headers: the console runs only its own scripts, other pages none, and JSON is never framed or sniffed."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from xinzhi.api.errors import install
from xinzhi.api.headers import CONSOLE_POLICY, DATA_POLICY, PAGE_POLICY, SecurityHeaders, policy_for


@pytest.mark.parametrize(("path", "content_type", "policy"), [
    ("/console/", "text/html; charset=utf-8", CONSOLE_POLICY),
    ("/console", "text/html", CONSOLE_POLICY),
    ("/console/board", "text/html; charset=utf-8", CONSOLE_POLICY),
    ("/consoleish", "text/html", PAGE_POLICY),  # not the console: no script runs there
    ("/communities/c/simulations/j/report.html", "text/html; charset=utf-8", PAGE_POLICY),
    ("/docs", "text/html; charset=utf-8", PAGE_POLICY),
    ("/communities/c/summary", "application/json", DATA_POLICY),
    ("/console/static/app.js", "text/javascript; charset=utf-8", DATA_POLICY),
    ("/communities/c/ledger.csv", "text/csv; charset=utf-8", DATA_POLICY),
])
def test_each_answer_gets_the_policy_of_what_it_is(path, content_type, policy):
    assert policy_for(path, content_type) == policy


def test_every_answer_carries_them_refusals_too(client, community):
    answers = {
        "console": client.get("/console/"),
        "docs": client.get("/docs"),
        "json": client.get(f"/communities/{community}/summary"),
        "refusal": client.get("/communities/nowhere/summary"),
        "too large": client.post(f"/communities/{community}/facts", content=b"x" * (1 << 24),
                                 headers={"content-type": "application/json"}),
    }
    expected = {"console": (CONSOLE_POLICY, "SAMEORIGIN"), "docs": (PAGE_POLICY, "SAMEORIGIN"),
                "json": (DATA_POLICY, "DENY"), "refusal": (DATA_POLICY, "DENY"), "too large": (DATA_POLICY, "DENY")}
    for name, answer in answers.items():
        headers = answer.headers
        assert (headers["content-security-policy"], headers["x-frame-options"]) == expected[name], name
        assert (headers["x-content-type-options"], headers["referrer-policy"]) == ("nosniff", "same-origin"), name
    assert answers["too large"].status_code == 413


def test_a_failure_no_one_foresaw_has_them_too():
    """Found by attack: Starlette answers a 500 from outside every other middleware, so it had none."""
    app = FastAPI()
    install(app)
    app.add_middleware(SecurityHeaders)

    @app.get("/boom")
    def boom():
        raise RuntimeError("unforeseen")

    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.get("/boom")
    assert answer.status_code == 500 and answer.json()["code"] == "internal_error"
    assert (answer.headers["content-security-policy"], answer.headers["x-content-type-options"]) == (
        DATA_POLICY, "nosniff")
