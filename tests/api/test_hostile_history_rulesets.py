"""Hostile limits, repeats and sequences through the API: each a located 422, never a 500.

Found by attack: repeats whose amounts (or fixed points × a multiplier) exceed what a ledger
entry holds were accepted, dry-ran, published, then failed every fact they scored on
PostgreSQL with 'integer out of range' (a 500).
"""

from __future__ import annotations

import pytest

from tests.support.standard import CIVIC_V1

NOISE = "    award: {points: -5}\n"
BASE = CIVIC_V1.split("tests:")[0]
FACTS = [{"id": f"n{i}", "type": "violation", "resident": "r1", "occurred_at": f"2021-05-0{i}T10:00:00+08:00",
          "fields": {"kind": "noise"}} for i in (1, 2)]
FIFTY_ONE = ", ".join(str(-n) for n in range(1, 52))

HOSTILE = [
    ("after: {fact: violation, within_days: 0}", "rules[2].after.within_days", "greater than or equal to 1"),
    ("after: {fact: violation, within_days: 3661}", "rules[2].after.within_days", "less than or equal to 3660"),
    ("after: {fact: violation, within_days: true}", "rules[2].after.within_days", "valid integer"),
    ('not_after: {fact: violation, within_days: "30"}', "rules[2].not_after.within_days", "valid integer"),
    ("after: {fact: violation, within_days: 30.0}", "rules[2].after.within_days", "valid integer"),
    ("after: {fact: violation}", "rules[2].after.within_days", "missing"),
    ("after: {fact: violation, within_days: 3, days: 4}", "rules[2].after.days", "unknown key"),
    ("after: [{fact: violation, within_days: 3}]", "rules[2].after", "valid dictionary"),
    ("limits: [{period: month, times: 1, applies_to: both}]", "rules[2].limits[0].applies_to", "'awards' or"),
    ("limits: [{period: month, times: 0}]", "rules[2].limits[0].times", "greater than 0"),
    ("limits: [{period: month, days: 3, times: 1}]", "rules[2].limits[0]", "not both"),
    ("limits: [{days: 3661, times: 1}]", "rules[2].limits[0].days", "less than or equal to 3660"),
    ("repeats: {period: year, amounts: [" + FIFTY_ONE + "]}", "rules[2].repeats.amounts", "at most 50"),
    ("repeats: {period: year, days: 3, amounts: [-5]}", "rules[2].repeats", "not both"),
    ("repeats: {period: year, multipliers: [1, 1001]}", "rules[2].repeats.multipliers[1]", "less than or equal"),
    ("repeats: {period: year, amounts: [-5, true]}", "rules[2].repeats.amounts[1]", "not true/false"),
    ("repeats: {period: year, amounts: [-5, -3000000000]}", "rules[2].repeats.amounts[1]",
     "greater than or equal to -1000000"),
    ("repeats: {period: year, amounts: [-5, -99999999999999999999999]}", "rules[2].repeats.amounts[1]",
     "greater than or equal to -1000000"),
]


@pytest.mark.parametrize(("tail", "path", "says"), HOSTILE)
def test_a_hostile_history_rule_is_refused_where_it_is_written(client, community, tail, path, says):
    text = BASE.replace(NOISE, NOISE + f"    {tail}\n", 1)
    upload = client.post(f"/communities/{community}/rulesets", content=text.encode(),
                         headers={"content-type": "application/yaml"})
    dry = client.post(f"/communities/{community}/dry-run", json={"ruleset": text, "facts": FACTS})
    for answer in (upload, dry):
        assert answer.status_code == 422, answer.text
        [problem] = answer.json()["errors"]
        assert problem["path"] == path and says in problem["message"] and problem["line"] == 49, problem


def test_the_largest_fixed_points_times_the_largest_multiplier_fit_a_ledger_entry(client, community):
    """Points (±1,000,000) and multipliers (1,000) are bounded so that no occurrence exceeds a 32-bit column."""
    largest = "    award: {points: -1000000}\n    repeats: {period: year, multipliers: [1, 1000]}\n"
    dry = client.post(f"/communities/{community}/dry-run",
                      json={"ruleset": BASE.replace(NOISE, largest, 1), "facts": FACTS})
    assert dry.status_code == 200, dry.text
    assert 1_000_000 * 1_000 < 2**31 - 1
    beyond = client.post(f"/communities/{community}/dry-run",
                         json={"ruleset": BASE.replace(NOISE, largest.replace("-1000000", "-1000001"), 1),
                               "facts": FACTS})
    assert beyond.status_code == 422 and "greater than or equal to -1000000" in beyond.text, beyond.text


def test_fifty_repeat_amounts_and_a_ten_year_sequence_are_accepted_and_dry_run(client, community):
    amounts = ", ".join(str(-n) for n in range(1, 51))
    text = BASE.replace(NOISE, NOISE + f"    repeats: {{days: 3660, amounts: [{amounts}]}}\n"
                               "    not_after: {fact: violation, when: {kind: parking}, within_days: 3660}\n"
                               "    limits: [{days: 3660, times: 40}]\n", 1)
    dry = client.post(f"/communities/{community}/dry-run", json={"ruleset": text, "facts": FACTS})
    assert dry.status_code == 200, dry.text
    assert [(a["amount"], a["occurrence"]) for a in dry.json()["awards"]] == [(-1, 1), (-2, 2)]
