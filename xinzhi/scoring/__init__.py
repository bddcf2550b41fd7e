"""Scoring: facts in, explained ledger entries out — once per fact, by the version in force."""

from .models import EntryBrief, FactBatchResult, FactBrief, FactResult, ImportResult
from .service import import_facts_csv, import_facts_file, post_fact, post_facts, recorded_facts

__all__ = [
    "EntryBrief", "FactBatchResult", "FactBrief", "FactResult", "ImportResult", "import_facts_csv",
    "import_facts_file", "post_fact", "post_facts", "recorded_facts",
]
