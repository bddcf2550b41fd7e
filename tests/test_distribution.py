"""The wheel is the product: built, installed into a fresh environment outside the checkout, and run.

It must claim only the ``xinzhi`` import namespace and carry the reference rulesets, the
scenarios, the migrations and the console as package data, so that ``pip install xinzhi``
then ``xinzhi serve --demo`` scores the demo by the Yihe standard.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import serve
from tests.conftest import ROOT

pytestmark = pytest.mark.slow  # builds and installs the wheel


def run(*command: str | Path, cwd: Path, timeout: int = 900) -> subprocess.CompletedProcess:
    result = subprocess.run([str(c) for c in command], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                            stdin=subprocess.DEVNULL)
    assert result.returncode == 0, f"{command} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path]:
    """(bin directory of a fresh virtual environment with the wheel installed, a work folder outside the checkout)."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"  # setuptools builds in the source folder: a copy keeps the checkout clean
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".git", ".venv", "build", "*.egg-info", "__pycache__",
                                                                "*.db", "*.db-*", "test-artifacts", ".hypothesis"))
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", base / "dist", source, cwd=base)
    wheel = next((base / "dist").glob("xinzhi-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.startswith("xinzhi-")}
    assert tops == {"xinzhi"}, f"the wheel installs more than the xinzhi namespace: {sorted(tops)}"
    for data in ("xinzhi/rulesets/yihe_2021.yaml", "xinzhi/rulesets/dongshan_2022.yaml",
                 "xinzhi/simulations/scenarios/yihe_default.yaml", "xinzhi/api/console/static/index.html",
                 "xinzhi/db/migrations/versions/0001_initial.py", "xinzhi/simulations/report.schema.json"):
        assert data in names, f"{data} is not in the wheel"
    run(sys.executable, "-m", "venv", base / "venv", cwd=base)
    bin_dir = base / "venv" / "bin"
    run(bin_dir / "pip", "install", "-q", wheel, cwd=base)
    work = base / "work"
    work.mkdir()
    return bin_dir, work


def test_the_installed_command_validates_its_own_rulesets(installed):
    bin_dir, work = installed
    where = run(bin_dir / "python", "-c",
                "import xinzhi.rulesets, os; print(os.path.dirname(xinzhi.rulesets.__file__))", cwd=work).stdout.strip()
    rulesets = Path(where)
    assert ROOT not in rulesets.parents and rulesets.is_relative_to(bin_dir.parent)
    out = run(bin_dir / "xinzhi", "validate", *sorted(rulesets.glob("*.yaml")), cwd=work).stdout
    assert "yihe_2021" in out and "dongshan_2022" in out


def test_the_installed_demo_scores_by_the_packaged_standard(installed):
    bin_dir, work = installed
    with serve(None, demo=True, cwd=work, auth=True, xinzhi=bin_dir / "xinzhi") as base:
        token = run(bin_dir / "xinzhi", "token", "create", "--role", "staff", cwd=work).stdout.split()[-1]
        answer = httpx.get(f"{base}/communities/yihe/residents/N001/score",
                           headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert answer.status_code == 200, answer.text
    score = answer.json()
    assert score["ruleset"] == "yihe_2021@1" and score["index"] != 0 and score["tier"]


def test_the_installed_simulate_writes_a_report(installed):
    bin_dir, work = installed
    rulesets = Path(run(bin_dir / "python", "-c", "import xinzhi.rulesets, os; "
                        "print(os.path.dirname(xinzhi.rulesets.__file__))", cwd=work).stdout.strip())
    run(bin_dir / "xinzhi", "simulate", "--baseline", rulesets / "yihe_2021.yaml",
        "--candidate", rulesets / "dongshan_2022.yaml", "--scenario", "--residents", "40", "--months", "2",
        "--workers", "1", "--quiet", "--out", work / "report", cwd=work)
    report = json.loads((work / "report" / "report.json").read_text(encoding="utf-8"))
    assert report["baseline"]["ref"] == "yihe_2021@1" and report["candidate"]["lineage"][-1] == "yihe_2021@1"
    assert report["totals"] and (work / "report" / "report.html").exists()
