"""Council cases on both backends: closing emits mediation facts scored once, even when raced."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.cycle_standard import CYCLE_V1
from tests.support.fixtures import new_community
from xinzhi.council import (
    CaseClose,
    CaseConvene,
    CaseReport,
    CouncilMember,
    case_statistics,
    close_case,
    convene_case,
    report_case,
)
from xinzhi.errors import ServiceCode, ServiceError
from xinzhi.ledger import resident_ledger, resident_score


@pytest.fixture
def council(service):
    return new_community(service, residents=4, ruleset=CYCLE_V1)


def convened(service, community: str) -> str:
    case = report_case(service, community, CaseReport(kind="water_leak", zone="south", building="7号楼",
                                                    description="楼上漏水", parties=["r1", "r2"], reported_by="r4"))
    convene_case(service, community, case.id, CaseConvene(members=[
        CouncilMember(name="物业", role="property_company"),
        CouncilMember(name="居民代表", role="resident_representative", resident="r3")]))
    return case.id


def test_racing_closes_award_once(service, council):
    case = convened(service, council)
    barrier = threading.Barrier(6)

    def close(i: int):
        barrier.wait()
        try:
            return close_case(service, council, case, CaseClose(outcome="修好", satisfaction={"r1": 3 + i % 3,
                                                                                          "r2": 5 - i % 3}))
        except ServiceError as exc:
            return exc.code

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(close, range(6)))
    winners = [r for r in results if not isinstance(r, ServiceCode)]
    assert len(winners) == 1 and results.count(ServiceCode.CASE_WRONG_STATE) == 5
    satisfaction = winners[0].satisfaction
    party = {5: 3, 4: 2, 3: 1}
    assert resident_score(service, council, "r1").points == party[satisfaction["r1"]]
    assert resident_score(service, council, "r2").points == party[satisfaction["r2"]]
    mean = satisfaction["r1"] + satisfaction["r2"]  # 8 → 4 → 3 points for the mediator
    assert mean == 8 and resident_score(service, council, "r3").points == 3
    [entry] = resident_ledger(service, council, "r3").entries
    assert entry.fact_id == f"council:{case}:mediator:r3" and entry.rule_id == "mediation_mediator"


def test_closing_needs_every_partys_satisfaction_and_a_convened_case(service, council):
    case = report_case(service, council, CaseReport(kind="parking_space", zone="north", description="车位",
                                                  parties=["r1"], reported_by="网格员"))
    with pytest.raises(ServiceError) as raised:
        close_case(service, council, case.id, CaseClose(outcome="x", satisfaction={"r1": 5}))
    assert raised.value.code == ServiceCode.CASE_WRONG_STATE
    case_id = convened(service, council)
    with pytest.raises(ServiceError) as raised:
        close_case(service, council, case_id, CaseClose(outcome="x", satisfaction={"r1": 5}))
    assert raised.value.code == ServiceCode.REQUEST_INVALID
    stats = case_statistics(service, council)
    assert (stats.total, stats.open, stats.closed, stats.resolution_rate) == (2, 2, 0, 0.0)


def test_a_ruleset_without_mediation_leaves_the_case_open(service):
    community = new_community(service, residents=4)  # the civic standard has no `mediation` fact type
    case = convened(service, community)
    with pytest.raises(ServiceError) as raised:
        close_case(service, community, case, CaseClose(outcome="x", satisfaction={"r1": 5, "r2": 5}))
    assert raised.value.code == ServiceCode.FACTS_REJECTED
    assert case_statistics(service, community).open == 1
