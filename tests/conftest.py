"""Shared fixtures: the repository's rulesets, loaded once per session; system Chromium."""

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
