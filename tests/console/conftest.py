"""Console tests: headless Chromium (system packages) driven over CDP against a real ``xinzhi serve --demo``.

Chromium comes from the shared ``chromium`` fixture (installed by ``tests/install_chromium.sh``
when missing; without it the tests fail rather than skip). Screenshots go to ``test-artifacts/console/``.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import serve
from tests.api.cycle import RESIDENTS
from tests.conftest import ROOT
from tests.support.cycle_standard import CYCLE_V1

from .cdp import Browser, Page

ARTIFACTS = ROOT / "test-artifacts" / "console"
ENGLISH_PHRASE = re.compile(r"\b[A-Za-z]{2,}(?: [A-Za-z]{2,}){2,}\b")  # three English words in a row


def assert_chinese(text: str, where: str = "the page") -> None:
    """Fail on untranslated English: three English words in a row (ids, refs and single terms are left alone)."""
    found = ENGLISH_PHRASE.search(text)
    if found:
        around = text[max(0, found.start() - 60):found.end() + 60]
        raise AssertionError(f"English in {where}, which should be Chinese: {found.group(0)!r} in …{around}…")


class Demo:
    """The running demo server: its base URL and a way to mint tokens in its database."""

    def __init__(self, base: str, database_url: str):
        self.base, self.database_url = base, database_url

    def token(self, *roles: str, community: str | None = None, resident: str | None = None) -> str:
        command = [str(Path(sys.executable).parent / "xinzhi"), "token", "create", "--database-url", self.database_url]
        for role in roles:
            command += ["--role", role]
        command += (["--community", community] if community else []) + (["--resident", resident] if resident else [])
        done = subprocess.run(command, check=True, capture_output=True, text=True, timeout=60)
        return done.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="package")
def demo(tmp_path_factory) -> Iterator[Demo]:
    directory = tmp_path_factory.mktemp("console")
    url = f"sqlite:///{directory / 'xinzhi.db'}"
    with serve(url, demo=True, cwd=directory, auth=True) as base:
        yield Demo(base, url)


@pytest.fixture(scope="package")
def browser(chromium) -> Iterator[Browser]:
    started = Browser(chromium)
    try:
        yield started
    finally:
        started.close()


@pytest.fixture
def page(browser) -> Iterator[Page]:
    opened = browser.new_page()
    try:
        yield opened
        opened.browser.pump(0.2)  # a refusal reported as the test ended
        assert opened.violations == [], f"the Content-Security-Policy refused: {opened.violations}"
    finally:
        opened.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


ZONES = [{"id": "north", "title": "北区"}, {"id": "south", "title": "南区"}]


def cycle_community(demo: Demo, community: str, name: str, facts: list[dict]) -> dict:
    """A community of the demo server's own (the cycle standard, four residents in 北区 and 南区) with ``facts``.

    Returns the community's URL, an unrestricted committee+staff header, and the answer to each fact.
    """
    admin = {"Authorization": f"Bearer {demo.token('committee', 'staff')}"}
    url = f"{demo.base}/communities/{community}"
    with httpx.Client(headers=admin, timeout=30) as client:
        done = [client.put(url, json={"name": name, "zones": ZONES}),
                client.post(f"{url}/residents", json=RESIDENTS),
                client.post(f"{url}/rulesets", content=CYCLE_V1.encode(), headers={"content-type": "application/yaml"}),
                client.post(f"{url}/rulesets/cycle/versions/1/publish")]
        posted = [client.post(f"{url}/facts", json=fact) for fact in facts]
    assert all(r.status_code < 300 for r in done + posted), [r.text for r in done + posted]
    return {"url": url, "admin": admin, "posted": [r.json() for r in posted]}


def sign_in(page: Page, demo: Demo, token: str) -> None:
    """Open the console and sign in with ``token`` (pasted, as a person would)."""
    page.goto(f"{demo.base}/console/", wait_for="document.querySelector('#signin')")
    page.fill("#token", token)
    page.click("#signin")
    page.wait("!document.querySelector('#signin-card') && document.querySelector('#nav a')",
              message="sign-in did not complete")
