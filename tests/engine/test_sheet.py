"""A balance sheet summed award by award says what ``balances`` says over the whole list.

Every embedded test of every repository ruleset (vetoes, 年度清零 resets, tiers, households),
plus a scenario's year: the same residents, indexes, points, tiers, flags and caps.
"""

from __future__ import annotations

import pytest

from tests.conftest import RULESETS
from xinzhi.engine import FactError, balances, compile_ruleset_file, evaluate
from xinzhi.engine.sheet import BalanceSheet
from xinzhi.simulations.population import DEFAULT_SCENARIO, generate_facts, generate_population
from xinzhi.simulations.run import scenario_with


def summed(compiled, evaluation) -> dict:
    sheet = BalanceSheet(compiled.ruleset)
    for resident in evaluation.residents:
        sheet.name(resident)
    for award in evaluation.awards:
        sheet.add(award)
    for reset in evaluation.resets:
        sheet.reset(reset)
    return {balance.resident: balance for balance in sheet.balances()}


@pytest.mark.parametrize("path", sorted(RULESETS.glob("*.yaml")), ids=lambda path: path.stem)
def test_a_sheet_balances_every_embedded_test_as_balances_does(path):
    compiled = compile_ruleset_file(path)
    compared = 0
    for test in compiled.ruleset.tests:
        try:
            evaluation = evaluate(compiled, test.facts, closes_until=test.closes_until, ignore_unknown_types=True)
        except FactError:  # a test of a refusal: nothing to balance
            continue
        expected = balances(compiled.ruleset, evaluation.awards, evaluation.residents, evaluation.resets)
        assert list(summed(compiled, evaluation).items()) == list(expected.items()), test.name
        compared += 1
    assert compared


def test_a_sheet_balances_a_scenarios_year_as_balances_does():
    compiled = compile_ruleset_file(RULESETS / "dongshan_2022.yaml")
    facts = list(generate_facts(generate_population(scenario_with(DEFAULT_SCENARIO, residents=40, months=12), 3)))
    evaluation = evaluate(compiled, facts, ignore_unknown_types=True)
    expected = balances(compiled.ruleset, evaluation.awards, evaluation.residents)
    assert list(summed(compiled, evaluation).items()) == list(expected.items())
    assert len({balance.tier for balance in expected.values()}) > 1
