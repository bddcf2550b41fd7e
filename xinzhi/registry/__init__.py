"""The ruleset registry: uploaded versions, the publish gate, diffs and dry-runs of drafts."""

from .dryrun import dry_run, dry_run_draft, run_draft_tests
from .expectations import propose_expectations
from .models import (
    DryRunIn,
    DryRunInline,
    DryRunResult,
    PublishResult,
    RuleChange,
    RulesetDiff,
    RulesetRead,
    RulesetStatus,
    RulesetSummary,
    TestOutcomeRead,
)
from .service import (
    community_for_ruleset,
    compiled_for,
    diff_rulesets,
    get_ruleset,
    in_force,
    list_rulesets,
    load_repository_rulesets,
    publish_ruleset,
    published_rows,
    ruleset_in_force,
    ruleset_invalid,
    ruleset_texts,
    shanghai_day,
    standard_for,
    standard_on,
    summarize,
    upload_ruleset,
)
from .source import RegistrySource, registry_loader, version_source

__all__ = [
    "DryRunIn", "DryRunInline", "DryRunResult", "PublishResult", "RegistrySource", "RuleChange", "RulesetDiff",
    "RulesetRead", "RulesetStatus", "RulesetSummary", "TestOutcomeRead", "community_for_ruleset", "compiled_for",
    "diff_rulesets", "dry_run", "dry_run_draft", "get_ruleset", "in_force", "list_rulesets", "load_repository_rulesets",
    "propose_expectations", "publish_ruleset", "published_rows", "registry_loader", "ruleset_in_force",
    "ruleset_invalid", "ruleset_texts", "run_draft_tests", "shanghai_day", "standard_for", "standard_on", "summarize",
    "upload_ruleset", "version_source",
]
