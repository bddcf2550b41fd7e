"""No refusal is made of a plain English string: each detail is a sentence of ``xinzhi.messages``.

A ``ServiceError`` whose detail is a ``Message`` is said in the reader's language; one whose
detail is an English string answers a Chinese reader in English. This walks the code the
service runs and names every ``ServiceError(...)`` (or subclass of it in ``xinzhi/errors.py``)
whose detail is a string literal or an f-string, so a new one fails here, not in front of a clerk.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import ROOT

#: Where the service's code is: the package, the HTTP edge and the what-if simulations.
SCANNED = ("xinzhi", "api", "simulations")

#: Files whose English refusals are still being made sentences (to empty, not to grow).
STILL_TO_CONVERT: frozenset[str] = frozenset()


def error_classes() -> set[str]:
    """``ServiceError`` and every class ``xinzhi/errors.py`` derives from it, at any depth."""
    classes = [node for node in ast.walk(ast.parse((ROOT / "xinzhi" / "errors.py").read_text(encoding="utf-8")))
               if isinstance(node, ast.ClassDef)]
    names = {"ServiceError"}
    grown = True
    while grown:
        grown = False
        for node in classes:
            bases = {b.id if isinstance(b, ast.Name) else b.attr if isinstance(b, ast.Attribute) else None
                     for b in node.bases}
            if node.name not in names and bases & names:
                names.add(node.name)
                grown = True
    return names


def plain_text(node: ast.expr) -> bool:
    """Whether ``node`` is text written in the code: a literal, an f-string, or such joined or chosen."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        return plain_text(node.left) or plain_text(node.right)
    if isinstance(node, ast.IfExp):
        return plain_text(node.body) or plain_text(node.orelse)
    return False


def plain_refusals(path: Path, classes: set[str]) -> Iterator[int]:
    """The lines of ``path`` where an error of ``classes`` is made with a plain string as its detail."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if not isinstance(node, ast.Call):
            continue
        called = node.func.id if isinstance(node.func, ast.Name) else \
            node.func.attr if isinstance(node.func, ast.Attribute) else None
        if called not in classes:
            continue
        detail = node.args[1] if len(node.args) > 1 else \
            next((k.value for k in node.keywords if k.arg == "detail"), None)
        if detail is not None and plain_text(detail):
            yield node.lineno


def found() -> dict[str, list[int]]:
    """Each scanned file with plain-English refusals, and their lines."""
    classes = error_classes()
    lines = {}
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            hits = list(plain_refusals(path, classes))
            if hits:
                lines[path.relative_to(ROOT).as_posix()] = hits
    return lines


def test_every_refusal_is_a_sentence_in_both_languages():
    plain = found()
    new = [f"{file}:{line}" for file, hits in plain.items() if file not in STILL_TO_CONVERT for line in hits]
    assert new == [], ("a ServiceError's detail is plain English, which a Chinese reader reads as is: make it a "
                       "sentence of xinzhi/messages.py (Message.of, or ServiceError.at for one field): "
                       + ", ".join(new))


def test_the_files_still_to_convert_still_need_it():
    """A file converted leaves the list, so it cannot slip back unnoticed."""
    converted = STILL_TO_CONVERT - set(found())
    assert not converted, sorted(converted)


def test_the_check_finds_what_it_is_meant_to(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('raise ServiceError(ServiceCode.X, "plain")\n'
                      'raise NotFound(ServiceCode.X, f"no {x}")\n'
                      'raise errors.NotFound(ServiceCode.X, "a" + (f"; {b}" if b else ""))\n'
                      'raise ServiceError(ServiceCode.X, detail="keyword")\n'
                      'raise ServiceError(ServiceCode.X, Message.of("said"))\n'
                      'raise ServiceError.at(ServiceCode.X, "path", "said")\n'
                      'raise NotFound(code, message)\n', encoding="utf-8")
    assert "NotFound" in error_classes()
    assert list(plain_refusals(sample, error_classes())) == [1, 2, 3, 4]
