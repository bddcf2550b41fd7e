"""The Python matcher gives exactly the awards durable-rules gives.

On every ruleset in rulesets/: the synthetic population's stream, and property-generated
facts drawn from each fact type's declared fields (bounds, enums, optional fields left
out), so that every comparison a rule makes is exercised on both sides of its boundary.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from tests.conftest import RULESETS
from tests.generated_facts import facts_for
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


@pytest.mark.parametrize("name", sorted(COMPILED))
def test_identical_awards_on_property_generated_facts(name):
    compiled = COMPILED[name]

    @settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(facts=facts_for(compiled))
    def check(facts):
        expected, got = both(compiled, facts)
        assert got == expected

    check()
