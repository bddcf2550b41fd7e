"""Xinzhi's rules engine: a pure library (no web framework, no database).

Load a committee's YAML ruleset (``Loader``: parse, resolve ``extends`` through a
``RulesetSource``, check, compile — each once per process), evaluate facts into
explained awards, and apply the accounting rules (limits, repeats, tiers, expiry).
"""

from ._matcher import MATCHER, RuleMatcher
from ._source import ruleset_text
from .accounting import add_months, period_key, period_window, tier_for
from .compiler import CompiledRuleset, compile_ruleset
from .errors import ErrorCode, FactError, Problem, RulesetError, XinzhiError, format_path
from .evaluator import (
    Award,
    Balance,
    Evaluation,
    Miss,
    closing_awards,
    closing_resets,
    evaluate,
    ignores_unknown_types,
    period_awards,
    recall,
    score_fact,
    validate_facts,
)
from .facts import SHANGHAI, Fact, read_fact
from .history import History, LimitRef, RepeatRef
from .loader import parse_ruleset
from .periods import Granted, lookback_start
from .pipeline import (
    CACHE,
    STAGES,
    Loaded,
    Loader,
    StageCache,
    compile_ruleset_file,
    load_ruleset,
    load_ruleset_file,
)
from .resets import AccountReset
from .ruleset import FactIn, Ruleset
from .sheet import balances
from .sources import DirectorySource, MemorySource, RulesetSource
from .testing import Mismatch, TestOutcome, run_tests

__all__ = [
    "AccountReset", "Award", "Balance", "CACHE", "CompiledRuleset", "DirectorySource", "ErrorCode", "Evaluation",
    "Fact", "FactError", "FactIn", "Granted", "History", "LimitRef", "Loaded", "Loader", "MATCHER", "MemorySource",
    "Mismatch", "Miss", "Problem", "RepeatRef", "RuleMatcher", "Ruleset", "RulesetError", "RulesetSource", "SHANGHAI",
    "STAGES", "StageCache", "TestOutcome", "XinzhiError", "add_months", "balances", "closing_awards",
    "closing_resets", "compile_ruleset", "compile_ruleset_file", "evaluate", "format_path", "ignores_unknown_types",
    "load_ruleset", "load_ruleset_file", "lookback_start", "parse_ruleset", "period_awards", "period_key",
    "period_window", "read_fact", "recall", "ruleset_text", "run_tests", "score_fact", "tier_for", "validate_facts",
]
