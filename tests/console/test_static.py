"""The console's static files: packaged, UTF-8, no outside URLs, every label in both languages."""

from __future__ import annotations

import fnmatch
import re
import tomllib

import pytest
from fastapi.testclient import TestClient

from tests.conftest import ROOT
from xinzhi.api.console import STATIC
from xinzhi.api.main import create_app
from xinzhi.settings import Settings

FILES = sorted(p for p in STATIC.iterdir() if p.is_file())


def test_package_data_covers_every_static_file():
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    patterns = setuptools["package-data"]["xinzhi.api.console"]
    missing = [p.name for p in FILES if not any(fnmatch.fnmatch(f"static/{p.name}", g) for g in patterns)]
    assert not missing, f"not installed by a non-editable install: {missing}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_no_outside_urls(path):
    text = path.read_text(encoding="utf-8")
    outside = re.findall(r"https?://(?!127\.0\.0\.1|localhost)[^\s\"'`)]+", text)
    protocol_relative = re.findall(r"(?:src|href)=[\"']//", text) + re.findall(r"url\(\s*[\"']?//", text)
    assert not outside and not protocol_relative, f"{path.name} refers to the network: {outside + protocol_relative}"


def test_every_label_in_both_languages():
    text = (STATIC / "i18n.js").read_text(encoding="utf-8")
    zh = text[text.index("zh: {"):text.index("en: {")]
    en = text[text.index("en: {"):]
    keys = lambda block: set(re.findall(r"(?:^|[\s,{])([a-z_]+): \"", block))  # noqa: E731
    assert keys(zh) == keys(en), (keys(zh) ^ keys(en))
    used = set()
    for path in FILES:
        if path.suffix == ".js":
            used |= set(re.findall(r"\bt\(\"([a-z_]+)\"", path.read_text(encoding="utf-8")))
    assert used <= keys(zh), used - keys(zh)


def test_pages_are_served_as_utf8_html_without_a_token(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'c.db'}", rulesets_dir=None)
    with TestClient(create_app(settings)) as client:
        for url in ("/console/", "/console/board"):
            page = client.get(url)
            assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
            assert '<meta charset="utf-8">' in page.text
        assert client.get("/console/static/app.js").headers["content-type"].startswith("text/javascript")
        assert client.get("/console/static/../main.py").status_code == 404
        assert client.get("/console/static/nope.js").json()["code"] == "not_found"
        assert client.get("/console/api/me").status_code == 401
        front = client.get("/", follow_redirects=False)  # the server's own address opens the console (found by use)
        assert (front.status_code, front.headers["location"]) == (307, "/console/")


def test_the_browser_enforces_the_console_policy_and_the_tests_see_what_it_refuses(page, demo):
    """Every console test fails on a refusal (``page`` fixture); here one is made on purpose, and seen."""
    page.goto(f"{demo.base}/console/", wait_for="document.querySelector('main')")
    ran = page.eval("(() => { const s = document.createElement('script'); s.textContent = 'window.injected = 1';"
                    " document.head.append(s); return window.injected === 1; })()")
    page.browser.pump(0.5)
    assert ran is False and any("script-src" in v for v in page.violations), page.violations
    page.violations.clear()
