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
from xinzhi.messages import PROBLEMS_ZH, problem_text

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
    pytest.param(TEXT.encode("utf-16"), {}, "是 UTF-16 文字", "is UTF-16 text", id="utf-16-with-bom"),
    pytest.param(TEXT.encode("utf-16-le"), {}, "是 UTF-16 文字", "is UTF-16 text", id="utf-16-without-bom"),
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
    assert said["zh"].json()["detail"] == "请求的内容读不出来，见逐条说明"
    assert client.get(f"/communities/{community}/residents/r1/ledger").json()["entries"] == []


def test_each_fault_json_can_have_is_said_by_a_case():
    said = {refusal(case.values[0])["zh"] for case in CASES}
    for says, _ in JSON_FAULTS.values():
        assert any(PROBLEMS_ZH[says] in sentence for sentence in said), says


def test_a_byte_order_mark_and_the_same_key_in_other_objects_read():
    value = {"facts": [FACT, {**FACT, "id": "b2"}]}
    assert json_value(b"\xef\xbb\xbf" + json.dumps(value).encode()) == value


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=4),
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
