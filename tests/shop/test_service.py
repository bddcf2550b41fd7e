"""The credit supermarket under concurrency, on SQLite and PostgreSQL (real threads, no mocks)."""

from __future__ import annotations

import datetime as dt
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
    get_redemption,
    list_items,
    list_redemptions,
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
    results = race(50, lambda i: redeem(service, shop, RedemptionCreate(id=f"rd-{i}", resident="r1", item="soap")))
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
    results = race(50, lambda i: redeem(service, shop, RedemptionCreate(id=f"rd-{i}", resident=f"r{i % 5 + 1}",
                                                                        item="heritage")))
    assert sum(not isinstance(r, ServiceCode) for r in results) == 10
    assert {r for r in results if isinstance(r, ServiceCode)} == {ServiceCode.OUT_OF_STOCK}
    assert {i.id: i.stock for i in list_items(service, shop)}["heritage"] == 0
    assert sum(resident_score(service, shop, f"r{i}").points for i in range(1, 6)) == 5000 - 10 * 5


def test_a_redemption_cancelled_twice_at_once_refunds_once(service, shop):
    give_points(service, shop, "r2", 50)
    made = [redeem(service, shop, RedemptionCreate(id=f"rd-3-{k}", resident="r2", item="soap")) for k in range(3)]
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
        redeem(service, shop, RedemptionCreate(id="rd-4", resident="r3", item="physio"))
    assert raised.value.code == ServiceCode.TIER_TOO_LOW  # index 100 is tier B; physio is for A
    with pytest.raises(ServiceError) as raised:
        redeem(service, shop, RedemptionCreate(id="rd-5", resident="r3", item="soap", quantity=4))
    assert raised.value.code == ServiceCode.INSUFFICIENT_POINTS and raised.value.extra == {"points": 30, "cost": 40}
    with pytest.raises(ServiceError) as raised:
        redeem(service, shop, RedemptionCreate(id="rd-6", resident="r3", item="heritage", quantity=11))
    assert raised.value.code == ServiceCode.OUT_OF_STOCK
    put_items(service, shop, [ItemCreate(id="soap", kind="goods", title="洗衣皂", price=10, stock=1000, active=False)])
    with pytest.raises(ServiceError) as raised:
        redeem(service, shop, RedemptionCreate(id="rd-7", resident="r3", item="soap"))
    assert raised.value.code == ServiceCode.ITEM_INACTIVE
    with pytest.raises(ServiceError) as raised:
        redeem(service, shop, RedemptionCreate(id="rd-8", resident="r3", item="nothing"))
    assert raised.value.code == ServiceCode.ITEM_NOT_FOUND
    assert [e.kind for e in ledger(service, shop, "r3")] == ["adjustment"]


def test_the_same_redemption_sent_again_spends_once_and_another_use_of_its_id_is_a_conflict(service, shop):
    give_points(service, shop, "r4", 30)
    first = redeem(service, shop, RedemptionCreate(id="voucher-1", resident="r4", item="soap"))
    again = redeem(service, shop, RedemptionCreate(id="voucher-1", resident="r4", item="soap"))
    assert (first.duplicate, again.duplicate) == (False, True) and again.ledger_seq == first.ledger_seq
    put_items(service, shop, [ItemCreate(id="soap", kind="goods", title="肥皂（新）", price=10, stock=1000)])
    renamed = redeem(service, shop, RedemptionCreate(id="voucher-1", resident="r4", item="soap"))
    read = [get_redemption(service, shop, "voucher-1"), *list_redemptions(service, shop, resident="r4")]
    assert {r.item_title for r in [first, renamed, *read]} == {"洗衣皂"}  # its title then, as the first answer said
    for other in (RedemptionCreate(id="voucher-1", resident="r4", item="soap", quantity=2),
                  RedemptionCreate(id="voucher-1", resident="r5", item="soap")):
        with pytest.raises(ServiceError) as raised:
            redeem(service, shop, other)
        assert raised.value.code == ServiceCode.REDEMPTION_ID_CONFLICT and "r4" not in raised.value.detail
    assert [e.kind for e in ledger(service, shop, "r4")] == ["adjustment", "redemption"]
    assert resident_score(service, shop, "r4").points == 20


def test_twenty_identical_redemptions_at_once_make_one(service, shop):
    give_points(service, shop, "r5", 100)
    results = race(20, lambda i: redeem(service, shop, RedemptionCreate(id="tap-tap", resident="r5", item="soap")))
    assert sorted(r.duplicate for r in results) == [False] + [True] * 19
    assert len({r.ledger_seq for r in results}) == 1
    assert resident_score(service, shop, "r5").points == 90
    assert {i.id: i.stock for i in list_items(service, shop)}["soap"] == 999


def earn(service, community: str, resident: str, fact_id: str, day: str) -> None:
    """Five points for joining an activity on ``day`` (CYCLE_V1's activity_join)."""
    from xinzhi.scoring import post_fact
    post_fact(service, community, {"id": fact_id, "type": "activity", "resident": resident,
                                   "occurred_at": f"{day}T10:00:00+08:00", "fields": {"name": "植树"}})


def test_a_paper_voucher_dated_later_counts_from_its_day(service, shop):
    earn(service, shop, "r1", "v-may", "2024-05-01")  # +5
    earn(service, shop, "r1", "v-jun", "2024-06-01")  # +5
    made = redeem(service, shop, RedemptionCreate(id="paper-17", resident="r1", item="heritage",
                                                  redeemed_at="2024-05-20T15:00:00"))
    assert made.redeemed_at == dt.datetime(2024, 5, 20, 7, tzinfo=dt.UTC)
    assert resident_score(service, shop, "r1", as_of=dt.date(2024, 5, 19)).points == 5
    assert resident_score(service, shop, "r1", as_of=dt.date(2024, 5, 20)).points == 0
    assert resident_score(service, shop, "r1").points == 5


@pytest.mark.parametrize(("moment", "code"), [
    ("2099-01-01T10:00:00+08:00", ServiceCode.REDEMPTION_DATE_INVALID),  # in the future
    ("2024-04-30T10:00:00+08:00", ServiceCode.REDEMPTION_DATE_INVALID),  # before the first entry
    ("2024-05-02T10:00:00+08:00", ServiceCode.INSUFFICIENT_POINTS),  # 5 then, but a later balance would go below 0
])
def test_a_dated_voucher_is_refused_when_no_moment_since_could_pay_for_it(service, shop, moment, code):
    earn(service, shop, "r2", "d-may", "2024-05-01")  # +5
    redeem(service, shop, RedemptionCreate(id="spent-june", resident="r2", item="heritage",
                                           redeemed_at="2024-06-10T10:00:00+08:00"))  # −5: 0 from June on
    with pytest.raises(ServiceError) as raised:
        redeem(service, shop, RedemptionCreate(id="late-paper", resident="r2", item="heritage", redeemed_at=moment))
    assert raised.value.code == code
    assert [e.kind for e in ledger(service, shop, "r2")] == ["award", "redemption"]


def test_points_past_their_date_are_not_spent_before_the_expiry_job_takes_them(service):
    """Found by attack: an award dated three years back (past its 24 months) stayed spendable until the daily job
    ran, which then took it again: a balance of -10. The shop writes the due expiry first; a score shows it gone."""
    from xinzhi.ledger import expire_points
    from xinzhi.scoring import post_fact

    community = new_community(service)  # civic: points expire 24 months after the award's month
    put_items(service, community, [ItemCreate(id="soap", kind="goods", title="洗衣皂", price=2, stock=100)])
    post_fact(service, community, {"id": "old", "type": "activity", "resident": "r1",
                                   "occurred_at": "2022-03-01T10:00:00+08:00", "fields": {"name": "植树"}})
    score = resident_score(service, community, "r1")
    assert (score.points, score.expiring) == (0, [])
    assert [(c.category, c.points) for c in score.categories] == [("(none)", -2), ("participation", 2)]
    with pytest.raises(ServiceError) as refused:
        redeem(service, community, RedemptionCreate(id="v1", resident="r1", item="soap"))
    assert refused.value.code == ServiceCode.INSUFFICIENT_POINTS
    recent = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).isoformat()
    post_fact(service, community, {"id": "new", "type": "activity", "resident": "r1", "occurred_at": recent,
                                   "fields": {"name": "植树"}})
    assert redeem(service, community, RedemptionCreate(id="v2", resident="r1", item="soap")).points_after == 0
    assert expire_points(service, community, dt.date.today() - dt.timedelta(days=1)).entries_written == 0
    entries = ledger(service, community, "r1")
    assert [(e.kind, e.points_delta) for e in entries] == [("award", 2), ("award", 2), ("expiry", -2),
                                                           ("redemption", -2)]
    assert sum(e.points_delta for e in entries) == 0 == resident_score(service, community, "r1").points


def test_a_cancelled_redemption_gives_back_points_that_expire_as_they_would_have(service):
    """Found by attack: a refund was new points that never expire, so cancelling a voucher dated before the points'
    expiry gave them back for good. A cancelled redemption is as if never made: what it spent expired on its date."""
    from xinzhi.ledger import expire_points
    from xinzhi.scoring import post_fact

    community = new_community(service)  # civic: points expire 24 months after the award's month
    put_items(service, community, [ItemCreate(id="soap", kind="goods", title="洗衣皂", price=2, stock=100)])
    post_fact(service, community, {"id": "old", "type": "activity", "resident": "r1",  # +2, expires 2026-05-31
                                   "occurred_at": "2024-05-10T10:00:00+08:00", "fields": {"name": "植树"}})
    post_fact(service, community, {"id": "new", "type": "activity", "resident": "r1", "fields": {"name": "植树"},
                                   "occurred_at": (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).isoformat()})
    redeem(service, community, RedemptionCreate(id="paper-1", resident="r1", item="soap",
                                                redeemed_at="2026-05-20T10:00:00+08:00"))  # spends the old 2
    cancel_redemption(service, community, "paper-1", reason="退货")
    entries = ledger(service, community, "r1")
    assert [(e.kind, e.points_delta) for e in entries][-2:] == [("refund", 2), ("expiry", -2)]
    assert sum(e.points_delta for e in entries) == 2 == resident_score(service, community, "r1").points
    assert expire_points(service, community, dt.date.today() - dt.timedelta(days=1)).entries_written == 0
