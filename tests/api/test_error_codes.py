"""The documented API error codes are exactly the ones the service and the HTTP layer can report."""

from __future__ import annotations

import re

from xinzhi.api.errors import STATUS, ApiCode

from tests.conftest import ROOT
from xinzhi.errors import ServiceCode

API_ONLY_HEADING = "Only the HTTP layer meets these"


def documented(text: str) -> dict[str, int]:
    return {code: int(status) for code, status in re.findall(r"^\| `([a-z_]+)` \| (\d{3}) \|", text, re.M)}


def sections() -> tuple[str, str]:
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    service, _, api = text.partition(API_ONLY_HEADING)
    return service, api


def test_docs_list_every_service_code_with_its_status():
    assert documented(sections()[0]) == {code.value: STATUS[code][0] for code in ServiceCode}


def test_docs_list_the_http_only_codes_apart():
    assert documented(sections()[1]) == {code.value: STATUS[code][0] for code in ApiCode}


def test_every_code_has_a_status_and_no_code_is_both():
    assert set(STATUS) == set(ServiceCode) | set(ApiCode)
    assert not {c.value for c in ServiceCode} & {c.value for c in ApiCode}
