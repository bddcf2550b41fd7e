"""The Python matcher gives exactly the awards durable-rules gives.

On every ruleset in rulesets/: the synthetic population's stream, and property-generated
facts drawn from each fact type's declared fields (bounds, enums, optional fields left
out), so that every comparison a rule makes is exercised on both sides of its boundary.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import RULESETS
from tests.simulations.conftest import small_scenario
from xinzhi.engine import compile_ruleset, evaluate, load_ruleset_file
from xinzhi.simulations.matcher import PythonMatcher
from xinzhi.simulations.population import generate_facts, generate_population

FILES = sorted(RULESETS.glob("*.yaml"))
COMPILED = {path.name: compile_ruleset(load_ruleset_file(path)) for path in FILES}


def both(compiled, facts):
    expected = evaluate(compiled, facts).awards
    matcher = PythonMatcher()
    matcher.register(compiled)
    got = evaluate(compiled, facts, matcher=matcher).awards
    return expected, got


def test_every_repository_ruleset_is_covered():
    assert {"yihe_2021.yaml", "dongshan_2022.yaml"} <= set(COMPILED)


STREAM = list(generate_facts(generate_population(small_scenario(residents=200, months=4), 77)))
#: The rulesets the synthetic population speaks to (Yihe's fact types): a village's own types it never makes.
SPOKEN = sorted(name for name, compiled in COMPILED.items()
                if {f["type"] for f in STREAM} & {t.id for t in compiled.ruleset.fact_types})


def test_the_synthetic_stream_speaks_to_most_repository_rulesets():
    assert {"yihe_2021.yaml", "dongshan_2022.yaml", "qingxi_2023.yaml"} <= set(SPOKEN)


@pytest.mark.parametrize("name", SPOKEN)
def test_identical_awards_on_the_synthetic_stream(name):
    facts = STREAM
    compiled = COMPILED[name]
    known = {t.id for t in compiled.ruleset.fact_types}
    expected, got = both(compiled, [f for f in facts if f["type"] in known])
    assert len(expected) > 500
    assert got == expected


TEXT = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x9FFF, exclude_categories=("Cs",)),
               max_size=6)


def field_value(spec):
    lo, hi = spec.min, spec.max
    if spec.type == "int":
        return st.integers(min_value=int(lo) if lo is not None else -50, max_value=int(hi) if hi is not None else 50)
    if spec.type == "number":
        return st.one_of(
            st.floats(min_value=lo if lo is not None else -50.0, max_value=hi if hi is not None else 50.0,
                      allow_nan=False, allow_infinity=False),
            st.integers(min_value=int(lo) if lo is not None else -50,
                        max_value=int(hi) if hi is not None else 50).map(float))
    if spec.type == "bool":
        return st.booleans()
    if spec.type == "enum":
        return st.sampled_from(list(spec.values))
    if spec.type == "date":
        return st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2023, 12, 31)).map(dt.date.isoformat)
    if spec.max_length is not None:
        return TEXT.filter(lambda s: len(s) <= spec.max_length)
    return TEXT


@st.composite
def facts_for(draw, compiled):
    types = compiled.ruleset.fact_types
    out = []
    for n in range(draw(st.integers(min_value=1, max_value=25))):
        fact_type = draw(st.sampled_from(types))
        fields = {}
        for name, spec in fact_type.fields.items():
            if spec.required or draw(st.booleans()):
                fields[name] = draw(field_value(spec))
        moment = draw(st.datetimes(min_value=dt.datetime(2021, 1, 1), max_value=dt.datetime(2022, 12, 31)))
        resident = draw(st.sampled_from(["a", "b", "c"]))
        named = {"household": f"h-{resident}"} if fact_type.names == "household" else \
            {"resident": resident, "household": f"h-{resident}"}  # a household's own fact names no member
        out.append({"id": f"p{n}", "type": fact_type.id, **named, "occurred_at": moment.isoformat(), "fields": fields})
    return out


@pytest.mark.parametrize("name", sorted(COMPILED))
def test_identical_awards_on_property_generated_facts(name):
    compiled = COMPILED[name]

    @settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(facts=facts_for(compiled))
    def check(facts):
        expected, got = both(compiled, facts)
        assert got == expected

    check()
