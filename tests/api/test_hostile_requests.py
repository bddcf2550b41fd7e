"""Hostile requests get a bounded 4xx, never a 500 and never a reply larger than the request deserves.

Found by attack: NUL characters (PostgreSQL), lone surrogates, integers of 2^63 and more,
``as_of=9999-12-31``, an appeal correcting to 2^40 points and a request of a million zeros
answered 500, stored a trillion points, or replied with 103 MB.
"""

from __future__ import annotations

import json

import pytest

from tests.api.conftest import make_community

CASES = [
    pytest.param("PUT", "/communities/{c}", {"json": {"name": "a\u0000b"}}, 422, id="nul-in-a-name"),
    pytest.param("PUT", "/communities/{c}", {"content": b'{"name": "\\ud800"}'}, 422, id="lone-surrogate"),
    pytest.param("GET", "/communities/{c}/residents", {"params": {"offset": 2**63}}, 422, id="offset-2-to-63"),
    pytest.param("GET", "/communities/{c}/rulesets/civic/versions/9223372036854775808", {}, 422, id="version-2-to-63"),
    pytest.param("GET", "/communities/{c}/summary", {"params": {"as_of": "9999-12-31"}}, 422, id="as-of-9999"),
    pytest.param("GET", "/communities/{c}/summary", {"params": {"as_of": "0"}}, 422, id="as-of-zero"),
    pytest.param("POST", "/communities/{c}/appeals", {"json": {"action": "correct", "entry": 1, "amount": 2**40,
                                                                "reason": "更正"}}, 422, id="correct-to-2-to-40"),
    pytest.param("POST", "/communities/{c}/jobs/expire", {"params": {"as_of": "9999-12-31"}}, 422, id="expire-9999"),
]


@pytest.mark.parametrize(("method", "path", "options", "status"), CASES)
def test_a_hostile_request_is_a_4xx(client, method, path, options, status):
    community = make_community(client)
    headers = {"content-type": "application/json"} if "content" in options else {}
    response = client.request(method, path.replace("{c}", community), headers=headers, **options)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("path", ["/communities/{c}/residents", "/communities/{c}/dry-run"])
def test_a_flood_of_zeros_gets_a_short_answer(client, path):
    community = make_community(client)
    zeros = [0] * 50_000  # the test app's body limit is 256 KiB
    body = json.dumps(zeros if path.endswith("residents") else {"ruleset": "id: x", "facts": zeros}).encode()
    response = client.post(path.replace("{c}", community), content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert len(response.content) < 50_000 and len(response.json()["errors"]) <= 100
    assert response.json().get("errors_total", 0) in (0, 50_000)
