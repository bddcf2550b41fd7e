"""The HTTP layer is a thin shell: no database access of its own, everything through ``store``."""

from __future__ import annotations

import ast

from tests.conftest import ROOT


def test_api_does_not_touch_the_database_or_the_engine_directly():
    offenders = []
    for path in sorted((ROOT / "api").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 else []
            offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names
                          if n.split(".")[0] in {"sqlalchemy", "alembic", "psycopg", "durable"}]
    assert offenders == []
