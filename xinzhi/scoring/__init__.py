"""Scoring: facts in, explained ledger entries out — once per fact, by the version in force."""

from .closing import ClosingRun, close_periods
from .models import EntryBrief, FactBatchResult, FactBrief, FactResult, ImportResult, Restated
from .service import import_facts_csv, import_facts_file, post_fact, post_facts, post_facts_json, recorded_facts
from .templates import fact_template

__all__ = [
    "ClosingRun", "EntryBrief", "FactBatchResult", "FactBrief", "FactResult", "ImportResult", "Restated",
    "close_periods", "fact_template", "import_facts_csv", "import_facts_file", "post_fact", "post_facts",
    "post_facts_json", "recorded_facts",
]
