"""The API's documentation: ``/docs`` works on a closed network, and docs/api.md names every endpoint there is."""

from __future__ import annotations

import re

from tests.conftest import ROOT

METHODS = ("get", "post", "put", "delete", "patch")


def operations(client) -> set[tuple[str, str]]:
    spec = client.get("/openapi.json").json()
    return {(method.upper(), path) for path, ops in spec["paths"].items() for method in ops if method in METHODS}


def shape(path: str) -> str:
    """A path with its placeholders blank and the community prefix as the docs abbreviate it (…)."""
    blank = re.sub(r"\{[^}]*\}", "{}", path.split("?")[0])
    return blank.replace("/communities/{}/", "…/") if blank.startswith("/communities/{}/") else blank


def test_the_docs_page_loads_nothing_from_elsewhere_and_describes_every_endpoint(client):
    page = client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html)  # no CDN, no font, no script
    assert "<script" not in html
    for method, path in operations(client):
        assert f'<span class="m {method.lower()}">{method}</span> <span class="path">{path}</span>' in html
    anchors = set(re.findall(r'id="([^"]+)"', html))
    assert set(re.findall(r'href="#([^"]+)"', html)) <= anchors  # every link on the page lands
    assert "ResidentCreate" in anchors or "schema-ResidentCreate" in anchors
    assert client.get("/redoc").status_code == 404  # it loaded from a CDN too


def test_docs_api_md_names_every_endpoint_and_no_other(client):
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    documented = {(method, shape(path)) for method, path in re.findall(r"`(GET|POST|PUT|DELETE|PATCH) ([^`\s]+)", text)}
    served = {(method, shape(path)) for method, path in operations(client)}
    assert sorted(served - documented) == []
    assert sorted(documented - served) == []
