"""The compiler: the durable-rules definition of each ruleset, pinned by a golden file.

Regenerate the golden file after an intended change with
``XINZHI_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/engine/test_compiler.py``
and review the diff like any other change to the standard.
"""

from __future__ import annotations

import json
import os

import pytest

from tests.conftest import ROOT
from xinzhi.engine import compile_ruleset, evaluate, load_ruleset
from xinzhi.engine.patterns import STATE_GUARD

GOLDEN = ROOT / "tests" / "golden" / "yihe_2021.compiled.json"


def render(definition: dict) -> str:
    return json.dumps(definition, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def test_yihe_definition_matches_golden_file(yihe):
    text = render(yihe.definition)
    if os.environ.get("XINZHI_UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(text, encoding="utf-8")
    assert GOLDEN.exists(), f"missing {GOLDEN}; run with XINZHI_UPDATE_GOLDEN=1 to create it"
    assert text == GOLDEN.read_text(encoding="utf-8"), \
        "compiled yihe_2021 changed; if intended, rerun with XINZHI_UPDATE_GOLDEN=1 and review the diff"


def test_every_compiled_rule_is_guarded_and_typed(yihe):
    """One pattern per rule, and one per earlier fact a sequence looks for (``<rule>/after``), each of one fact."""
    marks = [(f"{r.id}/after", r.after) for r in yihe.ruleset.rules if r.after]
    assert marks, "the reference ruleset has a sequence"
    assert list(yihe.definition) == [name for r in yihe.ruleset.rules if r.enabled
                                     for name in (r.id, *([f"{r.id}/after"] if r.after else []))]
    for name, (fact, when) in [(r.id, (r.fact, r.when)) for r in yihe.ruleset.rules] + \
            [(m, (after.fact, after.when)) for m, after in marks]:
        compiled = yihe.definition[name]
        [pattern] = compiled["all"]
        assert list(compiled) == ["all"] and list(pattern) == ["m"], name
        parts = pattern["m"]["$and"]
        assert parts[0] == {"type": fact}, name
        assert parts[1] == STATE_GUARD == {"$nex": {"$s": 1}}, name
        assert len(parts) == (2 if when is None else 3), name


def test_golden_file_guards_every_rule():
    """The committed file itself, read as data: the guard can not silently vanish from it."""
    definition = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert len(definition) >= 14
    for rule_id, compiled in definition.items():
        parts = compiled["all"][0]["m"]["$and"]
        assert {"$nex": {"$s": 1}} in parts, rule_id
        assert any(list(p) == ["type"] for p in parts), rule_id


def test_evaluating_does_not_mutate_the_definition(yihe):
    before = render(yihe.definition)
    evaluate(yihe, [{"id": "m1", "type": "community_activity", "resident": "r",
                     "occurred_at": "2021-05-01T10:00:00+08:00", "fields": {"activity": "a"}}])
    assert render(yihe.definition) == before
    assert all("run" not in rule for rule in yihe.definition.values())


def test_limits_are_ordered_rule_first_then_shorter_periods(yihe):
    def refs(rule_id):
        return [str(limit) for limit in yihe.rules[rule_id].limits]

    assert refs("volunteer_hours") == ["rule:volunteer_hours/day", "rule:volunteer_hours/month"]
    assert refs("garbage_sorting_check") == ["rule:garbage_sorting_check/month", "category:environment/month"]
    assert refs("garbage_sorting_failed") == []


HEAD = """\
id: comp
version: 1
title: 编译测试
community: 测试社区
effective_from: 2021-01-01
accounts: {starting_index: 0}
tiers: [{id: A, title: 全部}]
categories: [{id: misc, title: 其他}]
fact_types:
  - id: act
    title: 活动
    fields:
      n: {type: int}
      kind: {type: enum, values: [a, b, c]}
      day: {type: date, required: false}
      extra: {type: int, required: false}
rules:
  - id: r
    title: 规则
    category: misc
    fact: act
    award: {points: 1}
"""

COMPILE_CASES = [
    pytest.param("{kind: a}", {"kind": "a"}, id="eq"),
    pytest.param("{kind: {is_not: a}}", {"$neq": {"kind": "a"}}, id="is_not"),
    pytest.param("{n: {above: 1}}", {"$gt": {"n": 1}}, id="above"),
    pytest.param("{n: {at_least: 1}}", {"$gte": {"n": 1}}, id="at_least"),
    pytest.param("{n: {below: 1}}", {"$lt": {"n": 1}}, id="below"),
    pytest.param("{n: {at_most: 1}}", {"$lte": {"n": 1}}, id="at_most"),
    pytest.param("{n: {at_least: 1, below: 5}}", {"$and": [{"$gte": {"n": 1}}, {"$lt": {"n": 5}}]}, id="range"),
    pytest.param("{kind: {in: [a, b]}}", {"$or": [{"kind": "a"}, {"kind": "b"}]}, id="in"),
    pytest.param("{kind: {in: [a]}}", {"kind": "a"}, id="in-single"),
    pytest.param("{kind: {not_in: [a, b]}}", {"$and": [{"$neq": {"kind": "a"}}, {"$neq": {"kind": "b"}}]},
                 id="not_in"),
    pytest.param("{extra: {present: true}}", {"$ex": {"extra": 1}}, id="present"),
    pytest.param("{n: 1, extra: {present: false}}", {"$and": [{"n": 1}, {"$nex": {"extra": 1}}]}, id="absent"),
    pytest.param("{day: {at_least: 2021-05-01}}", {"$gte": {"day": 20210501}}, id="date-as-integer"),
    pytest.param("{any: [{kind: a}, {n: 2}]}", {"$or": [{"kind": "a"}, {"n": 2}]}, id="any"),
    pytest.param("{all: [{kind: a}, {all: [{n: 2}]}]}", {"$and": [{"kind": "a"}, {"n": 2}]}, id="nested-all-flattened"),
    pytest.param("{not: {any: [{kind: a}, {n: 2}]}}", {"$and": [{"$neq": {"kind": "a"}}, {"$neq": {"n": 2}}]},
                 id="not-any"),
    pytest.param("{not: {n: {at_least: 3}}}", {"$lt": {"n": 3}}, id="not-required-field"),
    pytest.param("{n: 1, not: {extra: {at_least: 3}}}",
                 {"$and": [{"n": 1}, {"$or": [{"$lt": {"extra": 3}}, {"$nex": {"extra": 1}}]}]},
                 id="not-optional-field-also-when-missing"),
]


@pytest.mark.parametrize(("when", "durable"), COMPILE_CASES)
def test_condition_compiles_to(when, durable):
    text = HEAD.replace("    award: {points: 1}\n", f"    when: {when}\n    award: {{points: 1}}\n")
    compiled = compile_ruleset(load_ruleset(text))
    assert compiled.definition == {"r": {"all": [{"m": {"$and": [{"type": "act"}, STATE_GUARD, durable]}}]}}


def test_name_is_stable_for_the_same_definition_and_differs_otherwise():
    first = compile_ruleset(load_ruleset(HEAD))
    again = compile_ruleset(load_ruleset(HEAD))
    changed = compile_ruleset(load_ruleset(HEAD.replace("fact: act\n", "fact: act\n    when: {kind: b}\n")))
    assert first.name == again.name and first.name.startswith("comp@1#")
    assert changed.name != first.name and changed.ref == first.ref == "comp@1"


def test_disabled_rule_is_left_out():
    compiled = compile_ruleset(load_ruleset(HEAD + "    enabled: false\n"))
    assert compiled.definition == {} and compiled.rules == {}
    fact = {"id": "x", "type": "act", "resident": "r", "occurred_at": "2021-05-01T10:00:00+08:00",
            "fields": {"n": 1, "kind": "a"}}
    assert evaluate(compiled, [fact]).awards == []
