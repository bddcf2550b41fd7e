"""The credit supermarket under concurrency, on SQLite and PostgreSQL (real threads, no mocks)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from tests.support.cycle_standard import CYCLE_V1
from tests.support.fixtures import new_community
from xinzhi.db.tables import LedgerEntry
from xinzhi.errors import ServiceCode, ServiceError
from xinzhi.ledger import resident_score
from xinzhi.review import AppealCreate, file_appeal
from xinzhi.shop import (
    ItemCreate,
    RedemptionCreate,
    cancel_redemption,
    list_items,
    put_items,
    redeem,
)


def give_points(service, community: str, resident: str, points: int) -> None:
    file_appeal(service, community, AppealCreate(action="adjust", resident=resident, points_delta=points,
                                               reason="test: opening balance"))


def ledger(service, community: str, resident: str) -> list[LedgerEntry]:
    with service.db.reading() as session:
        return list(session.scalars(select(LedgerEntry).where(
            LedgerEntry.community == community, LedgerEntry.resident == resident).order_by(LedgerEntry.seq)))


def race(n: int, call):
    """Run ``call(i)`` in ``n`` threads released at once; results or ServiceError codes."""
    barrier = threading.Barrier(n)

    def run(i):
        barrier.wait()
        try:
            return call(i)
        except ServiceError as exc:
            return exc.code

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


@pytest.fixture
def shop(service):
    community = new_community(service, ruleset=CYCLE_V1)
    put_items(service, community, [
        ItemCreate(id="soap", kind="goods", title="洗衣皂", price=10, stock=1000),
        ItemCreate(id="heritage", kind="course", title="信易+非遗 剪纸课", price=5, stock=10),
        ItemCreate(id="physio", kind="service", title="白手杖理疗", price=20, stock=5, min_tier="A"),
    ])
    return community


def test_fifty_concurrent_redemptions_against_a_balance_for_ten(service, shop):
    give_points(service, shop, "r1", 100)
    results = race(50, lambda i: redeem(service, shop, RedemptionCreate(resident="r1", item="soap")))
    succeeded = [r for r in results if not isinstance(r, ServiceCode)]
    assert len(succeeded) == 10
    assert [r for r in results if isinstance(r, ServiceCode)] == [ServiceCode.INSUFFICIENT_POINTS] * 40
    running, entries = 0, ledger(service, shop, "r1")
    for entry in entries:  # in the order written: the balance never dips below zero
        running += entry.points_delta
        assert running >= 0
    score = resident_score(service, shop, "r1")
    assert score.points == running == 0 and score.index == 100  # a redemption never touches the index
    assert {i.id: i.stock for i in list_items(service, shop)}["soap"] == 990


def test_fifty_concurrent_redemptions_against_stock_for_ten(service, shop):
    for i in range(1, 6):
        give_points(service, shop, f"r{i}", 1000)
    results = race(50, lambda i: redeem(service, shop, RedemptionCreate(resident=f"r{i % 5 + 1}", item="heritage")))
    assert sum(not isinstance(r, ServiceCode) for r in results) == 10
    assert {r for r in results if isinstance(r, ServiceCode)} == {ServiceCode.OUT_OF_STOCK}
    assert {i.id: i.stock for i in list_items(service, shop)}["heritage"] == 0
    assert sum(resident_score(service, shop, f"r{i}").points for i in range(1, 6)) == 5000 - 10 * 5


def test_a_redemption_cancelled_twice_at_once_refunds_once(service, shop):
    give_points(service, shop, "r2", 50)
    made = [redeem(service, shop, RedemptionCreate(resident="r2", item="soap")) for _ in range(3)]
    for redemption in made:
        results = race(2, lambda i, rid=redemption.id: cancel_redemption(service, shop, rid, reason="changed mind"))
        assert [r for r in results if isinstance(r, ServiceCode)] == [ServiceCode.REDEMPTION_CANCELLED]
        assert [r.status for r in results if not isinstance(r, ServiceCode)] == ["cancelled"]
    refunds = [e for e in ledger(service, shop, "r2") if e.kind == "refund"]
    assert len(refunds) == 3 and {e.explanation["refunds_seq"] for e in refunds} == {r.ledger_seq for r in made}
    assert resident_score(service, shop, "r2").points == 50
    assert {i.id: i.stock for i in list_items(service, shop)}["soap"] == 1000


def test_refusals_store_nothing_and_say_why(service, shop):
    give_points(service, shop, "r3", 30)
    with pytest.raises(ServiceError) as raised:
        redeem(service, shop, RedemptionCreate(resident="r3", item="physio"))
    assert raised.value.code == ServiceCode.TIER_TOO_LOW  # index 100 is tier B; physio is for A
    with pytest.raises(ServiceError) as raised:
        redeem(service, shop, RedemptionCreate(resident="r3", item="soap", quantity=4))
    assert raised.value.code == ServiceCode.INSUFFICIENT_POINTS and raised.value.extra == {"points": 30, "cost": 40}
    with pytest.raises(ServiceError) as raised:
        redeem(service, shop, RedemptionCreate(resident="r3", item="heritage", quantity=11))
    assert raised.value.code == ServiceCode.OUT_OF_STOCK
    put_items(service, shop, [ItemCreate(id="soap", kind="goods", title="洗衣皂", price=10, stock=1000, active=False)])
    with pytest.raises(ServiceError) as raised:
        redeem(service, shop, RedemptionCreate(resident="r3", item="soap"))
    assert raised.value.code == ServiceCode.ITEM_INACTIVE
    with pytest.raises(ServiceError) as raised:
        redeem(service, shop, RedemptionCreate(resident="r3", item="nothing"))
    assert raised.value.code == ServiceCode.ITEM_NOT_FOUND
    assert [e.kind for e in ledger(service, shop, "r3")] == ["adjustment"]
