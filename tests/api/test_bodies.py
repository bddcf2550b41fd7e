"""A body that does not read as JSON is refused at its place, in the reader's language, and nothing is stored.

Found by attack: a GBK or UTF-16 body, a body nested 5,000 deep and a syntax error were all
said in English only (a syntax error placed at ``[7]``, as if an item of a list), the deep one
as "send UTF-8"; a key written twice in a fact (``"count": 2, "count": 3``) silently scored 3.
"""

from __future__ import annotations

import importlib
import json
import pkgutil

import pytest
from fastapi import APIRouter
from hypothesis import given
from hypothesis import strategies as st

import xinzhi.api
from tests.api.conftest import make_community
from xinzhi.api.bodies import JSON_FAULTS, StrictJsonRoute, json_value
from xinzhi.errors import ServiceError
from xinzhi.messages import PROBLEMS_ZH, SENTENCES, problem_text

ZH = {"content-type": "application/json", "accept-language": "zh"}
EN = {"content-type": "application/json", "accept-language": "en"}
FACT = {"id": "b1", "type": "cleanup", "resident": "r1", "occurred_at": "2021-05-01T10:00:00+08:00",
        "fields": {"count": 2}}
TEXT = json.dumps({"facts": [FACT]}, ensure_ascii=False)

CASES = [  # body, where (path or line/column), what a Chinese reader reads, what an English one does
    pytest.param(TEXT.replace('"count": 2', '"count": 2, "count": 3').encode(), {"path": "facts[0].fields.count"},
                 "「count」在同一处写了两次，后一个会悄悄覆盖前一个", "'count' is written twice in one object",
                 id="key-twice"),
    pytest.param(TEXT.replace('"id": "b1"', '"id": "b1", "id": "b2"').encode(), {"path": "facts[0].id"},
                 "「id」在同一处写了两次", "'id' is written twice", id="id-twice"),
    pytest.param(b'{"facts": [], "facts": []}', {"path": "facts"}, "「facts」在同一处写了两次",
                 "'facts' is written twice", id="key-twice-at-the-top"),
    pytest.param(json.dumps({"facts": [{**FACT, "fields": {"place": "东门"}}]}, ensure_ascii=False).encode("gbk"),
                 {}, "第 127 个字节读不出来", "byte 127 does not read", id="gbk-where"),
    pytest.param(TEXT.encode("utf-16"), {}, "是 UTF-16", "is UTF-16", id="utf-16-with-bom"),
    pytest.param(TEXT.encode("utf-16-le"), {}, "是 UTF-16", "is UTF-16", id="utf-16-without-bom"),
    pytest.param(b"[" * 5000 + b"]" * 5000, {}, "嵌套的层次太多", "nests lists and objects too deeply", id="deep"),
    pytest.param(b'{"facts": [1,]}', {"line": 1, "column": 14}, "第 1 行第 14 个字符处缺少值",
                 "at line 1, column 14: a value is missing", id="trailing-comma"),
    pytest.param(b'{"facts": [1 2]}', {"line": 1, "column": 14}, "缺少逗号", "a comma is missing", id="no-comma"),
    pytest.param(b'{"facts" []}', {"line": 1, "column": 10}, "缺少冒号", "a colon is missing", id="no-colon"),
    pytest.param(b"{facts: []}", {"line": 1, "column": 2}, "键名要用双引号括起来", "a key must be in double quotes",
                 id="key-unquoted"),
    pytest.param(b'{\n"facts": ["abc]}', {"line": 2, "column": 11}, "有引号没有配对", "a quote is never closed",
                 id="quote-open"),
    pytest.param(b'{"facts": ["a\tb"]}', {"line": 1, "column": 14}, "换行或制表符要写成", "a line break or tab",
                 id="tab-in-quotes"),
    pytest.param(b'{"facts": ["a\\qb"]}', {"line": 1, "column": 14}, "反斜杠", "a backslash", id="bad-escape"),
    pytest.param(b'{"facts": []} []', {"line": 1, "column": 15}, "后面还有多余的内容", "the JSON has ended",
                 id="extra"),
    pytest.param("\ufeff\ufeff{}".encode(), {"line": 1, "column": 1}, "多了一个字节顺序标记",
                 "a second byte-order mark", id="two-byte-order-marks"),
    pytest.param(b'{"facts": [{"fields": {"a": 1, "a": 2}, "fields": 3}]}', {"path": "facts[0].fields"},
                 "「fields」在同一处写了两次", "'fields' is written twice",
                 id="key-twice-holding-one-dropped-by-it"),  # was a 422 listing no problem
    pytest.param(b'{"facts": [' + b"1" * 5000 + b"]}", {}, "几千位的数字", "thousands of digits", id="5000-digits"),
    pytest.param(TEXT.encode("utf-32"), {}, "UTF-16（或 UTF-32）", "UTF-16 (or UTF-32)", id="utf-32"),
    pytest.param(TEXT.replace('"count": 2', '"count": 2, "place": "\\\\ud800\\udc00"').encode(),
                 {"path": "facts[0].fields.place"}, "不能用的字符 U+DC00", "may not hold U+DC00",
                 id="a-low-surrogate-after-an-escaped-backslash"),  # was a 500: the scan took \\ud800 for an escape
    pytest.param(TEXT.replace('"b1"', '"b1\\u0000"').encode(), {"path": "facts[0].id"}, "不能用的字符 U+0000",
                 "may not hold U+0000", id="nul-in-an-id"),
    pytest.param(b'{"facts": [{"\\ud83d": 1}]}', {"path": "facts[0]"}, "不能用的字符 U+D83D", "may not hold U+D83D",
                 id="a-lone-surrogate-in-a-key"),
]


def refusal(body: bytes) -> dict:
    try:
        json_value(body)
    except ServiceError as exc:
        [problem] = exc.problems
        return {"zh": problem_text(problem, "zh"), "en": problem_text(problem, "en"),
                **problem.model_dump(exclude_none=True)}
    raise AssertionError("read without a refusal")


@pytest.mark.parametrize(("body", "where", "zh", "en"), CASES)
def test_a_body_that_does_not_read_is_refused_at_its_place_in_either_language(client, body, where, zh, en):
    community = make_community(client)
    said = {language: client.post(f"/communities/{community}/facts/batch", content=body, headers=headers)
            for language, headers in (("zh", ZH), ("en", EN))}
    for language, answer in said.items():
        assert answer.status_code == 422, answer.text
        assert answer.json()["code"] == "request_invalid"
        [problem] = answer.json()["errors"]
        assert {key: problem.get(key) for key in where} == where, problem
        assert (zh if language == "zh" else en) in problem["message"], problem
    assert said["zh"].json()["detail"] in (SENTENCES["body_unreadable"][0], SENTENCES["unstorable_text"][0])
    assert client.get(f"/communities/{community}/residents/r1/ledger").json()["entries"] == []


def test_each_fault_json_can_have_is_said_by_a_case():
    said = {refusal(case.values[0])["zh"] for case in CASES}
    for says, _ in JSON_FAULTS.values():
        assert any(PROBLEMS_ZH[says] in sentence for sentence in said), says


def test_a_byte_order_mark_and_the_same_key_in_other_objects_read():
    value = {"facts": [FACT, {**FACT, "id": "b2"}]}
    assert json_value(b"\xef\xbb\xbf" + json.dumps(value).encode()) == value


STORABLE = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))


@given(st.recursive(st.none() | st.booleans() | st.integers() | STORABLE,
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(STORABLE, inner, max_size=4),
                    max_leaves=20))
def test_any_json_reads_as_python_reads_it(value):
    assert json_value(json.dumps(value, ensure_ascii=False).encode()) == value


def test_a_ruleset_in_gbk_is_refused_where_its_bytes_stop_reading(client):
    community = make_community(client)
    answer = client.post(f"/communities/{community}/rulesets", content="id: x\ntitle: 测试\n".encode("gbk"),
                         headers={"content-type": "application/yaml", "accept-language": "zh"})
    assert answer.status_code == 422
    said = "请求的内容不是 UTF-8 文字（第 14 个字节读不出来）：请用 UTF-8 编码发送"
    assert answer.json()["errors"][0]["message"] == said


def test_every_router_reads_its_bodies_strictly(client):
    routers = [value for module in pkgutil.walk_packages(xinzhi.api.__path__, "xinzhi.api.")
               for value in vars(importlib.import_module(module.name)).values() if isinstance(value, APIRouter)]
    assert len(routers) >= 16
    assert [router.prefix for router in routers if router.route_class is not StrictJsonRoute] == []
    assert client.app.router.route_class is StrictJsonRoute


@given(st.lists(st.sampled_from(["\\", "\\u", "u", "0000", "d8", "D9", "dc", "DF", "d7", "00", "ab", "e0", "4e00",
                                 "x", "中"]), max_size=12).map("".join))
def test_text_is_refused_exactly_when_it_holds_nul_or_half_a_character(text):
    """Escapes read as JSON reads them: a pair of backslashes is one backslash, never the start of an escape."""
    body = b'{"facts": ["' + text.encode() + b'"]}'
    try:
        decoded = json.loads(body)
    except ValueError:
        return
    holds = any(c == "\x00" or "\ud800" <= c <= "\udfff" for c in decoded["facts"][0])
    try:
        json_value(body)
    except ServiceError as exc:
        assert holds and exc.problems[0].says == "body.unstorable", exc.problems
    else:
        assert not holds


def test_two_content_types_cannot_carry_a_nul_past_the_reader(client):
    """Found by attack: BodyLimit read the last Content-Type (text/plain, not checked), FastAPI the first (JSON)."""
    community = make_community(client)
    fact = {**FACT, "id": "nul-\u0000", "type": "activity", "fields": {"name": "a"}}
    answer = client.post(f"/communities/{community}/facts", content=json.dumps(fact).encode(),
                         headers=[("content-type", "application/json"), ("content-type", "text/plain")])
    assert answer.status_code == 422, answer.text
    assert client.get(f"/communities/{community}/residents/r1/ledger").json()["entries"] == []


def test_a_refusal_echoing_a_huge_value_stays_small(client):
    """Found by attack: a 3 MB id, echoed in each message, made a 24 MB answer."""
    community = make_community(client)
    fact = {**FACT, "id": "x" * 200_000}
    answer = client.post(f"/communities/{community}/facts", json=fact, headers={"accept-language": "zh"})
    assert answer.status_code == 422
    assert len(answer.content) < 20_000, len(answer.content)
    assert all(len(value) <= 1_001 for problem in answer.json()["errors"] for value in problem.values()
               if isinstance(value, str))


@pytest.mark.parametrize(("media", "said"), [("text/plain", "现在标的是 text/plain"), (None, "现在标的是 未标明")])
def test_json_sent_as_something_else_is_told_to_say_it_is_json(client, media, said):
    """It was answered "the content should be a list", though it was one: FastAPI had not read it as JSON."""
    community = make_community(client)
    headers = {"accept-language": "zh", **({"content-type": media} if media else {})}
    answer = client.post(f"/communities/{community}/residents", headers=headers,
                         content=b'[{"id": "q1", "name": "q", "zone": "north"}]')
    assert (answer.status_code, answer.json()["code"]) == (415, "unsupported_media_type")
    assert said in answer.json()["detail"] and "application/json" in answer.json()["detail"]


def test_a_body_too_large_is_refused_in_the_readers_language(client):
    community = make_community(client)
    answer = client.post(f"/communities/{community}/facts/batch", content=b" " * 300_000,
                         headers={"content-type": "application/json", "accept-language": "zh"})
    assert answer.status_code == 413 and answer.json()["detail"] == "请求的内容最多 262144 字节：请分批发送"


@pytest.mark.parametrize("query", ["status=pending&status=decided", "community=a&community=b"])
def test_a_query_parameter_given_twice_is_refused_naming_it(client, community, query):
    """Found by attack: FastAPI read the last of a repeated parameter (``/audit?community=a&community=b``)."""
    name = query.split("=")[0]
    path = f"/communities/{community}/reviews" if name == "status" else "/audit"
    answers = {language: client.get(f"{path}?{query}", headers={"Accept-Language": language}).json()
               for language in ("zh", "en")}
    assert [(p["path"], p["message"]) for p in answers["zh"]["errors"]] == [
        (name, f"查询参数「{name}」写了不止一次：每个只写一次")], answers["zh"]
    assert answers["en"]["detail"] == f"the query parameter '{name}' is given more than once; give it once"
    assert client.get(f"{path}?{query.split('&')[0]}").status_code == 200


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/objections", {"notice": True, "reason": "有疑问"}, "notice"),  # found by attack: read as notice 1
    ("/shop/redemptions", {"id": "v1", "resident": "r1", "item": "soap", "quantity": True}, "quantity"),
    ("/shop/redemptions", {"id": "v1", "resident": "r1", "item": "soap", "quantity": "2"}, "quantity"),
    ("/shop/redemptions", {"id": "v1", "resident": "r1", "item": "soap", "quantity": 2.0}, "quantity"),
    ("/appeals", {"action": "reverse", "entry": True, "reason": "误记"}, "entry"),
    ("/simulations", {"baseline": "civic@1", "candidate": "civic@1", "source": {"residents": True}},
     "source.residents"),
])
def test_a_whole_number_is_a_json_integer_never_true_or_text(client, path, body, field):
    community = make_community(client)
    if path == "/shop/redemptions":
        assert client.put(f"/communities/{community}/shop/items", json=[
            {"id": "soap", "kind": "goods", "title": "洗衣皂", "price": 1, "stock": 5}]).status_code == 200
    refused = client.post(f"/communities/{community}{path}", json=body)
    assert refused.status_code == 422, refused.text
    assert [e["path"] for e in refused.json()["errors"]] == [field], refused.json()
