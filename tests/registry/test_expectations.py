"""New test expectations proposed from what the tests gave: only expectation lines change, and then the tests pass."""

from __future__ import annotations

from tests.support.standard import CIVIC_V1
from xinzhi.engine import compile_ruleset, load_ruleset, run_tests
from xinzhi.registry import propose_expectations

ACTIVITY_TEST = """  - name: activity gives 2
    facts:
      - {id: t1, type: activity, resident: r1, occurred_at: 2021-03-05T19:00:00+08:00, fields: {name: a}}
    expect:
      awards: [{fact: t1, rule: activity_join, amount: 2}]
      balances: {r1: {index: 102, points: 2, tier: B}}
"""


def outcomes(text: str) -> list[dict]:
    return [o.model_dump(mode="json") for o in run_tests(compile_ruleset(load_ruleset(text, name="t.yaml")))]


def accepted(text: str, edits: list[dict]) -> str:
    """The text with the edits applied as the editor applies them: from the last line up."""
    lines = text.split("\n")
    for e in sorted(edits, key=lambda e: -e["line"]):
        assert lines[e["line"] - 1:e["line"] - 1 + len(e["before"])] == e["before"]
        lines[e["line"] - 1:e["line"] - 1 + len(e["before"])] = e["after"]
    return "\n".join(lines)


def changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    return [(a, b) for a, b in zip(before.split("\n"), after.split("\n"), strict=True) if a != b]


def with_tests(text: str, tests: str) -> str:
    return text[:text.index("tests:\n")] + "tests:\n" + tests


def test_a_changed_award_rewrites_the_amount_and_the_balances_and_nothing_else():
    text = CIVIC_V1.replace("award: {points: 2}", "award: {points: 3}")
    # the engine pairs the award expected with the one that came: one difference, at the expected award's place
    assert outcomes(text)[0]["mismatches"] == [
        {"path": ["awards", 0], "expected": {"fact": "t1", "rule": "activity_join", "amount": 2},
         "actual": {"fact": "t1", "rule": "activity_join", "amount": 3}},
        {"path": ["balances", "r1", "index"], "expected": 102, "actual": 103},
        {"path": ["balances", "r1", "points"], "expected": 2, "actual": 3}]
    proposal = propose_expectations(text, outcomes(text))
    assert proposal["left"] == [] and {e["test"] for e in proposal["edits"]} == {"activity gives 2"}
    updated = accepted(text, proposal["edits"])
    assert changed_lines(text, updated) == [
        ("      awards: [{fact: t1, rule: activity_join, amount: 2}]",
         "      awards: [{fact: t1, rule: activity_join, amount: 3}]"),
        ("      balances: {r1: {index: 102, points: 2, tier: B}}",
         "      balances: {r1: {index: 103, points: 3, tier: B}}")]
    assert all(o["passed"] for o in outcomes(updated))


def test_a_passing_ruleset_gets_no_proposal():
    assert propose_expectations(CIVIC_V1, outcomes(CIVIC_V1)) == {"edits": [], "left": []}


def test_a_rule_switched_off_drops_its_expected_awards():
    text = CIVIC_V1.replace("    limits: [{period: month, max: 10}]\n", "    limits: [{period: month, max: 10}]\n"
                            "    enabled: false\n", 1)
    updated = accepted(text, propose_expectations(text, outcomes(text))["edits"])
    assert "      awards: []" in updated and "{r1: {index: 100, points: 0, tier: B}}" in updated
    assert all(o["passed"] for o in outcomes(updated))


def test_a_block_list_keeps_its_comments_and_gains_the_award_that_came_and_the_limit_that_cut():
    tests = """  - name: two activities and a noise
    facts:
      - {id: t1, type: activity, resident: r1, occurred_at: 2021-03-05T19:00:00+08:00, fields: {name: a}}
      - {id: t2, type: activity, resident: r1, occurred_at: 2021-03-06T19:00:00+08:00, fields: {name: a}}
      - {id: t3, type: violation, resident: r1, occurred_at: 2021-03-07T19:00:00+08:00, fields: {kind: noise}}
    expect:
      awards:
        - {fact: t1, rule: activity_join, amount: 2}  # the first of the month

        # the month's limit is 10: not reached here
        - {rule: activity_join, fact: t2, amount: 2, limited_by: rule:activity_join/month}
"""
    text = with_tests(CIVIC_V1, tests)
    proposal = propose_expectations(text, outcomes(text))
    updated = accepted(text, proposal["edits"])
    assert updated.split("\n")[-6:] == [
        "        - {fact: t1, rule: activity_join, amount: 2}  # the first of the month",
        "",
        "        # the month's limit is 10: not reached here",
        "        - {rule: activity_join, fact: t2, amount: 2}",  # the test's own key order, the limit gone
        "        - {fact: t3, rule: noise, amount: -5}",
        ""]
    assert all(o["passed"] for o in outcomes(updated))


def test_awards_written_as_block_mappings_change_in_place_or_are_left_to_a_person():
    block = ACTIVITY_TEST.replace("      awards: [{fact: t1, rule: activity_join, amount: 2}]\n",
                                  "      awards:\n        - fact: t1\n          rule: activity_join\n"
                                  "          amount: 2\n")
    text = with_tests(CIVIC_V1, block).replace("award: {points: 2}", "award: {points: 3}")
    updated = accepted(text, propose_expectations(text, outcomes(text))["edits"])
    assert ("          amount: 2", "          amount: 3") in changed_lines(text, updated)
    assert all(o["passed"] for o in outcomes(updated))
    switched_off = with_tests(CIVIC_V1, block).replace("award: {points: 2}", "award: {points: 2}\n    enabled: false")
    assert propose_expectations(switched_off, outcomes(switched_off)) == {"edits": [], "left": ["activity gives 2"]}


def test_flags_and_tiers_are_rewritten_as_values():
    vetoed = CIVIC_V1.replace("    award: {points: -5}\n", "    award: {points: -5}\n"
                              "    veto: {tier_at_most: B, flag: no_honours, until_end_of: year}\n")
    tests = """  - name: noise
    facts:
      - {id: t1, type: violation, resident: r1, occurred_at: 2021-03-05T19:00:00+08:00, fields: {kind: noise}}
    expect:
      balances:
        r1: {index: 95, tier: A, flags: []}
"""
    text = with_tests(vetoed, tests)
    updated = accepted(text, propose_expectations(text, outcomes(text))["edits"])
    assert changed_lines(text, updated) == [("        r1: {index: 95, tier: A, flags: []}",
                                             "        r1: {index: 95, tier: B, flags: [no_honours]}")]


def test_facts_the_ruleset_refuses_and_shared_anchors_are_left_to_a_person():
    refused = ACTIVITY_TEST.replace("fields: {name: a}", "fields: {name: 5}")
    text = with_tests(CIVIC_V1, refused)
    assert not outcomes(text)[0]["passed"]
    assert propose_expectations(text, outcomes(text)) == {"edits": [], "left": ["activity gives 2"]}
    shared = ACTIVITY_TEST.replace("balances: {r1:", "balances: &both {r1:") + \
        ACTIVITY_TEST.replace("activity gives 2", "again").replace("balances: {r1: {index: 102, points: 2, tier: B}}",
                                                                   "balances: *both")
    text = with_tests(CIVIC_V1, shared).replace("award: {points: 2}", "award: {points: 3}")
    assert propose_expectations(text, outcomes(text)) == {"edits": [], "left": ["activity gives 2", "again"]}
