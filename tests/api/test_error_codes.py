"""The documented API error codes are exactly the ones the service can report."""

from __future__ import annotations

import re

from xinzhi.api.errors import STATUS

from tests.conftest import ROOT
from xinzhi.errors import ServiceCode


def documented() -> dict[str, int]:
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    return {code: int(status) for code, status in re.findall(r"^\| `([a-z_]+)` \| (\d{3}) \|", text, re.M)}


def test_docs_list_every_service_code_with_its_status():
    assert documented() == {code.value: STATUS[code][0] for code in ServiceCode}


def test_every_code_has_a_status():
    assert set(STATUS) == set(ServiceCode)
