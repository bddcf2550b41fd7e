"""Shared fixtures: the repository's rulesets, loaded once per session; system Chromium.

The suite runs on every core (``--numprocesses=auto --dist=loadscope`` in pyproject.toml's addopts, pytest-xdist):
each test module runs whole in one worker, and modules holding a ``slow`` test start first,
so the two workers of a two-core machine finish together. ``-n 0`` runs in one process.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from xinzhi.engine import compile_ruleset, load_ruleset_file

ROOT = Path(__file__).resolve().parent.parent
RULESETS = ROOT / "rulesets"
# Databases on both backends and fresh communities, for every service-domain suite.
pytest_plugins = ["tests.support.fixtures"]

BROWSERS = ("chromium-headless-shell", "chromium", "chromium-browser", "google-chrome")


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    """Accept addopts' ``--numprocesses``/``--dist`` under ``-p no:xdist`` too, and then run in this one process."""
    if not pluginmanager.has_plugin("xdist"):
        parser.addoption("--numprocesses", dest="numprocesses", default=None, help="ignored: no pytest-xdist")
        parser.addoption("--dist", dest="dist", default="no", help="ignored: no pytest-xdist")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules holding a ``slow`` test first (otherwise in collected order): a worker that draws
    the wheel build or mypy last would run on alone while the other one idles."""
    slow_modules = {item.module.__name__ for item in items
                    if isinstance(item, pytest.Function) and item.get_closest_marker("slow")}
    items.sort(key=lambda item: not (isinstance(item, pytest.Function) and item.module.__name__ in slow_modules))


@pytest.fixture(scope="session")
def yihe():
    return compile_ruleset(load_ruleset_file(RULESETS / "yihe_2021.yaml"))


def _find_chromium() -> str | None:
    return next((shutil.which(b) for b in BROWSERS if shutil.which(b)), None)


@pytest.fixture(scope="session")
def chromium() -> str:
    """Chromium from the system packages, installed by tests/install_chromium.sh when missing."""
    found = _find_chromium()
    if found is None and shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        subprocess.run(["sh", str(ROOT / "tests" / "install_chromium.sh")], check=False,
                       capture_output=True, timeout=900)
        found = _find_chromium()
    if found is None:
        pytest.fail("no Chromium, and tests/install_chromium.sh could not install it (it needs root and apt-get)")
    return found
