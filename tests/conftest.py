"""Shared fixtures: the repository's rulesets, loaded once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import compile_ruleset, load_ruleset_file

ROOT = Path(__file__).resolve().parent.parent
RULESETS = ROOT / "rulesets"


@pytest.fixture(scope="session")
def yihe():
    return compile_ruleset(load_ruleset_file(RULESETS / "yihe_2021.yaml"))
