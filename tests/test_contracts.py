"""The layout is the architecture, and these contracts keep it so (each import is read, nothing runs).

- the engine is a pure library: no web framework, no database, nothing of the service;
- only the engine's matcher module talks to durable-rules;
- the HTTP layer is a shell: no database and no engine of its own, routers call their domain;
- simulations use the service's functions, never its tables;
- outside the service layer, a domain is used through its package (``xinzhi.shop``), whose
  ``__init__`` says what it offers, not through its modules;
- no rule text is ever evaluated and YAML is only safe-loaded.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

PRODUCT = ("engine", "api", "simulations", "xinzhi")
DOMAINS = ("access", "communities", "council", "jobs", "ledger", "registry", "review", "scoring", "shop")
WEB = ("fastapi", "starlette", "uvicorn", "httpx")
DATABASE = ("sqlalchemy", "alembic", "psycopg", "xinzhi.db")


def _modules(path: Path) -> list[str]:
    """Every absolute module a file imports, at any depth (function-level imports included)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
    return found


def _under(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _offenders(folders: tuple[str, ...], forbidden: tuple[str, ...], *, allow: tuple[str, ...] = ()) -> list[str]:
    offenders = []
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = str(path.relative_to(ROOT))
            if relative in allow:
                continue
            offenders += [f"{relative}: {m}" for m in _modules(path) if _under(m, forbidden)]
    return offenders


CONTRACTS = [
    pytest.param(("engine",), WEB + DATABASE + ("xinzhi",), (), id="engine-is-a-pure-library"),
    pytest.param(PRODUCT, ("durable",), ("engine/_matcher.py",), id="only-the-matcher-imports-durable-rules"),
    pytest.param(("api",), DATABASE + ("durable",), (), id="api-has-no-database"),
    pytest.param(("api/routers",), DATABASE + ("xinzhi.engine",), (), id="routers-call-their-domain-only"),
    pytest.param(("simulations",), DATABASE + WEB, (), id="simulations-use-service-functions-not-tables"),
    pytest.param(("xinzhi",), ("fastapi", "starlette"), (), id="the-service-layer-knows-no-http"),
]


@pytest.mark.parametrize(("folders", "forbidden", "allow"), CONTRACTS)
def test_import_contract(folders, forbidden, allow):
    assert _offenders(folders, forbidden, allow=allow) == []


def test_outside_the_service_a_domain_is_used_through_its_package():
    private = tuple(f"xinzhi.{d}." for d in DOMAINS)
    offenders = []
    for folder in ("api", "simulations", "xinzhi/cli", "benchmarks", "tests"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            offenders += [f"{path.relative_to(ROOT)}: {m}" for m in _modules(path) if m.startswith(private)]
    assert offenders == []


def test_no_eval_or_unsafe_yaml_anywhere():
    offenders = []
    for folder in PRODUCT:
        for path in sorted((ROOT / folder).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            for bad in ("eval(", "exec(", "yaml.load(", "yaml.Loader", "UnsafeLoader", "FullLoader"):
                if bad in text:
                    offenders.append(f"{path.relative_to(ROOT)}: {bad}")
    assert offenders == []
