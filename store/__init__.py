"""Xinzhi's store: the append-only ledger, facts, residents and the ruleset registry.

SQLAlchemy 2 over SQLite (embedded default) or PostgreSQL, migrated by Alembic at
start-up. Service functions take an open ``Store`` and read as verbs; ``api`` and the
CLI are thin shells over them.
"""

from ._store import Store, open_store
from .communities import (create_community, list_communities, list_residents, mask_name, register_residents)
from .dryrun import dry_run, dry_run_draft
from .errors import NotFound, ServiceCode, ServiceError
from .expiry import expire_points
from .reports import (community_summary, export_ledger_csv, export_scores_csv, household_view, resident_ledger,
                      resident_score)
from .rulesets import (diff_rulesets, get_ruleset, list_rulesets, load_repository_rulesets, publish_ruleset,
                       upload_ruleset)
from .scoring import import_facts_csv, post_fact, post_facts, ruleset_in_force
from .settings import Settings
# Issue 4: the shop, the council, appeals, review and objections, the board, tokens and the audit trail.
from .access import ANONYMOUS, SYSTEM, Principal, create_token, resolve_token, revoke_token
from .appeals import file_appeal, list_appeals
from .audit import list_audit, record_audit
from .board import public_board
from .council import case_statistics, close_case, convene_case, get_case, list_cases, report_case
from .review import decide_review, file_objection, list_objections, list_reviews, resolve_objection
from .shop import cancel_redemption, get_redemption, list_items, list_redemptions, put_items, redeem

__all__ = [
    "NotFound", "ServiceCode", "ServiceError", "Settings", "Store", "community_summary", "create_community",
    "diff_rulesets", "dry_run", "dry_run_draft", "expire_points", "export_ledger_csv", "export_scores_csv",
    "get_ruleset", "household_view", "import_facts_csv", "list_communities", "list_residents",
    "list_rulesets", "load_repository_rulesets", "mask_name", "open_store", "post_fact", "post_facts",
    "publish_ruleset", "register_residents", "resident_ledger", "resident_score", "ruleset_in_force",
    "upload_ruleset",
    "ANONYMOUS", "SYSTEM", "Principal", "cancel_redemption", "case_statistics", "close_case", "convene_case",
    "create_token", "decide_review", "file_appeal", "file_objection", "get_case", "get_redemption", "list_appeals",
    "list_audit", "list_cases", "list_items", "list_objections", "list_redemptions", "list_reviews",
    "public_board", "put_items", "record_audit", "redeem", "report_case", "resolve_objection", "resolve_token",
    "revoke_token",
]
