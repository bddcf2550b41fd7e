"""Council cases on both backends: closing emits mediation facts scored once, even when raced."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from store import (ServiceCode, ServiceError, case_statistics, close_case, convene_case, report_case,
                   resident_ledger, resident_score)
from store.council import CaseClose, CaseConvene, CaseReport, CouncilMember
from tests.store.conftest import new_community
from tests.store.cycle_standard import CYCLE_V1


@pytest.fixture
def council(store):
    return new_community(store, residents=4, ruleset=CYCLE_V1)


def convened(store, community: str) -> str:
    case = report_case(store, community, CaseReport(kind="water_leak", zone="south", building="7号楼",
                                                    description="楼上漏水", parties=["r1", "r2"], reported_by="r4"))
    convene_case(store, community, case.id, CaseConvene(members=[
        CouncilMember(name="物业", role="property_company"),
        CouncilMember(name="居民代表", role="resident_representative", resident="r3")]))
    return case.id


def test_racing_closes_award_once(store, council):
    case = convened(store, council)
    barrier = threading.Barrier(6)

    def close(i: int):
        barrier.wait()
        try:
            return close_case(store, council, case, CaseClose(outcome="修好", satisfaction={"r1": 3 + i % 3,
                                                                                          "r2": 5 - i % 3}))
        except ServiceError as exc:
            return exc.code

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(close, range(6)))
    winners = [r for r in results if not isinstance(r, ServiceCode)]
    assert len(winners) == 1 and results.count(ServiceCode.CASE_WRONG_STATE) == 5
    satisfaction = winners[0].satisfaction
    party = {5: 3, 4: 2, 3: 1}
    assert resident_score(store, council, "r1").points == party[satisfaction["r1"]]
    assert resident_score(store, council, "r2").points == party[satisfaction["r2"]]
    mean = satisfaction["r1"] + satisfaction["r2"]  # 8 → 4 → 3 points for the mediator
    assert mean == 8 and resident_score(store, council, "r3").points == 3
    [entry] = resident_ledger(store, council, "r3").entries
    assert entry.fact_id == f"council:{case}:mediator:r3" and entry.rule_id == "mediation_mediator"


def test_closing_needs_every_partys_satisfaction_and_a_convened_case(store, council):
    case = report_case(store, council, CaseReport(kind="parking_space", zone="north", description="车位",
                                                  parties=["r1"], reported_by="网格员"))
    with pytest.raises(ServiceError) as raised:
        close_case(store, council, case.id, CaseClose(outcome="x", satisfaction={"r1": 5}))
    assert raised.value.code == ServiceCode.CASE_WRONG_STATE
    case_id = convened(store, council)
    with pytest.raises(ServiceError) as raised:
        close_case(store, council, case_id, CaseClose(outcome="x", satisfaction={"r1": 5}))
    assert raised.value.code == ServiceCode.REQUEST_INVALID
    stats = case_statistics(store, council)
    assert (stats.total, stats.open, stats.closed, stats.resolution_rate) == (2, 2, 0, 0.0)


def test_a_ruleset_without_mediation_leaves_the_case_open(store):
    community = new_community(store, residents=4)  # the civic standard has no `mediation` fact type
    case = convened(store, community)
    with pytest.raises(ServiceError) as raised:
        close_case(store, community, case, CaseClose(outcome="x", satisfaction={"r1": 5, "r2": 5}))
    assert raised.value.code == ServiceCode.FACTS_REJECTED
    assert case_statistics(store, community).open == 1
