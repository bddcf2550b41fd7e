"""Property-based fuzzing of a real ``xinzhi serve`` over its own ``/openapi.json`` (issue 10).

Schemathesis generates requests for every operation of the live server's OpenAPI document —
valid ones, and ones that break the declared schema — and sends each as one of four callers:
a committee token, a staff token, the token of a resident of the seeded community, and no
token. The server (PostgreSQL, tokens on) holds a community with residents, a published
ruleset and a draft, scored facts, awards held for review and one approved, shop items, a
redemption, a council case, an appeal and a finished simulation; some requests name those in
their path, so that they reach the services rather than stop at a 404. Every answer must be
no 5xx, with a status code and a content type the operation declares, and a body matching the
declared schema (``ProblemBody`` for every problem). Examples are few and derandomized, so the
run is the same every time and bounded (about a minute on two cores).

The fuzzer found: a community id that is no id answered 500 on ``PUT``; a JSON body that is
not UTF-8 an undeclared 400; CSV exports declared ``text/plain`` or nothing; the problem schema
filed under a media type no problem is sent as, and the console's helpers without any. Longer
random runs (``st run`` against the same server, every phase) found a ruleset key holding a
lone surrogate (500 in the editor's test run) and a CSV import with a lone CR (500). Each has
its own regression test beside the code it concerns.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import serve
from tests.api.cycle import ITEMS, RESIDENTS
from tests.support.backends import postgres_schema
from tests.support.cycle_standard import CYCLE_V1
from xinzhi.access import create_token
from xinzhi.api.main import create_app
from xinzhi.clock import today
from xinzhi.service import open_service
from xinzhi.settings import Settings

COMMUNITY = "fz"
CALLERS = ["committee", "staff", "resident", "no-token"]
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]
EXAMPLES = 8  # per operation and caller: 52 operations x 4 callers, about a minute on two busy cores

# The operations as the app declares them, read when the tests are collected (no server needed) so that a
# failure names its operation; test_the_live_server_offers_these_operations keeps the two lists the same.
OPERATIONS = [(method.upper(), path) for path, methods in
              create_app(Settings(database_url="sqlite://", rulesets_dir=None)).openapi()["paths"].items()
              for method in methods]


@dataclass
class Live:
    base: str
    schema: schemathesis.BaseSchema
    tokens: dict[str, str]
    known: dict[str, list[Any]]  # path parameter -> values that name something the community holds
    log: Path

    def headers(self, caller: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[caller]}"} if caller in self.tokens else {}


def _seed(http: httpx.Client) -> dict[str, list[Any]]:
    """A community worth fuzzing; returns what it holds by the name of the path parameter naming it."""
    c, day = f"/communities/{COMMUNITY}", today() - dt.timedelta(days=1)  # yesterday: 09:00 today may be ahead

    def ok(response: httpx.Response) -> Any:
        assert response.status_code < 300, response.text
        return response.json()

    yaml = {"content-type": "application/yaml"}
    ok(http.put(c, json={"name": "模糊测试社区"}))
    ok(http.post(f"{c}/residents", json=RESIDENTS))
    ok(http.post(f"{c}/rulesets", content=CYCLE_V1.encode(), headers=yaml))
    ok(http.post(f"{c}/rulesets/cycle/versions/1/publish"))
    draft = CYCLE_V1.replace("version: 1", "version: 2").replace("from: 2021-01-01", "from: 2090-01-01")
    ok(http.post(f"{c}/rulesets", content=draft.encode(), headers=yaml))
    ok(http.put(f"{c}/shop/items", json=ITEMS))
    facts = [{"id": f"a{i}", "type": "activity", "resident": r["id"], "fields": {"name": "植树"},
              "occurred_at": f"{day - dt.timedelta(days=i)}T09:00:00+08:00"} for i, r in enumerate(RESIDENTS * 3)]
    facts += [{"id": f"h{i}", "type": "heritage", "resident": "n1", "fields": {"hours": 2},
               "occurred_at": f"{day - dt.timedelta(days=i)}T10:00:00+08:00"} for i in range(3)]
    ok(http.post(f"{c}/facts/batch", json={"facts": facts}))
    notices = [r["notice"] for r in ok(http.get(f"{c}/reviews", params={"status": "pending"}))]
    ok(http.post(f"{c}/reviews/{notices[0]}", json={"decision": "approve", "reason": "核实"}))
    ok(http.post(f"{c}/appeals", json={"action": "adjust", "resident": "n1", "points_delta": 30, "reason": "开户"}))
    redemption = ok(http.post(f"{c}/shop/redemptions", json={"id": "fuzz-1", "resident": "n1", "item": "soap"}))["id"]
    case = ok(http.post(f"{c}/cases", json={"kind": "noise", "zone": "north", "description": "夜间噪音",
                                            "parties": ["n2", "s2"], "reported_by": "网格员 刘"}))["id"]
    job = ok(http.post(f"{c}/simulations", json={"baseline": "cycle@1", "candidate": "cycle@2", "source": {
        "kind": "store", "period": f"{day.year}-Q{(day.month - 1) // 3 + 1}"}}))["id"]
    for _ in range(600):  # done (or failed) in a second or two; its reports are then there to be read
        if ok(http.get(f"{c}/simulations/{job}"))["status"] in ("done", "failed"):
            break
        time.sleep(0.1)
    return {"community": [COMMUNITY], "resident": ["n1"], "household": ["h1"], "ruleset_id": ["cycle"],
            "version": [1, 2], "redemption": [redemption], "case": [case], "notice": notices, "job": [job]}


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Iterator[Live]:
    log = tmp_path_factory.mktemp("fuzz") / "server.log"
    with postgres_schema() as url, serve(url, auth=True, log=log) as base:
        service = open_service(Settings(database_url=url, rulesets_dir=None), load_rulesets=False)
        try:
            admin = create_token(service, ["committee", "staff"]).token
            with httpx.Client(base_url=base, timeout=60, headers={"Authorization": f"Bearer {admin}"}) as http:
                known = _seed(http)
            tokens = {"committee": create_token(service, ["committee"]).token,
                      "staff": create_token(service, ["staff"]).token,
                      "resident": create_token(service, ["resident"], community=COMMUNITY, resident="n1").token}
        finally:
            service.close()
        # The caller is the test's parameter: no Authorization header is generated (or dropped) by the fuzzer.
        config = schemathesis.Config.from_dict({"generation": {"with-security-parameters": False}})
        yield Live(base, schemathesis.openapi.from_url(f"{base}/openapi.json", config=config), tokens, known, log)


def test_the_live_server_offers_these_operations(live):
    served = httpx.get(f"{live.base}/openapi.json").json()["paths"]
    assert sorted((method.upper(), path) for path, methods in served.items() for method in methods) == sorted(
        OPERATIONS)


def _cases(operation, known: dict[str, list[Any]]) -> st.SearchStrategy:
    """Valid requests naming what the community holds, valid ones naming anything, and invalid ones."""
    names = [parameter.name for parameter in operation.path_parameters]
    variants = max((len(known[name]) for name in names if name in known), default=0)
    pinned = [operation.as_strategy(path_parameters={name: known[name][i % len(known[name])]
                                                     for name in names if name in known}) for i in range(variants)]
    return st.one_of(*pinned, operation.as_strategy(),
                     operation.as_strategy(generation_mode=schemathesis.GenerationMode.NEGATIVE))


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{method} {path}" for method, path in OPERATIONS])
def test_every_answer_is_declared_and_no_5xx(live, method, path, caller):
    operation = live.schema[path][method]

    @given(case=_cases(operation, live.known))
    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), print_blob=False)
    def fuzz(case) -> None:
        logged = live.log.stat().st_size
        try:
            case.call_and_validate(base_url=live.base, headers=live.headers(caller), checks=CHECKS, timeout=30)
        except (Exception, FailureGroup) as exc:  # the fuzzer's report (a curl to reproduce it) and the server's log
            with live.log.open(encoding="utf-8", errors="replace") as said:
                said.seek(logged)
                raise AssertionError(f"{exc}\nThe server said:\n{said.read()[-4000:]}") from None

    fuzz()
