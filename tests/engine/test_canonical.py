"""The quick reading of canonical facts gives exactly what pydantic's models give, and leaves them the rest.

A fact read both ways — through the validator (quick where it can be) and through the
models alone — must come out the same: the same fact with the same value types, key order
and offset, or the same problems. Hostile and odd values are drawn beside canonical ones.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import RULESETS
from tests.generated_facts import TEXT, field_value
from tests.support.standard import CIVIC_V1
from xinzhi.engine import FactError, compile_ruleset, compile_ruleset_file, load_ruleset
from xinzhi.engine.facts import FactValidator, read_fact
from xinzhi.engine.ruleset import FactIn
from xinzhi.simulations.population import DEFAULT_SCENARIO, SCENARIOS, generate_facts, generate_population
from xinzhi.simulations.run import scenario_with

COMPILED = {path.stem: compile_ruleset_file(path) for path in sorted(RULESETS.glob("*.yaml"))}
#: unbounded numbers (an int beyond 2**53, 1e308) and a date field (read by the models only)
COMPILED["open"] = compile_ruleset(load_ruleset(CIVIC_V1.replace("rules:\n", """  - id: open
    title: 开放
    fields:
      x: {type: number}
      n: {type: int}
  - id: dated
    title: 有日期
    fields:
      x: {type: number, required: false}
      day: {type: date}
rules:
""", 1)))


class _Never:
    def read(self, raw):
        return None

    def read_fields(self, given):
        return None


def by_models(compiled) -> FactValidator:
    """A validator that never reads quickly: pydantic's reading, the reference."""
    validator = FactValidator(compiled.ruleset)
    validator.__dict__["_canonical"] = defaultdict(_Never)
    return validator


def outcome(validator, raw):
    try:
        fact = validator.validate(raw)
    except FactError as exc:
        return "refused", [(p.code, p.path, p.message) for p in exc.problems]
    return ("fact", fact.id, fact.type, fact.resident, fact.member, fact.household, fact.occurred_at,
            fact.occurred_at.tzinfo, list(fact.fields.items()), [type(v) for v in fact.fields.values()])


ODD_VALUES = st.one_of(
    st.sampled_from([True, False, None, "3", "1.5", " 2", "nan", "是", "excellent", 2**53 + 1, -0.0, 1e308, [], {},
                     "x" * 200, "x" * 201, "甲" * 200, "甲" * 201, 3.0, -1, 0, 10**400, -(10**400)]),
    st.integers(-10**20, 10**20), st.floats(), TEXT)
MOMENTS = st.one_of(
    st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2040, 1, 1)).flatmap(
        lambda moment: st.sampled_from([moment.isoformat(timespec=spec) for spec in ("minutes", "seconds",
                                                                                      "microseconds")]).flatmap(
            lambda text: st.sampled_from([text, text + "+08:00", text + "Z", text + "-05:30", text + "+14:00"]))),
    st.sampled_from(["2024-02-30T10:00:00", "2024-13-01T10:00", "2024-01-01T24:00:00", "2024-01-01T23:59:60+08:00",
                     "2024-01-01T10:00:00+24:00", "0000-01-01T00:00", "2024-01-01 10:00", " 2024-01-01T10:00:00",
                     "20240101", "2024/1/1 9:30", "2024-01-01T10:00:00.1234567+08:00", "2024-01-01T10:60"]),
    st.integers(), st.none())
NAMES = st.one_of(st.sampled_from(["r1", "H-1", "居民甲"]), st.none(), st.just(""), st.just("x" * 129), st.integers())


@st.composite
def raw_facts(draw):
    """A canonical fact of a repository fact type, then (mostly) one part of it made odd."""
    compiled = COMPILED[draw(st.sampled_from(sorted(COMPILED)))]
    fact_type = draw(st.sampled_from(compiled.ruleset.fact_types))
    fields = {name: draw(field_value(spec)) for name, spec in fact_type.fields.items()}
    raw = {"id": "f1", "type": fact_type.id, "resident": "r1", "household": "H1",
           "occurred_at": draw(MOMENTS), "fields": fields}
    odd = draw(st.sampled_from(["field", "field", "field", "left out", "unknown field", "id", "resident",
                                "household", "type", "extra key", "no fields", "nobody", "none"]))
    if odd == "field" and fields:
        fields[draw(st.sampled_from(sorted(fields)))] = draw(ODD_VALUES)
    elif odd == "left out" and fields:
        del fields[draw(st.sampled_from(sorted(fields)))]
    elif odd == "unknown field":
        fields["unknown_field"] = 1
    elif odd in ("id", "resident", "household"):
        raw[odd] = draw(NAMES)
    elif odd == "type":
        raw["type"] = draw(st.sampled_from(["Volunteering", "x" * 64, "", 3, None, f"{fact_type.id}\n", "活动"]))
    elif odd == "extra key":
        raw["extra"] = 1
    elif odd == "no fields":
        del raw["fields"]
    elif odd == "nobody":
        raw["resident"] = raw.pop("household") and None
    return compiled, raw


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(raw_facts())
def test_a_fact_read_quickly_is_the_fact_the_models_read(drawn):
    compiled, raw = drawn
    assert outcome(compiled.validator, raw) == outcome(by_models(compiled), raw)


def fact_in(read, raw):
    """A fact's keys as ``read`` gives them, the values with their types; or that it refused them.

    (A refusal's words are the model's either way: only canonical facts are read without it.)
    """
    try:
        got = read(raw)
    except (FactError, ValueError):
        return "refused"
    return [(key, value, type(value), getattr(value, "tzinfo", None)) for key, value in got.__dict__.items()]


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(raw_facts())
def test_a_facts_keys_read_quickly_are_what_the_model_reads(drawn):
    """``read_fact`` reads the keys without the model where they are canonical; then the validator reads only fields."""
    compiled, raw = drawn
    assert fact_in(read_fact, raw) == fact_in(FactIn.model_validate, raw)
    assert outcome(compiled.validator, raw) == outcome(by_models(compiled), raw)
    try:
        keys = read_fact(raw)
    except FactError:
        return
    assert outcome(compiled.validator, keys) == outcome(by_models(compiled), keys)


ACTIVITY = {"id": "v1", "type": "volunteering", "resident": "r1", "occurred_at": "2021-03-01T09:00:00+08:00"}


@pytest.mark.parametrize("fields", [
    {"hours": 2, "activity": "x" * 200}, {"hours": 2, "activity": "x" * 201}, {"hours": 2, "activity": "甲" * 201},
    {"hours": 24}, {"hours": 24.000001}, {"hours": 0}, {"hours": -0.0}, {"hours": True}, {"hours": "2"},
    {"hours": 2**53}, {"hours": 2**53 + 1}, {"hours": None}, {"hours": 2, "activity": None}, {}])
def test_boundaries_read_alike(fields):
    compiled = COMPILED["yihe_2021"]
    raw = {**ACTIVITY, "fields": fields}
    assert outcome(compiled.validator, raw) == outcome(by_models(compiled), raw)


@pytest.mark.parametrize("value", [2**53, 2**53 + 1, -(2**63), 10**400, -(10**400), 1e308, float("inf"), float("nan")])
def test_numbers_beyond_a_float_read_alike(value):
    compiled = COMPILED["open"]
    for fields in ({"x": value, "n": 1}, {"x": 1, "n": value}):
        raw = {**ACTIVITY, "type": "open", "fields": fields}
        assert outcome(compiled.validator, raw) == outcome(by_models(compiled), raw)


@pytest.mark.parametrize(("name", "scenario"), [("yihe_2021", DEFAULT_SCENARIO), ("dongshan_2022", DEFAULT_SCENARIO),
                                                 ("xishan_2024", SCENARIOS / "xishan_village.yaml")])
def test_the_synthetic_population_is_read_quickly_and_alike(name, scenario):
    """Every synthetic fact is canonical: the quick reading takes it, and gives what the models give."""
    compiled = COMPILED[name]
    facts = [f for f in generate_facts(generate_population(scenario_with(scenario, residents=60), 3))
             if compiled.validator.knows(f)]
    readers = compiled.validator._canonical
    assert facts and all(readers[f["type"]].read(f) is not None for f in facts)
    reference = by_models(compiled)
    assert [outcome(compiled.validator, f) for f in facts] == [outcome(reference, f) for f in facts]
