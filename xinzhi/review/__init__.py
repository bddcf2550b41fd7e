"""Committee review of held awards, publicity and objections, appeals, and the public board."""

from .appeals import corrected, file_appeal, list_appeals, reverse_entry
from .board import category_activity, public_board
from .models import (
    AppealCreate,
    AppealRead,
    BoardLine,
    BoardRead,
    BoardZone,
    ObjectionCreate,
    ObjectionRead,
    ObjectionResolve,
    ObjectionStatus,
    ReviewDecision,
    ReviewRead,
    ReviewStatus,
)
from .service import (
    decide_review,
    file_objection,
    hold_for_review,
    list_objections,
    list_reviews,
    publicity,
    resolve_objection,
)

__all__ = [
    "AppealCreate", "AppealRead", "BoardLine", "BoardRead", "BoardZone", "ObjectionCreate", "ObjectionRead",
    "ObjectionResolve", "ObjectionStatus", "ReviewDecision", "ReviewRead", "ReviewStatus", "category_activity",
    "corrected", "decide_review", "file_appeal", "file_objection", "hold_for_review", "list_appeals", "list_objections",
    "list_reviews", "public_board", "publicity", "resolve_objection", "reverse_entry",
]
