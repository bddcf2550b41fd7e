"""Errors as values: every problem has a stable code, a plain message and a location.

Codes are prefixed by the layer that finds them (``ruleset_`` while loading a ruleset,
``fact_`` while validating a fact) so that a caller can branch on the code and never on
the wording, which is written for committee members and may change.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class ErrorCode(StrEnum):
    """Every error code the engine can report; docs/errors.md lists the same set."""

    YAML_SYNTAX = "ruleset_yaml_syntax"
    DUPLICATE_KEY = "ruleset_duplicate_key"
    WRONG_TYPE = "ruleset_wrong_type"
    MISSING_KEY = "ruleset_missing_key"
    UNKNOWN_KEY = "ruleset_unknown_key"
    BAD_VALUE = "ruleset_bad_value"
    BAD_PERIOD = "ruleset_bad_period"
    DUPLICATE_ID = "ruleset_duplicate_id"
    UNKNOWN_CATEGORY = "ruleset_unknown_category"
    UNKNOWN_FACT_TYPE = "ruleset_unknown_fact_type"
    UNKNOWN_FIELD = "ruleset_unknown_field"
    UNKNOWN_RULE = "ruleset_unknown_rule"
    UNKNOWN_TIER = "ruleset_unknown_tier"
    TYPE_MISMATCH = "ruleset_type_mismatch"
    ABSENCE_ONLY = "ruleset_absence_only_condition"
    TIER_OVERLAP = "ruleset_tier_overlap"
    TIER_GAP = "ruleset_tier_gap"
    EXTENDS_CYCLE = "ruleset_extends_cycle"
    EXTENDS_UNKNOWN = "ruleset_extends_unknown"
    TOO_LARGE = "ruleset_too_large"
    FACT_INVALID = "fact_invalid"
    FACT_UNKNOWN_TYPE = "fact_unknown_type"
    FACT_NOT_IN_FORCE = "fact_not_in_force"
    FACTS_UNREADABLE = "facts_unreadable"


class Problem(BaseModel):
    """One located problem; ``line``/``column`` are 1-based, ``path`` is the dotted key path."""

    model_config = ConfigDict(frozen=True)

    code: ErrorCode
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    path: str | None = None

    def sort_key(self) -> tuple:
        return (self.file or "", self.line or 0, self.column or 0, self.code.value, self.message)

    def __str__(self) -> str:
        where = ":".join(str(p) for p in (self.file, self.line, self.column) if p is not None)
        return f"{where}: {self.message} [{self.code.value}]" if where else f"{self.message} [{self.code.value}]"


class XinzhiError(Exception):
    """Raised with every problem found, sorted by location, so a caller sees all at once."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=Problem.sort_key)
        super().__init__("\n".join(str(p) for p in self.problems))

    @property
    def code(self) -> ErrorCode:
        return self.problems[0].code


class RulesetError(XinzhiError):
    """A ruleset could not be loaded."""


class FactError(XinzhiError):
    """One or more facts were rejected before evaluation."""
