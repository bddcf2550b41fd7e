"""Errors the services raise: a stable code, a plain message, and the located problems.

The HTTP layer maps each code to a status in one place (``api.errors``); callers branch
on the code, never on the wording.
"""

from __future__ import annotations

from enum import StrEnum

from xinzhi.engine import Problem


class ServiceCode(StrEnum):
    """Every error code of the store and API (engine codes come from ``engine.ErrorCode``)."""

    COMMUNITY_NOT_FOUND = "community_not_found"
    RESIDENT_NOT_FOUND = "resident_not_found"
    RULESET_NOT_FOUND = "ruleset_not_found"
    RULESET_INVALID = "ruleset_invalid"
    RULESET_PUBLISHED = "ruleset_published_immutable"
    RULESET_TESTS_FAILED = "ruleset_tests_failed"
    RULESET_DATES_OVERLAP = "ruleset_dates_overlap"
    FACTS_REJECTED = "facts_rejected"
    FACT_UNKNOWN_RESIDENT = "fact_unknown_resident"
    BATCH_TOO_LARGE = "batch_too_large"
    REQUEST_INVALID = "request_invalid"
    REQUEST_TOO_LARGE = "request_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    INTERNAL = "internal_error"
    # access control, shop, council, appeals, review (issue 4)
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    ITEM_NOT_FOUND = "item_not_found"
    ITEM_INACTIVE = "item_inactive"
    OUT_OF_STOCK = "out_of_stock"
    INSUFFICIENT_POINTS = "insufficient_points"
    TIER_TOO_LOW = "tier_too_low"
    REDEMPTION_NOT_FOUND = "redemption_not_found"
    REDEMPTION_CANCELLED = "redemption_already_cancelled"
    CASE_NOT_FOUND = "case_not_found"
    CASE_WRONG_STATE = "case_wrong_state"
    ENTRY_NOT_FOUND = "entry_not_found"
    ENTRY_ALREADY_CORRECTED = "entry_already_corrected"
    REVIEW_NOT_FOUND = "review_not_found"
    REVIEW_DECIDED = "review_already_decided"
    OBJECTION_NOT_FOUND = "objection_not_found"
    OBJECTION_RESOLVED = "objection_already_resolved"
    PUBLICITY_CLOSED = "publicity_closed"
    SIMULATION_NOT_FOUND = "simulation_not_found"
    SIMULATION_NOT_READY = "simulation_not_ready"


class ServiceError(Exception):
    """A request the services refuse; nothing has been stored."""

    def __init__(self, code: ServiceCode, detail: str, errors: list[dict] | None = None,
                 extra: dict | None = None):
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.errors = errors or []
        self.extra = extra or {}


class NotFound(ServiceError):
    """The community, resident or ruleset named does not exist."""


def problem_item(problem: Problem, **override) -> dict:
    """An engine problem as one ``errors[]`` item: code, message, file, line, column, path."""
    item = {"code": problem.code, "message": problem.message, "file": problem.file,
            "line": problem.line, "column": problem.column, "path": problem.path}
    item.update(override)
    return item
