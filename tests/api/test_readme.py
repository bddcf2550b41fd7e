"""The README's walk-through, run as written (tokens on) against ``xinzhi serve --demo``."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.api.conftest import serve
from tests.conftest import ROOT


def walkthrough() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Walk-through", 1)[1].split("\n## ", 1)[0]
    return "\n".join(re.findall(r"```sh\n(.*?)```", section, re.S))


@pytest.mark.slow
def test_the_readme_walkthrough_works_as_written(tmp_path):
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")  # the commands call .venv/bin/xinzhi
    script = walkthrough()
    assert "localhost:8000" in script and "/facts" in script
    with serve(None, demo=True, cwd=tmp_path, auth=True) as base:
        run = subprocess.run(["bash", "-euo", "pipefail", "-c", script.replace("localhost:8000", base)],
                             cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.count('"resident": "N001"') >= 3 and '"duplicate": false' in run.stdout
    assert '"fact_id": "readme-1"' in run.stdout and '"summary":' in run.stdout
    assert '"title": "第三村民小组"' in run.stdout and '"zone": "g2"' in run.stdout  # another community's own groups
    assert '"held_by": "household"' in run.stdout and '"name": "张*家"' in run.stdout  # a village's household account
    assert '"index": 108,' in run.stdout  # 100 once for the household, + 5 for X002's deed, + 3 for its courtyard
    indexes = [int(i) for i in re.findall(r'^    "index": (\d+),$', run.stdout, re.M)]
    assert len(indexes) == 2 and indexes[1] > indexes[0]  # the score moved by the award
