"""The documented error codes are exactly the ones the engine can report."""

from __future__ import annotations

import re

from tests.conftest import ROOT
from xinzhi.engine.errors import ErrorCode


def test_docs_list_every_code_and_no_other():
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", (ROOT / "docs" / "errors.md").read_text(), re.M))
    assert documented == {code.value for code in ErrorCode}
