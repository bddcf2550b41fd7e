"""The documented API error codes are exactly the ones the service and the HTTP layer can report,
and an engine error that reaches the edge is a 422 problem, never a 500."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import ROOT
from xinzhi.api.errors import MEDIA_TYPE, STATUS, ApiCode, install
from xinzhi.engine import ErrorCode, FactError, Problem, RulesetError
from xinzhi.errors import ServiceCode
from xinzhi.messages import TITLES

API_ONLY_HEADING = "Only the HTTP layer meets these"


def documented(text: str) -> dict[str, int]:
    return {code: int(status) for code, status in re.findall(r"^\| `([a-z_]+)` \| (\d{3}) \|", text, re.M)}


def sections() -> tuple[str, str]:
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    service, _, api = text.partition(API_ONLY_HEADING)
    return service, api


def test_docs_list_every_service_code_with_its_status():
    assert documented(sections()[0]) == {code.value: STATUS[code] for code in ServiceCode}


def test_docs_list_the_http_only_codes_apart():
    assert documented(sections()[1]) == {code.value: STATUS[code] for code in ApiCode}


def test_every_code_has_a_status_and_no_code_is_both():
    assert set(STATUS) == set(ServiceCode) | set(ApiCode)
    assert set(TITLES) == {c.value for c in STATUS}  # and a title in Chinese and English
    assert all(zh and en and zh != en for zh, en in TITLES.values())
    assert not {c.value for c in ServiceCode} & {c.value for c in ApiCode}


@pytest.mark.parametrize(("error", "code"), [
    (RulesetError([Problem(code=ErrorCode.BAD_PERIOD, message="no such period", file="x.yaml", line=3, column=5,
                           path="rules[0].limits[0].period")]), "ruleset_invalid"),
    (FactError([Problem(code=ErrorCode.FACT_INVALID, message="bad", path="fields.hours", fact_id="f1")]),
     "facts_rejected"),
])
def test_no_engine_error_escapes_as_a_500(error, code):
    app = FastAPI()
    install(app)

    @app.get("/boom")
    def boom():
        raise error

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert (response.status_code, response.headers["content-type"]) == (422, MEDIA_TYPE)
    body = response.json()
    assert body["code"] == code and body["errors"] == [p.model_dump(mode="json") for p in error.problems]
