"""Hostile requests get a bounded 4xx, never a 500 and never a reply larger than the request deserves.

Found by attack: NUL characters (PostgreSQL), lone surrogates, integers of 2^63 and more,
``as_of=9999-12-31``, an appeal correcting to 2^40 points and a request of a million zeros
answered 500, stored a trillion points, or replied with 103 MB. Found by fuzzing
(tests/api/test_fuzz.py): a community id that is no id (capitals, control characters) in
``PUT /communities/{c}`` answered 500, and a JSON body that is not UTF-8 an undeclared 400.
Closing periods ``as_of=2099-12-31`` answered 200, having paid every clean month up to 2099.
"""

from __future__ import annotations

import json

import pytest

from tests.api.conftest import make_community
from tests.engine.test_periods import DAILY, STANDARD

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
    pytest.param("POST", "/communities/{c}/jobs/close-periods", {"params": {"as_of": "2099-12-31"}}, 422,
                 id="close-periods-2099"),
    pytest.param("PUT", "/communities/M%F3%8D%AE%8E%0C%03", {"json": {"name": "X"}}, 422, id="put-community-not-an-id"),
    pytest.param("GET", "/communities/Yihe/summary", {}, 422, id="community-not-an-id"),
    pytest.param("POST", "/communities/{c}/cases", {"content": b"\x15\xff\n\xfe3+"}, 422, id="json-not-utf-8"),
]


@pytest.mark.parametrize(("method", "path", "options", "status"), CASES)
def test_a_hostile_request_is_a_4xx(client, method, path, options, status):
    community = make_community(client)
    headers = {"content-type": "application/json"} if "content" in options else {}
    response = client.request(method, path.replace("{c}", community), headers=headers, **options)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("path", ["/communities/{c}/residents", "/communities/{c}/dry-run",
                                  "/communities/{c}/facts/batch"])
def test_a_flood_of_zeros_is_refused_by_its_length_not_item_by_item(client, path):
    """Every list a request carries declares its longest length, so a flood costs one error, not 50,000."""
    community = make_community(client)
    zeros = [0] * 50_000  # the test app's body limit is 256 KiB
    body = json.dumps(zeros if path.endswith("residents") else
                      {"ruleset": "id: x", "facts": zeros} if path.endswith("dry-run") else {"facts": zeros}).encode()
    response = client.post(path.replace("{c}", community), content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422
    [problem] = response.json()["errors"]
    assert "at most" in problem["message"] and "errors_total" not in response.json()


def test_every_list_in_a_request_body_declares_its_longest_length(client):
    document = client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    unbounded: list[str] = []

    def walk(schema: dict, where: str, seen: frozenset[str]) -> None:
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            if name not in seen:
                walk(schemas[name], name, seen | {name})
            return
        if schema.get("type") == "array":
            if "maxItems" not in schema:
                unbounded.append(where)
            walk(schema.get("items", {}), f"{where}[]", seen)
        for field, spec in schema.get("properties", {}).items():
            walk(spec, f"{where}.{field}", seen)
        for key in ("anyOf", "oneOf", "allOf"):
            for option in schema.get(key, ()):
                walk(option, where, seen)

    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for media in operation.get("requestBody", {}).get("content", {}).values():
                walk(media.get("schema", {}), f"{method.upper()} {path}", frozenset())
    assert unbounded == []


def test_a_dry_run_closing_periods_to_2099_is_a_located_4xx(client):
    """Found by attack: a daily streak closed to 2099 decided every day of a century for every resident."""
    community = make_community(client)
    ruleset = STANDARD.replace("EFFECTIVE_FROM", "2000-01-01").replace("PERIOD_RULES", DAILY)
    facts = [{"id": f"o{n}", "type": "offence", "resident": f"r{n}", "occurred_at": "2021-01-05T10:00:00+08:00"}
             for n in range(10)]
    response = client.post(f"/communities/{community}/dry-run",
                           json={"ruleset": ruleset, "facts": facts, "closes_until": "2099-12-31"})
    assert response.status_code == 422, response.text
    [problem] = response.json()["errors"]
    assert (problem["code"], problem["path"]) == ("closing_too_large", "closes_until")


@pytest.mark.parametrize("as_of", ["1709164800", "1709164800000", "2024-01-01T00:00:00-10:00", "20240229",
                                   " 2024-02-29", "2024-2-29"])
def test_a_day_in_a_query_is_written_year_month_day_and_nothing_else(client, community, as_of):
    """Found by attack: a Unix time (seconds or milliseconds) was read as a day, and a moment's offset dropped."""
    for path in (f"/communities/{community}/summary", f"/communities/{community}/residents/r1/score"):
        refused = client.get(path, params={"as_of": as_of}, headers={"Accept-Language": "zh"})
        assert refused.status_code == 422 and [(p["path"], p["message"]) for p in refused.json()["errors"]] == [
            ("as_of", "「as_of」要写成年-月-日，如 2024-02-29")], refused.text
    assert client.get(f"/communities/{community}/summary", params={"as_of": "2024-02-29"}).status_code == 200


@pytest.mark.parametrize(("redeemed_at", "said"), [
    (1709164800, "「redeemed_at」要写成文字的时间，如 2024-06-01T10:00:00+08:00"),
    (True, "「redeemed_at」要写成文字的时间，如 2024-06-01T10:00:00+08:00"),
    ("1709164800", "「redeemed_at」要写成文字的时间，如 2024-06-01T10:00:00+08:00"),
    ("2024-06-01", "「redeemed_at」要写成文字的时间，如 2024-06-01T10:00:00+08:00"),
    ("1999-12-31T10:00:00+08:00", "「redeemed_at」兑换的时间要在 2000–2099 年之间"),
])
def test_a_redemption_is_dated_with_text_in_the_years_records_are_kept(client, community, redeemed_at, said):
    body = {"id": f"rd-{abs(hash(str(redeemed_at)))}", "resident": "r1", "item": "soap", "redeemed_at": redeemed_at}
    refused = client.post(f"/communities/{community}/shop/redemptions", json=body, headers={"Accept-Language": "zh"})
    assert refused.status_code == 422 and [(p["path"], p["message"]) for p in refused.json()["errors"]] == [
        ("redeemed_at", said)], refused.text
