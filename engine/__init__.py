"""Xinzhi's rules engine: a pure library (no web framework, no database).

Load a committee's YAML ruleset, compile it to durable-rules, evaluate facts into
explained awards, and apply the accounting rules (limits, tiers, expiry).
"""

from .accounting import LimitRef, LimitUsage, add_months, period_key, period_window, tier_for
from .compiler import CompiledRuleset, compile_ruleset
from .errors import ErrorCode, FactError, Problem, RulesetError, XinzhiError, format_path
from .evaluator import Award, Balance, Evaluation, Miss, balances, evaluate, score_fact, validate_facts
from .facts import SHANGHAI, Fact, read_fact
from .loader import directory_lookup, load_ruleset, load_ruleset_file, parse_ruleset
from .ruleset import FactIn, Ruleset
from .testing import TestOutcome, run_tests

__all__ = [
    "SHANGHAI", "Award", "Balance", "CompiledRuleset", "ErrorCode", "Evaluation", "Fact", "FactError",
    "FactIn", "LimitRef", "LimitUsage", "Miss", "Problem", "Ruleset", "RulesetError", "TestOutcome",
    "XinzhiError", "add_months", "balances", "compile_ruleset", "directory_lookup", "evaluate", "format_path",
    "load_ruleset", "load_ruleset_file", "parse_ruleset", "period_key", "period_window", "read_fact",
    "run_tests", "score_fact", "tier_for", "validate_facts",
]
