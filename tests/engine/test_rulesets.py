"""Every ruleset in rulesets/ loads and passes its own embedded tests."""

from __future__ import annotations

import pytest

from tests.conftest import RULESETS
from xinzhi.engine import compile_ruleset, load_ruleset_file, run_tests
from xinzhi.engine.schema import ruleset_json_schema_text

FILES = sorted(RULESETS.glob("*.yaml"))


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_embedded_tests_pass(path):
    compiled = compile_ruleset(load_ruleset_file(path))
    outcomes = run_tests(compiled)
    assert outcomes, "a published ruleset must carry tests"
    assert [o.name for o in outcomes if not o.passed] == []


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_rulesets_reference_the_schema(path):
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=./ruleset.schema.json"


def test_committed_schema_is_current():
    committed = (RULESETS / "ruleset.schema.json").read_text(encoding="utf-8")
    assert committed == ruleset_json_schema_text(), "run: xinzhi schema --out rulesets/ruleset.schema.json"


def test_reference_ruleset_meets_the_brief():
    ruleset = load_ruleset_file(RULESETS / "yihe_2021.yaml")
    assert len(ruleset.rules) >= 14 and len(ruleset.tests) >= 12
    assert all(rule.note and "示例" in rule.note for rule in ruleset.rules)
    assert any(rule.award.points is not None and rule.award.points < 0 for rule in ruleset.rules)
    assert all(rule.id.isascii() and not rule.title.isascii() for rule in ruleset.rules)
