"""The append-only ledger: entries, balances, expiry of unspent points and reports over them."""

from .balances import (
    GRANTED,
    Standing,
    Totals,
    community_months,
    facts_counted,
    resident_totals,
    scoring_history,
    standing,
    totals_by_category,
    totals_by_resident,
)
from .entries import (
    adjustment_row,
    append,
    append_all,
    award_row,
    correction_row,
    expiry_row,
    hold_row,
    lock_resident,
    read_entry,
    redemption_row,
    refund_row,
    release_row,
    reversal_row,
)
from .expiry import due_expiries, expire_points, expiry_as_of, expiry_moment, simulate
from .models import (
    CategoryTotal,
    CommunitySummary,
    ExpiringPoints,
    ExpiryRun,
    HouseholdRead,
    LedgerEntryRead,
    LedgerPage,
    MonthTotal,
    ScoreRead,
    ZoneTotal,
)
from .models import Kind as EntryKind
from .reports import (
    community_summary,
    export_ledger_csv,
    export_scores_csv,
    household_view,
    ledger_rows,
    resident_ledger,
    resident_score,
    scores_rows,
)

__all__ = [
    "GRANTED", "CategoryTotal", "CommunitySummary", "EntryKind", "ExpiringPoints", "ExpiryRun", "HouseholdRead",
    "LedgerEntryRead", "LedgerPage", "MonthTotal", "ScoreRead", "Standing", "Totals", "ZoneTotal", "adjustment_row",
    "append", "append_all", "award_row", "community_months", "community_summary", "correction_row", "due_expiries",
    "expire_points", "expiry_as_of", "expiry_moment", "expiry_row", "export_ledger_csv", "export_scores_csv",
    "facts_counted",
    "hold_row", "household_view", "ledger_rows", "lock_resident", "read_entry", "redemption_row", "refund_row",
    "release_row", "resident_ledger", "resident_score", "resident_totals", "reversal_row", "scores_rows",
    "scoring_history", "simulate", "standing", "totals_by_category", "totals_by_resident",
]
