"""Reading facts from JSON Lines or CSV files, as community offices keep them.

CSV columns: ``id, type, resident, occurred_at``, optionally ``household``, and then one
column per field; an empty cell means the field (or, for a household's own fact, the
resident) is missing. Values stay strings here: the fact type coerces them.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from .errors import ErrorCode, FactError, Problem
from .facts import Cell

BASE_COLUMNS = ("id", "type", "resident", "occurred_at")
WHO = ("resident", "household")  # whose fact: an empty cell names nobody


def parse_facts(text: str, *, fmt: str, name: str = "<facts>") -> list[dict[str, Any]]:
    """Raw fact dicts from ``jsonl`` or ``csv`` text; unreadable lines raise ``FactError``."""
    if fmt == "csv":
        return _csv(text, name)
    facts, problems = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            fact = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(Problem(code=ErrorCode.FACTS_UNREADABLE, file=name, row=number, column=exc.colno,
                                    message=f"not valid JSON: {exc.msg}"))
            continue
        if not isinstance(fact, dict):
            problems.append(Problem(code=ErrorCode.FACTS_UNREADABLE, file=name, row=number,
                                    message="each line must be a JSON object"))
            continue
        facts.append(fact)
    if problems:
        raise FactError(problems)
    return facts


def _csv(text: str, name: str) -> list[dict[str, Any]]:
    # newline="": the csv module splits lines itself, so a lone CR (as old spreadsheets end lines) ends a row
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        missing = [c for c in BASE_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise FactError([Problem(code=ErrorCode.FACTS_UNREADABLE, file=name, row=1,
                                     message=f"CSV header lacks column(s): {', '.join(missing)}")])
        facts = []
        for row in reader:
            facts.append({
                **{c: row[c] for c in BASE_COLUMNS if c not in WHO},
                **{c: row[c] for c in WHO if row.get(c) not in ("", None)},
                "fields": {k: Cell(v) for k, v in row.items()
                           if k not in BASE_COLUMNS and k not in WHO and k and v not in ("", None)},
            })
    except csv.Error as exc:  # e.g. a field beyond the csv module's limit: the file's fault, located
        raise FactError([Problem(code=ErrorCode.FACTS_UNREADABLE, file=name, row=reader.reader.line_num,
                                 message=f"not readable as CSV: {exc}")]) from None
    return facts


def read_facts(path: Path) -> list[dict[str, Any]]:
    """Facts from a ``.csv`` or ``.jsonl`` file."""
    fmt = "csv" if path.suffix.lower() == ".csv" else "jsonl"
    return parse_facts(path.read_text(encoding="utf-8-sig"), fmt=fmt, name=str(path))
