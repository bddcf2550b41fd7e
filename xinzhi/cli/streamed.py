"""Output too long to hold: a JSON document written item by item, and items kept on disk until their turn.

``xinzhi score --explain`` prints the balances first and then every award: the awards of
millions of facts wait in a temporary file, not in memory, and the JSON document is the very
text ``json.dump(..., indent=2)`` writes, without ever being one string.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from typing import Any, TextIO


def write_json(out: TextIO, document: dict[str, Any]) -> None:
    """``json.dump(document, out, ensure_ascii=False, indent=2, default=str)`` to the byte.

    A value given as an iterator is a list, written an item at a time.
    """
    out.write("{")
    for number, (key, value) in enumerate(document.items()):
        out.write(f"{',' if number else ''}\n  {_dumped(key, 2)}: ")
        if isinstance(value, Iterator):
            out.write("[")
            written = False
            for item in value:
                out.write(f"{',' if written else ''}\n    {_dumped(item, 4)}")
                written = True
            out.write("\n  ]" if written else "]")
        else:
            out.write(_dumped(value, 2))
    out.write("\n}" if document else "}")


def _dumped(value: Any, indent: int) -> str:
    """``value`` as ``json.dump`` writes it ``indent`` spaces in (a string holds no line break: JSON escapes it)."""
    return json.dumps(value, ensure_ascii=False, indent=2, default=str).replace("\n", "\n" + " " * indent)


class Spool:
    """Items (text or JSON-ready values) kept in a temporary file, read back once in the order added."""

    def __init__(self) -> None:
        # gone when closed, or when the process ends; closed by ``__exit__``
        self.file = tempfile.TemporaryFile("w+", encoding="ascii")  # noqa: SIM115

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *_: object) -> None:
        self.file.close()

    def add(self, item: Any) -> None:
        """Keep one item: a line of JSON each, escaped, so any text (a line break, a lone surrogate) comes back."""
        self.file.write(json.dumps(item, default=str) + "\n")

    def __iter__(self) -> Iterator[Any]:
        self.file.seek(0)
        return map(json.loads, self.file)
