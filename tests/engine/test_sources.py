"""Where parents come from: every source answers ``find(ref)`` the same way."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import RULESETS
from tests.engine.test_loader import BASE, broken
from xinzhi.engine import DirectorySource, MemorySource, RulesetSource


def directories(tmp_path: Path) -> tuple[Path, Path]:
    """Two directories that both hold base@1 (first: a.yaml, second: z.yaml), plus odd files."""
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    (first / "a.yaml").write_text(BASE, encoding="utf-8")
    (second / "z.yaml").write_text(BASE.replace("测试标准", "另一份"), encoding="utf-8")
    (second / "broken.yaml").write_text(broken("version: 1\n", "version: 2\nbogus: true\n"), encoding="utf-8")
    (second / "notes.yaml").write_text("- just a list\n", encoding="utf-8")
    (second / "bad.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    return first, second


CASES = [
    # (description id, how to build the source, ref, expected name (file) or None)
    pytest.param(lambda d: MemorySource({"base@1": (BASE, "base.yaml")}), "base@1", "base.yaml", id="memory"),
    pytest.param(lambda d: MemorySource({"base@1": [BASE, "base.yaml"]}), "base@1", "base.yaml",
                 id="memory-as-json-sends-it"),
    pytest.param(lambda d: MemorySource(), "base@1", None, id="memory-empty"),
    pytest.param(lambda d: DirectorySource(*d), "base@1", "first/a.yaml", id="directory-first-wins"),
    pytest.param(lambda d: DirectorySource(*reversed(d)), "base@1", "second/z.yaml", id="directory-order"),
    pytest.param(lambda d: DirectorySource(*d), "base@2", "second/broken.yaml",
                 id="directory-finds-a-broken-file-by-what-it-declares"),
    pytest.param(lambda d: DirectorySource(*d), "base@3", None, id="directory-unknown"),
    pytest.param(lambda d: DirectorySource(RULESETS), "yihe_2021@1", "yihe_2021.yaml", id="repository"),
]


@pytest.mark.parametrize(("make", "ref", "expected"), CASES)
def test_find(tmp_path, make, ref, expected):
    source = make(directories(tmp_path))
    assert isinstance(source, RulesetSource)
    found = source.find(ref)
    if expected is None:
        assert found is None
        return
    text, name = found
    assert name.replace("\\", "/").endswith(expected)
    assert f"id: {ref.split('@')[0]}" in text


def test_a_directory_is_read_once(tmp_path):
    first, _ = directories(tmp_path)
    source = DirectorySource(first)
    assert source.find("base@1") is not None
    (first / "a.yaml").unlink()
    assert source.find("base@1") is not None  # the index was built at the first find
