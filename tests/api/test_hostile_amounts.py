"""Hostile amounts over HTTP: refused with a 4xx that names the field, never a 500, nothing stored changes.

Points are exact decimals with at most two places (``engine.amounts``): an appeal, a ruleset
and a fact are the three ways an amount reaches the ledger over HTTP. Each bad amount below
must be answered with a problem document whose errors name the field it came in, and the
community's ledger, rulesets and appeals must read exactly as before. A request the server
cannot answer (a 500) fails its case with the server's traceback (the test client re-raises it).

Found by attack (kept here, failing, until fixed):
- a per-unit field bounded by ``.nan`` (``min: .nan`` or ``max: .nan``) answered 500
  (``decimal.InvalidOperation`` in ``engine.checks._check_rule``'s per-unit bound check);
- a JSON number with more digits than a float keeps is read as the nearest float and then as
  that float's shortest digits: an adjustment of ``0.10000000000000001`` is stored as 0.1 (a
  finer amount is meant to be refused, never rounded) and a gift of ``99999.99999999999999``
  yuan earns 100 points where whole hundreds of what was sent earn 99.9.
"""

from __future__ import annotations

import itertools
import json
import uuid
from decimal import Decimal

import pytest

from tests.engine.test_amounts import gift, tenths
from tests.support.exports import read_rows

PROBLEM = "application/problem+json"
FRESH = itertools.count(1000)  # fact numbers for the entries corrections target
YAML = {"content-type": "application/yaml"}
JSON = {"content-type": "application/json"}


def publish(client, text: str, *, residents: int = 2) -> str:
    """A community whose only standard is ``text`` (published), with residents r1…"""
    community = f"c{uuid.uuid4().hex[:10]}"
    assert client.put(f"/communities/{community}", json={"name": "金额测试"}).status_code == 200
    assert client.post(f"/communities/{community}/residents", json=[
        {"id": f"r{i}", "name": f"张三{i}", "zone": "north"} for i in range(1, residents + 1)]).status_code == 200
    upload = client.post(f"/communities/{community}/rulesets", content=text.encode(), headers=YAML)
    assert upload.status_code == 201, upload.text
    published = client.post(f"/communities/{community}/rulesets/{upload.json()['id']}/versions/1/publish")
    assert published.status_code == 200, published.text
    return community


@pytest.fixture(scope="module")
def tenths_ledger(client) -> tuple[str, int]:
    """A community scoring gifts in tenths (捐款每 100 元计 0.1 分) whose ledger holds one award of 0.3."""
    community = publish(client, tenths())
    posted = client.post(f"/communities/{community}/facts", json=gift(1, 300))
    assert posted.status_code == 201, posted.text
    [entry] = posted.json()["entries"]
    assert entry["amount"] == 0.3
    return community, entry["seq"]


def stored(client, community: str) -> tuple[str, str, str, str]:
    """Everything an amount could have changed: the ledger, the rulesets, the appeals, r1's score."""
    return (client.get(f"/communities/{community}/ledger.csv").text,
            client.get(f"/communities/{community}/rulesets").text,
            client.get(f"/communities/{community}/appeals").text,
            client.get(f"/communities/{community}/residents/r1/score", params={"as_of": "2099-01-01"}).text)


def appeal(action: str, field: str, raw: str) -> dict:
    """An appeal body with ``raw`` (JSON text, sent as written) as the amount field."""
    head = ('"action": "correct", "entry": {seq}, "reason": "更正"' if action == "correct" else
            '"action": "adjust", "resident": "r1", "reason": "调整"')
    return {"content": f'{{{head}, "{field}": {raw}}}', "headers": JSON}


def ruleset(text: str) -> dict:
    """An upload of ``text`` as version 2 of the tenths standard (version 1 is published)."""
    return {"content": text.replace("version: 1", "version: 2"), "headers": YAML}


def fact(raw: str, fact_id: str) -> dict:
    head = json.dumps({"id": fact_id, "type": "gift", "resident": "r1", "occurred_at": "2021-03-02T09:00:00+08:00"})
    return {"content": f'{head[:-1]}, "fields": {{"yuan": {raw}}}}}', "headers": JSON}


UNBOUNDED = tenths().replace("yuan: {type: number, min: 0, max: 100000}", "yuan: {type: number}")
APPEALS = "/communities/{c}/appeals"
RULESETS = "/communities/{c}/rulesets"
FACTS = "/communities/{c}/facts"

#: (method, path, request, status, the field the answer must name)
CASES = [
    # An appeal's correction (amount) and adjustment (index_delta, points_delta): at most ±10,000, two places.
    *[pytest.param("POST", APPEALS, appeal(action, field, raw), 422, field, id=f"{action}-{field}-{name}")
      for action, field in [("correct", "amount"), ("adjust", "index_delta"), ("adjust", "points_delta")]
      for name, raw in [("0.001", "0.001"), ("1e-7", "1e-7"), ("1e308", "1e308"), ("-1e308", "-1e308"),
                        ("NaN-text", '"NaN"'), ("Infinity-text", '"Infinity"'), ("NaN", "NaN"),
                        ("Infinity", "Infinity"), ("-Infinity", "-Infinity"), ("text-5", '"5"'),
                        ("text-0.1", '"0.1"'), ("true", "true"), ("false", "false"), ("10001", "10001"),
                        ("-10001", "-10001"), ("10000.01", "10000.01"), ("2-to-63", str(2**63)),
                        ("list", "[1]"), ("object", '{"value": 1}')]],
    # A ruleset's amounts, decimals, 'every' and per-unit bounds.
    *[pytest.param("POST", RULESETS, ruleset(tenths(f"{{points: {points}}}", decimals)), 422,
                   "rules[0].award.points", id=name)
      for name, points, decimals in [("points-1e-7", "1e-7", 2),  # YAML 1.1 reads 1e-7 (no dot) as text
                                     ("points-1.0e-7", "1.0e-7", 2), ("points-1e400", "1e400", 1),
                                     ("points-1.0e+400-is-inf", "1.0e+400", 1), ("points-minus-inf", "-1.0e+400", 1),
                                     ("points-nan", ".nan", 1), ("points-above-largest", "1000000.5", 1),
                                     ("points-text", "'0.1'", 1), ("points-finer-than-decimals", "0.15", 1)]],
    pytest.param("POST", RULESETS, ruleset(tenths(decimals=3)), 422, "accounts.decimals", id="decimals-3"),
    pytest.param("POST", RULESETS, ruleset(tenths(decimals=-1)), 422, "accounts.decimals", id="decimals-minus-1"),
    pytest.param("POST", RULESETS, ruleset(tenths().replace("decimals: 1", "decimals: true")), 422,
                 "accounts.decimals", id="decimals-true"),
    pytest.param("POST", RULESETS, ruleset(tenths().replace("decimals: 1", "decimals: 1.5")), 422,
                 "accounts.decimals", id="decimals-1.5"),
    pytest.param("POST", RULESETS, ruleset(tenths("{points: 0.1, per: yuan, every: 0}")), 422,
                 "rules[0].award.every", id="every-0"),
    pytest.param("POST", RULESETS, ruleset(tenths("{points: 0.1, per: yuan, every: -100}")), 422,
                 "rules[0].award.every", id="every-negative"),
    pytest.param("POST", RULESETS, ruleset(tenths("{points: 0.1, per: yuan, every: .nan}")), 422,
                 "rules[0].award.every", id="every-nan"),
    pytest.param("POST", RULESETS, ruleset(tenths("{points: 0.1, per: yuan, every: .inf}")), 422,
                 "rules[0].award.every", id="every-inf"),
    pytest.param("POST", RULESETS, ruleset(tenths("{points: 0.1, per: yuan, every: '100'}")), 422,
                 "rules[0].award.every", id="every-text"),
    pytest.param("POST", RULESETS, ruleset(tenths("{points: 0.1, every: 100}")), 422, "rules[0].award",
                 id="every-without-per"),
    pytest.param("POST", RULESETS, ruleset(tenths("{points: 0.1, per: yuan, every: 1.0e-9}")), 422,
                 "rules[0].award.per", id="every-tiny-makes-one-award-huge"),
    pytest.param("POST", RULESETS, ruleset(UNBOUNDED), 422, "rules[0].award.per", id="per-unit-unbounded-field"),
    pytest.param("POST", RULESETS, ruleset(tenths().replace("max: 100000", "max: .inf")), 422,
                 "fact_types[0].fields.yuan.max", id="per-unit-field-max-inf"),  # a bound is a finite number
    pytest.param("POST", RULESETS, ruleset(tenths().replace("min: 0", "min: -.inf")), 422,
                 "fact_types[0].fields.yuan.min", id="per-unit-field-min-minus-inf"),
    pytest.param("POST", RULESETS, ruleset(tenths().replace("max: 100000", "max: 1.0e+300")), 422,
                 "rules[0].award.per", id="per-unit-field-max-1e300"),
    # Found (and fixed): a NaN bound answered 500 (decimal.InvalidOperation in engine/checks.py _check_rule).
    pytest.param("POST", RULESETS, ruleset(tenths().replace("max: 100000", "max: .nan")), 422, "yuan",
                 id="per-unit-field-max-nan"),
    pytest.param("POST", RULESETS, ruleset(tenths().replace("min: 0", "min: .nan")), 422, "yuan",
                 id="per-unit-field-min-nan"),
    pytest.param("POST", "/communities/{c}/dry-run",
                 {"json": {"ruleset": tenths().replace("min: 0", "min: .nan"), "facts": []}}, 422, "yuan",
                 id="dry-run-per-unit-field-min-nan"),
    pytest.param("POST", RULESETS, ruleset(tenths("{points: 10.1, per: yuan}")), 422, "rules[0].award.per",
                 id="per-unit-award-above-largest"),
    pytest.param("POST", RULESETS, ruleset(tenths().replace(
        "award:", "limits: [{period: month, max: 0.05}], award:")), 422, "rules[0].limits[0].max",
        id="limit-max-finer-than-decimals"),
    pytest.param("POST", RULESETS, ruleset(tenths().replace(
        "award:", "limits: [{period: month, max: .nan}], award:")), 422, "rules[0].limits[0].max",
        id="limit-max-nan"),
    pytest.param("POST", RULESETS, ruleset(tenths().replace(
        "award:", "limits: [{period: month, max: 0}], award:")), 422, "rules[0].limits[0].max", id="limit-max-0"),
    pytest.param("POST", RULESETS, ruleset(tenths().replace("starting_index: 1019", "starting_index: 1.0e+300")),
                 422, "accounts.starting_index", id="starting-index-1e300"),
    pytest.param("POST", RULESETS, ruleset(tenths().replace("starting_index: 1019", "starting_index: 1019.001")),
                 422, "accounts.starting_index", id="starting-index-three-places"),
    pytest.param("POST", RULESETS, ruleset(tenths("{table: {field: yuan, values: {100: 1.0e+20}}}")), 422,
                 "rules[0].award.table.values", id="table-value-1e20"),
    pytest.param("POST", RULESETS, ruleset(tenths("{table: {field: yuan, values: {100: 0.3}, else: 0.01}}")), 422,
                 "rules[0].award.table.else", id="table-else-finer-than-decimals"),
    # A fact's per-unit field: beyond its bounds, not finite, not a number.
    *[pytest.param("POST", FACTS, fact(raw, f"bad-{name}"), 422, "fields.yuan", id=f"fact-yuan-{name}")
      for name, raw in [("1e308", "1e308"), ("-1e308", "-1e308"), ("NaN", "NaN"), ("Infinity", "Infinity"),
                        ("-Infinity", "-Infinity"), ("100000.01", "100000.01"), ("negative", "-100"),
                        ("true", "true"), ("2-to-64", str(2**64)), ("NaN-text", '"NaN"'), ("list", "[100]")]],
    pytest.param("POST", "/communities/{c}/facts/batch",
                 {"json": {"facts": [gift(900, 100), {**gift(901, 0), "fields": {"yuan": 1e308}}]}}, 422,
                 "fields.yuan", id="batch-one-huge-fact-stores-none"),
    pytest.param("POST", "/communities/{c}/facts/import",
                 {"content": "id,type,resident,occurred_at,yuan\nq1,gift,r1,2021-03-02T09:00:00+08:00,1e308\n",
                  "headers": {"content-type": "text/csv"}}, 422, "fields.yuan", id="csv-import-yuan-1e308"),
    pytest.param("POST", "/communities/{c}/facts/import",
                 {"content": "id,type,resident,occurred_at,yuan\nq2,gift,r1,2021-03-02T09:00:00+08:00,inf\n",
                  "headers": {"content-type": "text/csv"}}, 422, "fields.yuan", id="csv-import-yuan-inf"),
]


@pytest.mark.parametrize(("method", "path", "request_", "status", "field"), CASES)
def test_a_hostile_amount_is_a_4xx_naming_its_field_and_stores_nothing(client, tenths_ledger, method, path,
                                                                       request_, status, field):
    community, _ = tenths_ledger
    request_ = dict(request_)
    if "{seq}" in request_.get("content", ""):  # each correction its own entry: one already corrected answers 409
        posted = client.post(f"/communities/{community}/facts", json=gift(next(FRESH), 300))
        assert posted.status_code == 201, posted.text
        seq = posted.json()["entries"][0]["seq"]
        request_["content"] = request_["content"].replace("{seq}", str(seq))
    if "content" in request_:
        request_["content"] = request_["content"].encode()
    before = stored(client, community)
    response = client.request(method, path.replace("{c}", community), **request_)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM), response.text
    errors = response.json()["errors"]
    named = [e for e in errors if field in (e.get("path") or e.get("message", ""))]
    assert named, f"no error names {field!r}: {errors}"
    assert stored(client, community) == before


def test_a_per_unit_award_at_its_bound_is_exact_and_one_beyond_is_refused(client):
    """10 points per yuan up to 100,000 yuan: the largest award a standard may give, exactly, and no more."""
    community = publish(client, tenths("{points: 10, per: yuan}", 1))
    largest = client.post(f"/communities/{community}/facts", json=gift(1, 100000))
    assert largest.status_code == 201, largest.text
    [entry] = largest.json()["entries"]
    assert (entry["amount"], entry["index_delta"], entry["points_delta"]) == (1_000_000, 1_000_000, 1_000_000)
    assert type(entry["amount"]) is int
    twice = client.post(f"/communities/{community}/facts", json=gift(2, 99999.9))
    assert twice.status_code == 201 and twice.json()["entries"][0]["amount"] == 999_999
    score = client.get(f"/communities/{community}/residents/r1/score", params={"as_of": "2021-12-31"}).json()
    assert (score["index"], score["points"]) == (1019 + 1_999_999, 1_999_999)
    before = stored(client, community)
    beyond = client.post(f"/communities/{community}/facts", json=gift(3, 100000.1))
    assert beyond.status_code == 422 and beyond.json()["errors"][0]["path"] == "fields.yuan", beyond.text
    assert stored(client, community) == before


def test_the_ledger_csv_keeps_tenths_exact_and_ten_of_them_make_one(client):
    """The CSV export writes each amount's digits (0.1, never 0.1000000000000000055) as UTF-8 text.

    There is no GBK/Excel export option (``ledger.csv`` takes only ``resident``): an unknown
    parameter such as ``encoding=gbk`` changes nothing, and the file stays UTF-8.
    """
    community = publish(client, tenths())
    posted = client.post(f"/communities/{community}/facts/batch", json={"facts": [gift(n, 100) for n in range(10)]})
    assert posted.status_code == 200, posted.text
    response = client.get(f"/communities/{community}/ledger.csv", params={"encoding": "gbk"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text == client.get(f"/communities/{community}/ledger.csv").text
    rows = read_rows(text)
    assert len(rows) == 10
    assert {(r["amount"], r["raw_amount"], r["index_delta"], r["points_delta"]) for r in rows} == {
        ("0.1", "0.1", "0.1", "0.1")}
    assert sum(Decimal(r["amount"]) for r in rows) == Decimal(1)
    assert all("+0.1" in r["explanation"] and "捐款" in r["explanation"] for r in rows)
    scores = {r["resident"]: r for r in read_rows(client.get(f"/communities/{community}/scores.csv").text)}
    assert (scores["r1"]["index"], scores["r1"]["points"]) == ("1020", "1")
    score = client.get(f"/communities/{community}/residents/r1/score").json()
    assert (score["index"], score["points"], score["tier"]) == (1020, 1, "A")


def test_an_appeal_answers_with_the_amounts_its_ledger_entry_keeps(client, tenths_ledger):
    """The entry an appeal writes reads the same in the appeal's answer and in the ledger: amounts as JSON numbers.

    Found (and fixed): POST /appeals answered ``"amount_before": "0.3"`` (text: pydantic's Decimal inside a
    free-form dict) where GET …/ledger answered 0.3; explanations now hold JSON numbers from the start.
    """
    community, _ = tenths_ledger
    posted = client.post(f"/communities/{community}/facts", json=gift(next(FRESH), 300))
    seq = posted.json()["entries"][0]["seq"]
    answer = client.post(f"/communities/{community}/appeals", json={"action": "correct", "entry": seq, "amount": 0.1,
                                                                    "reason": "只算一百元"})
    assert answer.status_code == 201, answer.text
    correction = answer.json()["correction"]
    ledger = client.get(f"/communities/{community}/residents/r1/ledger", params={"newest_first": True}).json()
    assert ledger["entries"][0]["seq"] == correction["seq"]
    assert ledger["entries"][0]["explanation"]["amount_before"] == 0.3
    assert correction["explanation"] == ledger["entries"][0]["explanation"]
