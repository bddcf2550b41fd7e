"""The layout is the architecture: engine/ stays a pure library."""

from __future__ import annotations

import ast

from tests.conftest import ROOT

FORBIDDEN = {"fastapi", "starlette", "sqlalchemy", "psycopg", "alembic", "uvicorn", "xinzhi"}


def test_engine_imports_no_web_or_database_layer():
    offenders = []
    for path in sorted((ROOT / "engine").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 else []
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert offenders == []


def test_no_eval_or_unsafe_yaml_anywhere():
    offenders = []
    for package in ("engine", "api", "xinzhi", "simulations"):
        for path in sorted((ROOT / package).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            for bad in ("eval(", "exec(", "yaml.load(", "yaml.Loader", "UnsafeLoader", "FullLoader"):
                if bad in text:
                    offenders.append(f"{path.relative_to(ROOT)}: {bad}")
    assert offenders == []
