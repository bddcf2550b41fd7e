"""Small scenarios and candidate drafts shared by the simulation tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import RULESETS
from xinzhi.simulations.population import DEFAULT_SCENARIO, Scenario, load_scenario

YIHE = RULESETS / "yihe_2021.yaml"


def small_scenario(residents: int = 160, months: int = 3, **activity_zones: dict) -> Scenario:
    """The default scenario, shrunk; ``activity_zones`` replaces an activity's zone multipliers."""
    scenario = load_scenario(DEFAULT_SCENARIO)
    data = scenario.model_dump(by_alias=True, exclude_none=True)
    data["residents"] = residents
    data["period"]["months"] = months
    for key, zones in activity_zones.items():
        data["activities"][key]["zone"] = zones
    return Scenario.model_validate(data)


def write_draft(directory: Path, name: str, body: str) -> Path:
    """A candidate draft extending the Yihe standard (its parent is found in rulesets/)."""
    path = directory / f"{name}.yaml"
    path.write_text(f"id: {name}\nversion: 1\ntitle: 候选草案 {name}\ncommunity: 亿和社区\n"
                    f"effective_from: 2021-01-01\nextends: yihe_2021@1\n{body}", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def yihe_path() -> Path:
    return YIHE
