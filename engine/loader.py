"""The loader's parse stage: one YAML text → validated models, every problem located.

Parsing collects problems instead of stopping at the first, so a committee member sees
the whole list, each with file, line and column. The stages around it (resolving
``extends``, checking, compiling) and the per-process cache are in ``engine.pipeline``.
"""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from ._source import Path, Source, parse_yaml
from .errors import ErrorCode, Problem, input_words
from .ruleset import Comparison, Condition, Node, Ruleset


def parse_ruleset(text: str, name: str) -> tuple[Ruleset | None, list[Problem]]:
    """Parse and validate one file on its own (no ``extends`` resolution)."""
    source, problems = parse_yaml(text, name)
    if source is None:
        return None, problems
    if not isinstance(source.data, dict):
        return None, problems + [source.problem(
            ErrorCode.WRONG_TYPE, "a ruleset file must be a mapping of keys such as id, version, rules", (),
            "not_a_mapping")]
    try:
        ruleset = Ruleset.model_validate(source.data)
    except ValidationError as exc:
        return None, problems + _validation_problems(exc, source)
    attach_origins(ruleset, source, ())
    return ruleset, problems


def attach_origins(value: Any, source: Source, path: Path) -> None:
    """Record on every model where it was written, so later checks can point at it."""
    if isinstance(value, Node):
        value._origin = (source, path)
        for field_name, info in type(value).model_fields.items():
            child = getattr(value, field_name)
            if child is not None:
                attach_origins(child, source, path + (info.alias or field_name,))
        for key, child in (value.model_extra or {}).items():
            attach_origins(child, source, path + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            attach_origins(item, source, path + (i,))
    elif isinstance(value, dict):
        for key, item in value.items():
            attach_origins(item, source, path + (key,))


def _validation_problems(exc: ValidationError, source: Source) -> list[Problem]:
    """Turn pydantic errors into located problems, one per place in the file."""
    by_path: dict[Path, list[ErrorDetails]] = {}
    for error in exc.errors():
        by_path.setdefault(_data_path(source.data, error["loc"]), []).append(error)
    problems = []
    for path, errors in by_path.items():
        code, message, says, params = _describe(errors, path)
        problems.append(source.problem(code, message, path, says, **params))
    return problems


def _data_path(data: Any, loc: tuple) -> Path:
    """Keep the parts of a pydantic ``loc`` that exist in the data (drop union tags)."""
    path: list[str | int] = []
    for part in loc:
        if (isinstance(data, dict) and part in data) or \
                (isinstance(data, list) and isinstance(part, int) and part < len(data)):
            data = data[part]
        elif isinstance(data, dict) and isinstance(part, str) and part not in data and not _is_union_tag(part):
            path.append(part)  # a missing or unknown key: point at the mapping, name the key
            break
        else:
            continue
        path.append(part)
    return tuple(path)


def _is_union_tag(part: str) -> bool:
    """Pydantic names union members in error locations ('int', 'comparison', 'function-after[…]')."""
    return part in {"value", "comparison", "int", "float", "str", "bool", "date"} or "[" in part


def _describe(errors: list[ErrorDetails], path: Path) -> tuple[ErrorCode, str, str, dict[str, Any]]:
    """The code, the English message, and what it says as data (for other languages)."""
    if not path:
        key = ""
    else:  # a list item by its list's name: 'limits[0]', not '0'
        key = f"{path[-2]}[{path[-1]}]" if isinstance(path[-1], int) and len(path) > 1 else str(path[-1])
    where = f"'{key}'" if key else "the ruleset"
    first = errors[0]
    kind = first["type"]
    if kind == "extra_forbidden":
        unknown = str(path[-1])
        allowed = _allowed_keys(first["loc"][:-1])
        hint = difflib.get_close_matches(unknown, allowed, n=1)
        if hint:
            suggestion = f"; did you mean '{hint[0]}'?"
        else:
            suggestion = f"; allowed keys: {', '.join(allowed)}" if allowed else ""
        return ErrorCode.UNKNOWN_KEY, f"unknown key '{unknown}'{suggestion}", "unknown_key", {
            "key": unknown, "hint": hint[0] if hint else "", "allowed": ", ".join(allowed)}
    if kind == "missing":
        return ErrorCode.MISSING_KEY, f"required key {where} is missing", "missing_key", {"key": key}
    got = repr(first["input"])[:40] if isinstance(first.get("input"), int | float | str | bool) else ""
    if path and path[-1] == "period" and kind == "literal_error":
        return ErrorCode.BAD_PERIOD, (f"'{first['input']}' is not a period; use one of day, week, month, "
                                      "quarter, year"), "bad_period", {"got": got}
    if len(errors) > 1 and all(e["type"].endswith("_type") or e["type"].endswith("_parsing") for e in errors):
        wanted = ", ".join(dict.fromkeys(e["msg"].removeprefix("Input should be a valid ") for e in errors))
        english = f"{where} has the wrong type ({type(first['input']).__name__}); expected {wanted}"
        return ErrorCode.WRONG_TYPE, english, "wrong_type", {"key": key, "got": got}
    message = first["msg"].removeprefix("Value error, ")
    code = ErrorCode.WRONG_TYPE if kind.endswith("_type") or kind.endswith("_parsing") else ErrorCode.BAD_VALUE
    english = f"{where}: {message} (got {first['input']!r})" if code == ErrorCode.WRONG_TYPE else f"{where}: {message}"
    return code, english, "bad_input", {"key": key, "reason": input_words(first), "got": got}


def _allowed_keys(loc: tuple) -> list[str]:
    """Walk the model classes along ``loc`` to list the keys allowed at that place."""
    current: Any = Ruleset
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            fields = {info.alias or name: info.annotation for name, info in current.model_fields.items()}
            if part in fields:
                current = fields[part]
            elif current is Condition:
                current = Comparison  # an extra key of a condition is a field test
        elif isinstance(part, int) or isinstance(current, type) and current is dict:
            continue
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return sorted(info.alias or name for name, info in current.model_fields.items())
    return []


def _unwrap(annotation: Any) -> Any:
    """Reduce ``X | None``, ``list[X]``, ``dict[K, X]`` and ``Annotated[X, ...]`` to a model class."""
    for _ in range(6):
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (list, dict) or origin is types.UnionType or origin is typing.Union:
            models = [a for a in typing.get_args(annotation) if isinstance(_unwrap(a), type)
                      and issubclass(_unwrap(a), BaseModel)]
            if not models:
                return annotation
            annotation = models[-1]
        else:
            return annotation
    return annotation
