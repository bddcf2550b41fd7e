"""Errors as values: every problem has a stable code, a plain message and a location.

Codes are prefixed by the layer that finds them (``ruleset_`` while loading a ruleset,
``fact_`` while validating a fact) so that a caller can branch on the code and never on
the wording, which is written for committee members and may change.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer
from pydantic_core import ErrorDetails


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
    BAD_CHARACTER = "ruleset_bad_character"
    FACT_INVALID = "fact_invalid"
    EXCLUSIVE_GROUP = "ruleset_exclusive_group"
    LIMIT_CAPS_NOTHING = "ruleset_limit_caps_nothing"
    FACT_UNKNOWN_TYPE = "fact_unknown_type"
    FACT_ID_CONFLICT = "fact_id_conflict"
    FACT_NOT_IN_FORCE = "fact_not_in_force"
    FACTS_UNREADABLE = "facts_unreadable"
    CLOSING_TOO_LARGE = "closing_too_large"


class Problem(BaseModel):
    """One located problem: the item every layer reports, from the engine to the HTTP edge.

    ``code`` is an ``ErrorCode`` or a code of the service that found it (kept as a plain
    string so one item type serves every layer). Where it is: ``file`` with 1-based
    ``line``/``column`` for a ruleset, ``row`` for a line of a CSV or JSON Lines file, and
    ``path`` in one syntax for ruleset keys and fact fields alike (``rules[2].award``,
    ``fields.hours``, ``facts[0].occurred_at``); ``fact_id`` names the fact. Unknown
    places are left out when serialised, so every layer shows the same shape.

    ``message`` is English. ``says`` and ``params`` are what the sentence is made of, so a
    layer that speaks to people can say it in their language (``xinzhi.messages``); they are
    not part of the answer a program reads.
    """

    model_config = ConfigDict(frozen=True)

    code: str
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    row: int | None = None
    path: str | None = None
    fact_id: str | None = None
    says: str | None = Field(default=None, exclude=True)
    params: dict[str, Any] = Field(default_factory=dict, exclude=True)

    @model_serializer(mode="wrap")
    def _known_only(self, handler: SerializerFunctionWrapHandler) -> Any:
        return {key: value for key, value in handler(self).items() if value is not None}

    def sort_key(self) -> tuple:
        """Where the problem is first (file, line, column, row), then code and message: a stable report order."""
        return (self.file or "", self.line or 0, self.column or 0, self.row or 0, self.code, self.message)

    def under(self, prefix: str) -> Problem:
        """The same problem placed inside ``prefix``: a fact's problem at ``facts[3]`` of a request."""
        return self.model_copy(update={"path": join_path(prefix, self.path)})

    def __str__(self) -> str:
        where = ":".join(str(p) for p in (self.file, self.line or self.row, self.column) if p is not None)
        return f"{where}: {self.message} [{self.code}]" if where else f"{self.message} [{self.code}]"


class Refusal(ValueError):
    """A value a validator refuses, with what the refusal says as data (pydantic keeps it as ``ctx.error``)."""

    def __init__(self, message: str, says: str, **params: Any):
        super().__init__(message)
        self.says, self.params = says, {key: str(value) for key, value in params.items()}


def input_words(error: ErrorDetails) -> dict[str, Any]:
    """What a pydantic error says, as data (its type and context), for a ``Problem``'s ``params``."""
    refusal = (error.get("ctx") or {}).get("error")
    if isinstance(refusal, Refusal):
        return {"says": refusal.says, "params": refusal.params}
    context = {key: str(value) for key, value in (error.get("ctx") or {}).items()}
    if "expected" in context:  # "'day', 'week' or 'month'": a list, whatever language says it
        context["expected"] = context["expected"].replace(" or ", ", ")
    return {"says": f"input.{error['type']}", "params": context}


def input_problems(errors: Iterable[ErrorDetails], code: str, *, skip: int = 0, **where: Any) -> list[Problem]:
    """Pydantic's errors as located problems, said in the reader's language (``bad_input``).

    ``skip`` leaves out the first parts of each location, which name no place (FastAPI's
    ``body``); ``where`` places them further (a file's ``file`` and ``row``).
    """
    problems = []
    for error in errors:
        path = format_path(list(error.get("loc", ()))[skip:])
        problems.append(Problem(code=code, message=error.get("msg", "invalid"), path=path, says="bad_input",
                                params={"key": path or "", "reason": input_words(error)}, **where))
    return problems


def format_path(parts: Iterable[str | int]) -> str | None:
    """The one path syntax: keys joined by dots, list positions in brackets (``rules[2].award``)."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or None


def join_path(prefix: str, path: str | None) -> str:
    """``prefix`` followed by ``path`` in the same syntax."""
    if not path:
        return prefix
    return prefix + (path if path.startswith("[") else f".{path}")


class XinzhiError(Exception):
    """Raised with every problem found, sorted by location, so a caller sees all at once."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=Problem.sort_key)
        super().__init__("\n".join(str(p) for p in self.problems))

    @property
    def code(self) -> str:
        """The code of the first problem, for a caller that branches on one."""
        return self.problems[0].code


class RulesetError(XinzhiError):
    """A ruleset could not be loaded."""


class FactError(XinzhiError):
    """One or more facts were rejected before evaluation."""
