"""The README's walk-through, run as written (tokens on) against ``xinzhi serve --demo``."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.api.conftest import serve
from tests.conftest import ROOT


def walkthrough() -> str:
    """Every shell block after the set-up commands (those two are CI itself), in order."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    after_setup = readme.split("## Walk-through", 1)[1]
    return "\n".join(re.findall(r"```sh\n(.*?)```", after_setup, re.S))


@pytest.mark.slow
def test_the_readme_walkthrough_works_as_written(tmp_path):
    for name in (".venv", "rulesets", "samples"):  # the commands call .venv/bin/xinzhi on the repository's files
        (tmp_path / name).symlink_to(ROOT / name)
    script = walkthrough()
    assert "localhost:8000" in script and "/facts" in script
    with serve(None, demo=True, cwd=tmp_path, auth=True) as base:
        script = script.replace("localhost:8000", base).replace("curl -s ", "curl -sS --fail-with-body ")
        run = subprocess.run(["bash", "-euo", "pipefail", "-c", script],  # a step answered 4xx fails the test
                             cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.count('"resident": "N001"') >= 3 and '"duplicate": false' in run.stdout
    assert '"fact_id": "readme-1"' in run.stdout and '"summary":' in run.stdout
    assert '"title": "第三村民小组"' in run.stdout and '"zone": "g2"' in run.stdout  # another community's own groups
    assert '"held_by": "household"' in run.stdout and '"name": "张*家"' in run.stdout  # a village's household account
    assert '"index": 108,' in run.stdout  # 100 once for the household, + 5 for X002's deed, + 3 for its courtyard
    indexes = [int(i) for i in re.findall(r'^    "index": (\d+),$', run.stdout, re.M)]
    assert len(indexes) >= 2 and indexes[1] > indexes[0]  # the score moved by the award
    assert (tmp_path / "volunteering.xlsx").read_bytes()[:2] == b"PK" and (tmp_path / "scores.xlsx").exists()
    assert "8 rows: 8 scored" in run.stdout  # the sample spreadsheet names the demo's residents
    assert (tmp_path / "whatif" / "report.html").exists() and '"duplicate": true' not in run.stderr
    assert run.stdout.count('"points_after":') >= 2  # the counter's redemption and the resident's own (found by use)
