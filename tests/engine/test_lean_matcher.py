"""The engine's lean matcher (durable-rules' C core driven directly) fires exactly what the stock host fires.

The C core's functions are not a documented API, so equality is proven here rather than
assumed: on every ruleset in rulesets/, the synthetic population's stream and generated
facts give the same rule ids in the same order through both.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import RULESETS
from tests.engine.stock_host import StockHost
from tests.generated_facts import facts_for
from tests.simulations.conftest import small_scenario
from xinzhi.engine import compile_ruleset, load_ruleset, load_ruleset_file
from xinzhi.engine._matcher import MATCHER, Matcher, _encode, _has_bare_exponent
from xinzhi.engine.evaluator import to_message
from xinzhi.simulations.population import generate_facts, generate_population

COMPILED = {path.name: compile_ruleset(load_ruleset_file(path)) for path in sorted(RULESETS.glob("*.yaml"))}
STOCK = StockHost()
STREAM = list(generate_facts(generate_population(small_scenario(residents=150, months=3), 5)))


def matches(compiled, facts: list[dict]) -> list[tuple[list[str], list[str]]]:
    """For each fact the ruleset knows: (lean matches, stock matches)."""
    out = []
    for raw in facts:
        if not compiled.validator.knows(raw):
            continue
        message = to_message(compiled.validator.validate(raw))
        out.append((MATCHER.match(compiled.name, compiled.definition, dict(message)),
                    STOCK.match(compiled.name, compiled.definition, dict(message))))
    return out


@pytest.mark.parametrize("name", sorted(COMPILED))
def test_same_rules_in_the_same_order_on_the_synthetic_stream(name):
    pairs = matches(COMPILED[name], STREAM)
    assert all(lean == stock for lean, stock in pairs), [p for p in pairs if p[0] != p[1]][:3]


def test_the_stream_fires_many_rules_and_several_per_fact_somewhere():
    pairs = [pair for compiled in COMPILED.values() for pair in matches(compiled, STREAM)]
    assert sum(len(lean) for lean, _ in pairs) > 1000
    assert any(len(lean) > 1 for lean, _ in pairs)  # an order to get right


@pytest.mark.parametrize("name", sorted(COMPILED))
def test_same_rules_on_generated_facts(name):
    compiled = COMPILED[name]

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(facts=facts_for(compiled))
    def check(facts):
        for lean, stock in matches(compiled, facts):
            assert lean == stock

    check()


FLOATS = """
id: floats
title: 小数
community: 测试社区
version: 1
effective_from: 2021-01-01
accounts: {starting_index: 100}
tiers: [{id: A, title: 全部}]
categories: [{id: c, title: 类}]
fact_types:
  - {id: act, title: 活动, fields: {hours: {type: number, min: 0, max: 100000000000000000}, name: {type: string}}}
rules:
  - {id: tiny, title: 极少, category: c, fact: act, when: {hours: {below: 0.0001}}, award: {points: 1}}
  - {id: huge, title: 极多, category: c, fact: act, when: {hours: {at_least: 10000000000000000}}, award: {points: 2}}
  - {id: named, title: 有名, category: c, fact: act, when: {name: 张三}, award: {points: 3}}
"""


@pytest.mark.parametrize(("fields", "fired"), [
    ({"hours": 0.00001, "name": "李四"}, ["tiny"]),  # Python writes 1e-05, which the core's parser refuses
    ({"hours": 2e16, "name": "张三"}, ["huge", "named"]),
    ({"hours": 5.0, "name": "张三\"\\引号"}, []),
])
def test_floats_and_chinese_text_reach_the_core_as_it_can_read_them(fields, fired):
    compiled = compile_ruleset(load_ruleset(FLOATS, name="floats.yaml"))
    assert MATCHER.match(compiled.name, compiled.definition, {"type": "act", **fields}) == fired


def test_no_state_outlives_a_match_and_each_definition_is_registered_once():
    matcher, compiled = Matcher(remembered=0), COMPILED["yihe_2021.yaml"]  # every match asks the core
    facts = [f for f in STREAM if compiled.validator.knows(f)][:300]
    first = [matcher.match(compiled.name, compiled.definition, to_message(compiled.validator.validate(f)))
             for f in facts]
    again = [matcher.match(compiled.name, compiled.definition, to_message(compiled.validator.validate(f)))
             for f in facts]
    assert first == again and any(first)  # nothing asserted earlier lingers to change a later match
    assert matcher.registered == 1


@pytest.mark.parametrize("remembered", [1, 7, 4096])
def test_remembered_answers_are_the_cores_whatever_the_bound_and_the_ruleset(remembered):
    asking, remembering = Matcher(remembered=0), Matcher(remembered=remembered)
    messages = [(compiled, to_message(compiled.validator.validate(f))) for compiled in COMPILED.values()
                for f in STREAM[:400] if compiled.validator.knows(f)]
    for compiled, message in messages + messages:  # the second time round, from what is remembered (or not)
        assert remembering.match(compiled.name, compiled.definition, message) == \
            asking.match(compiled.name, compiled.definition, message)
    assert len(remembering._answers) <= remembered


def test_one_and_one_point_zero_and_true_are_three_messages_to_remember():
    compiled = compile_ruleset(load_ruleset(FLOATS.replace("{below: 0.0001}", "{at_least: 1}").replace(
        "{type: number, min: 0, max: 100000000000000000}", "{type: number}"), name="floats.yaml"))
    matcher, asking, values = Matcher(), Matcher(remembered=0), (1, 1.0, True, "1", 0.5, 1, True, "1")
    assert [matcher.match(compiled.name, compiled.definition, {"type": "act", "hours": hours}) for hours in values] \
        == [asking.match(compiled.name, compiled.definition, {"type": "act", "hours": hours}) for hours in values]
    assert len(matcher._answers) == 5  # 1 == 1.0 == True in Python: a dict of values would have taken them for one
    assert matcher.match(compiled.name, compiled.definition, {"type": "act", "hours": 1}) == ["tiny"]


@given(st.floats() | st.sampled_from([1e-4, 9.999999999999999e-05, 1e16, 9999999999999998.0, -1e16, -1e-4, 5e-324]))
def test_a_bare_exponent_is_found_by_comparing_exactly_where_repr_prints_one(value):
    assert _has_bare_exponent({"x": value}) == ("e" in repr(value))


@given(st.dictionaries(st.text(max_size=8), st.floats(allow_nan=False, allow_infinity=False) | st.text() |
                       st.integers(min_value=-2 ** 63, max_value=2 ** 200) | st.booleans() | st.none(), max_size=6))
def test_a_message_is_written_as_json_writes_it_wherever_it_has_no_bare_exponent(message):
    try:
        expected = json.dumps(message, ensure_ascii=False, separators=(",", ":"))
        expected.encode()
    except UnicodeEncodeError:  # a lone surrogate: no JSON the core could read either way
        return
    if not _has_bare_exponent(message):
        assert _encode(message) == expected
