"""The synthetic population: seeded, reproducible, shaped like Yihe, valid facts."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from tests.simulations.conftest import small_scenario
from xinzhi.engine import validate_facts
from xinzhi.simulations.population import (
    DEFAULT_SCENARIO,
    Scenario,
    case_facts,
    facts_for,
    generate_facts,
    generate_population,
    load_scenario,
)


def test_default_scenario_is_documented_and_loads():
    text = DEFAULT_SCENARIO.read_text(encoding="utf-8")
    assert "ILLUSTRATIVE" in text and "北区" in text and "南区" in text
    scenario = load_scenario(DEFAULT_SCENARIO)
    assert {z.id for z in scenario.zones} == {"north", "south"}
    assert {r.id for r in scenario.roles} == {"party_member", "alley_steward", "grid_worker", "council_member",
                                              "resident_representative"}


def test_population_has_yihe_shape():
    scenario = small_scenario(residents=2000, months=1)
    people = generate_population(scenario, 5).residents
    assert len(people) == 2000
    zones = Counter(r.zone for r in people)
    assert zones == {"north": 900, "south": 1100}
    south = [r for r in people if r.zone == "south"]
    north = [r for r in people if r.zone == "north"]
    assert 0.72 < sum(r.origin == "elsewhere" for r in south) / len(south) < 0.88
    assert sum(r.origin == "elsewhere" for r in north) / len(north) < 0.2
    roles = Counter(x for r in people for x in r.roles)
    assert set(roles) == {"party_member", "alley_steward", "grid_worker", "council_member", "resident_representative"}
    households = Counter(r.household for r in people)
    assert 2.0 < len(people) / len(households) < 3.5
    assert all(sum(r.head for r in people if r.household == h) == 1 for h in list(households)[:50])


def test_same_seed_same_facts_and_other_seed_other_facts():
    scenario = small_scenario(residents=200, months=2)
    first = list(generate_facts(generate_population(scenario, 11)))
    again = list(generate_facts(generate_population(scenario, 11)))
    other = list(generate_facts(generate_population(scenario, 12)))
    assert first == again
    assert first != other
    assert len({f["id"] for f in first}) == len(first)


def test_a_residents_facts_do_not_depend_on_who_else_is_generated():
    population = generate_population(small_scenario(residents=200, months=2), 3)
    ids = [r.id for r in population.residents]
    whole = facts_for(population, ids)
    part = facts_for(population, ids[50:60], case_facts(population.census))
    assert part == {rid: whole[rid] for rid in ids[50:60]}


def test_stream_covers_the_fact_types_and_validates_against_yihe(yihe):
    population = generate_population(small_scenario(residents=600, months=6), 2021)
    facts = list(generate_facts(population))
    kinds = Counter(f["type"] for f in facts)
    for kind in ("community_activity", "garbage_check", "volunteering", "competition", "owners_meeting",
                 "small_ad_cleanup", "alley_steward_duty", "mediation", "violation"):
        assert kinds[kind] > 0, kind
    validate_facts(yihe, facts)  # raises FactError listing every problem
    satisfaction = Counter(f["fields"]["satisfaction"] for f in facts if f["type"] == "mediation")
    assert set(satisfaction) <= {1, 2, 3, 4, 5} and satisfaction[5] > satisfaction[1]
    stewards = {r.id for r in population.residents if "alley_steward" in r.roles}
    assert {f["resident"] for f in facts if f["type"] == "alley_steward_duty"} <= \
        stewards | {r.id for r in population.residents if "grid_worker" in r.roles}


def test_scenario_problems_are_reported():
    data = load_scenario(DEFAULT_SCENARIO).model_dump(by_alias=True, exclude_none=True)
    data["zones"][0]["share"] = 0.9
    with pytest.raises(ValidationError, match="add up to 1"):
        Scenario.model_validate(data)


@given(st.sets(st.integers(0, 59), max_size=40), st.integers(0, 40), st.sets(st.integers(0, 59), max_size=4),
       st.integers(0, 2**32))
def test_a_mediator_is_drawn_as_from_the_pool_without_the_parties(local_places, other_count, parties, seed):
    """The same draw as building "mediators of the zone but the parties, else of any zone" and picking one."""
    from array import array

    from xinzhi.simulations.population import Roll, _mediator, _Pool

    def roll(zone: str, prefix: str, size: int, mediators: list[int]) -> Roll:
        return Roll(zone=zone, prefix=prefix, width=4, starts=array("q", range(size)), size=size,
                    mediators=array("q", mediators))  # households of one
    north = roll("north", "N", 60, sorted(local_places))
    south = roll("south", "S", 40, list(range(other_count)))
    everyone = [north.resident(p) for p in north.mediators] + [south.resident(p) for p in south.mediators]
    away = {north.resident(p) for p in parties}
    pool = [m for m in everyone[:len(north.mediators)] if m not in away] or [m for m in everyone if m not in away]
    expected_rng, rng = random.Random(seed), random.Random(seed)
    expected = pool[expected_rng.randrange(len(pool))] if pool else None
    assert _mediator(rng, (_Pool([north]), _Pool([north, south])), "north", sorted(parties)) == expected
    assert rng.random() == expected_rng.random()  # the stream is left where the naive draw left it
