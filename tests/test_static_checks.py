"""Ruff (with pydocstyle) and mypy pass on the product code, with the settings in pyproject.toml."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

# The installed layout: xinzhi/ holds the service; the product's top-level folders install beneath it.
MAPPED = {"engine": "engine", "api": "api", "simulations": "simulations", "rulesets": "rulesets"}


def _run(*command: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *command], cwd=cwd, capture_output=True, text=True,
                          timeout=900, stdin=subprocess.DEVNULL)


def test_ruff_finds_nothing():
    result = _run("ruff", "check", "--no-cache", ".", cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def stage_installed_layout(stage: Path) -> Path:
    """``xinzhi`` as the wheel lays it out, made of symbolic links into the checkout."""
    package = stage / "xinzhi"
    package.mkdir()
    for child in (ROOT / "xinzhi").iterdir():
        if child.name != "__pycache__":
            (package / child.name).symlink_to(child)
    for name, folder in MAPPED.items():
        (package / name).symlink_to(ROOT / folder)
    return package


@pytest.mark.slow
def test_mypy_finds_nothing(tmp_path):
    stage_installed_layout(tmp_path)
    result = _run("mypy", "--config-file", str(ROOT / "pyproject.toml"), "--no-incremental", "-p", "xinzhi",
                  cwd=tmp_path)
    report = result.stdout.replace("xinzhi/engine/", "engine/").replace("xinzhi/api/", "api/") \
        .replace("xinzhi/simulations/", "simulations/")
    assert result.returncode == 0, report + result.stderr
