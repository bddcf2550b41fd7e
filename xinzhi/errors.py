"""Errors the services raise: a stable code, a plain message, and the located problems.

The problems are the engine's own ``Problem`` items, never dicts built here, so a bad
fact carries the same code and path from the engine to the HTTP edge. The HTTP layer
maps each code to a status in one place (``api.errors``); callers branch on the code,
never on the wording.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from xinzhi.engine import Problem
from xinzhi.messages import Message

#: Problems a service keeps of one request (a file's rows may hold millions); the rest are only counted.
MAX_PROBLEMS_KEPT = 1_000


class ServiceCode(StrEnum):
    """Every error code the services raise; docs/api.md lists them with their HTTP status.

    Engine codes come from ``engine.ErrorCode``; codes only the HTTP layer can meet
    (tokens, routing, media types, its own failures) from ``api.errors.ApiCode``.
    """

    COMMUNITY_NOT_FOUND = "community_not_found"
    ZONE_NOT_DECLARED = "zone_not_declared"
    ROLE_NOT_DECLARED = "role_not_declared"
    CONFIGURATION_IN_USE = "configuration_in_use"
    RESIDENT_NOT_FOUND = "resident_not_found"
    RULESET_NOT_FOUND = "ruleset_not_found"
    RULESET_INVALID = "ruleset_invalid"
    RULESET_PUBLISHED = "ruleset_published_immutable"
    RULESET_TESTS_FAILED = "ruleset_tests_failed"
    RULESET_DATES_OVERLAP = "ruleset_dates_overlap"
    RULESET_PARENT_UNPUBLISHED = "ruleset_parent_unpublished"
    DRAFT_TOO_SLOW = "draft_too_slow"
    DRAFTS_BUSY = "drafts_busy"
    FACTS_REJECTED = "facts_rejected"
    FACT_UNKNOWN_RESIDENT = "fact_unknown_resident"
    FACT_UNKNOWN_HOUSEHOLD = "fact_unknown_household"
    FACT_WRONG_HOUSEHOLD = "fact_wrong_household"
    RESIDENT_WITHOUT_HOUSEHOLD = "resident_without_household"
    FACT_IN_FUTURE = "fact_in_future"
    AS_OF_IN_FUTURE = "as_of_in_future"
    BATCH_TOO_LARGE = "batch_too_large"
    REQUEST_INVALID = "request_invalid"
    REQUEST_TOO_LARGE = "request_too_large"
    # shop, council, appeals, review (issue 4)
    ITEM_NOT_FOUND = "item_not_found"
    ITEM_INACTIVE = "item_inactive"
    OUT_OF_STOCK = "out_of_stock"
    INSUFFICIENT_POINTS = "insufficient_points"
    TIER_TOO_LOW = "tier_too_low"
    REDEMPTION_NOT_FOUND = "redemption_not_found"
    REDEMPTION_CANCELLED = "redemption_already_cancelled"
    REDEMPTION_ID_CONFLICT = "redemption_id_conflict"
    REDEMPTION_DATE_INVALID = "redemption_date_invalid"
    CASE_NOT_FOUND = "case_not_found"
    CASE_WRONG_STATE = "case_wrong_state"
    ENTRY_NOT_FOUND = "entry_not_found"
    ENTRY_ALREADY_CORRECTED = "entry_already_corrected"
    ENTRY_UNDER_REVIEW = "entry_under_review"
    REVIEW_NOT_FOUND = "review_not_found"
    REVIEW_DECIDED = "review_already_decided"
    OBJECTION_NOT_FOUND = "objection_not_found"
    OBJECTION_RESOLVED = "objection_already_resolved"
    OBJECTION_OPEN = "objection_already_open"
    PUBLICITY_CLOSED = "publicity_closed"
    CATALOGUE_NOT_FOUND = "catalogue_not_found"
    CATALOGUE_CONFLICT = "catalogue_conflict"
    RULESET_NOT_PUBLISHED = "ruleset_not_published"
    BUNDLE_INVALID = "bundle_invalid"
    BODY_NOT_DECLARED = "body_not_declared"
    RULESET_EXISTS = "ruleset_already_exists"
    ADOPTION_INCOMPLETE = "adoption_incomplete"
    SIMULATION_NOT_FOUND = "simulation_not_found"
    SIMULATION_NOT_READY = "simulation_not_ready"
    SIMULATION_FAILED = "simulation_failed"
    SIMULATION_FINISHED = "simulation_finished"
    SIMULATIONS_BUSY = "simulations_busy"


class ServiceError(Exception):
    """A request the services refuse; nothing has been stored.

    ``problems`` are the engine's ``Problem`` items (engine or service codes), so the
    same bad fact reads the same wherever it was refused; ``extra`` adds members to the
    HTTP problem (e.g. a publish's test outcomes). A ``Message`` as the detail is said in the
    reader's language (``xinzhi.messages``); ``detail`` is then its English, for logs.
    """

    def __init__(self, code: ServiceCode, detail: str | Message, problems: Iterable[Problem] = (),
                 extra: dict | None = None):
        self.message = detail if isinstance(detail, Message) else None
        detail = detail.render("en") if isinstance(detail, Message) else detail
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.problems = list(problems)
        self.extra = extra or {}

    @classmethod
    def at(cls, code: ServiceCode, path: str, key: str, **params: Any) -> ServiceError:
        """A refusal of one field: its sentence (``xinzhi.messages``) is the detail, and the problem at ``path``."""
        message = Message.of(key, **params)
        return cls(code, message, [Problem(code=code, path=path, says=key, params=params,
                                           message=message.render("en"))])


class NotFound(ServiceError):
    """The community, resident or ruleset named does not exist."""
