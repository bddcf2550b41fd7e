"""A household's members spend from its one account (户积分): above its spending floor, at its tier, once.

Fifty redemptions by two members at once, against a balance for ten, make ten; a cancellation
gives the points back to the household; the ledger names who redeemed.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.engine.test_households import VILLAGE
from tests.shop.test_service import race
from tests.support.fixtures import new_community
from xinzhi.db.tables import LedgerEntry
from xinzhi.errors import ServiceCode, ServiceError
from xinzhi.ledger import household_view
from xinzhi.scoring import post_facts
from xinzhi.shop import ItemCreate, RedemptionCreate, cancel_redemption, put_items, redeem

FLOORED = VILLAGE.replace("  starting_index: 100\n", "  starting_index: 100\n  spending_floor: 5\n")


def deeds(*members: str, month: int = 3) -> list[dict]:
    return [{"id": f"d{month}-{n}-{m}", "type": "deed", "resident": m,
             "occurred_at": f"2024-{month:02d}-0{n + 1}T10:00:00+08:00"} for n, m in enumerate(members)]


@pytest.fixture
def village(service) -> str:
    community = new_community(service, residents=4, ruleset=FLOORED)  # r1 r2 in h1, r3 r4 in h2
    put_items(service, community, [ItemCreate(id="soap", kind="goods", title="洗衣皂", price=1, stock=1000),
                                   ItemCreate(id="oil", kind="goods", title="食用油", price=10, stock=10,
                                              min_tier="star")])
    return community


def test_members_redeem_from_the_household_above_its_floor_and_a_cancellation_gives_back_to_it(service, village):
    post_facts(service, village, deeds("r1", "r2"))  # h1: 10 points, 5 of them spendable above the floor
    done = redeem(service, village, RedemptionCreate(id="a", resident="r2", item="soap", quantity=5))
    assert done.points_after == 0  # what is left to spend above the floor
    with pytest.raises(ServiceError) as refused:
        redeem(service, village, RedemptionCreate(id="b", resident="r1", item="soap"))
    assert refused.value.code == ServiceCode.INSUFFICIENT_POINTS and "household h1 has 0" in refused.value.detail
    with service.db.reading() as session:
        spent = session.scalars(select(LedgerEntry).where(LedgerEntry.community == village,
                                                          LedgerEntry.kind == "redemption")).one()
    assert (spent.resident, spent.member, spent.points_delta) == ("h1", "r2", -5)
    cancel_redemption(service, village, "a")
    assert household_view(service, village, "h1").account.points == 10


def test_a_tier_gate_reads_the_households_tier(service, village):
    post_facts(service, village, deeds("r1", "r2") + deeds("r3", "r4"))  # both households at 110: "ok"
    with pytest.raises(ServiceError) as refused:
        redeem(service, village, RedemptionCreate(id="c", resident="r1", item="oil"))
    assert refused.value.code == ServiceCode.TIER_TOO_LOW
    post_facts(service, village, deeds("r1", "r2", month=4))  # h1 at 120: a star household (星级文明户)
    assert household_view(service, village, "h1").account.tier == "star"
    assert redeem(service, village, RedemptionCreate(id="d", resident="r1", item="oil")).points_after == 5
    with pytest.raises(ServiceError) as still:
        redeem(service, village, RedemptionCreate(id="e", resident="r3", item="oil"))  # h2 is not
    assert still.value.code == ServiceCode.TIER_TOO_LOW


def test_fifty_redemptions_by_two_members_at_once_against_a_household_balance_for_ten(service, village):
    post_facts(service, village, deeds("r1", "r2", month=3) + deeds("r1", "r2", month=4)
               + deeds("r1", "r2", month=5))  # 30 points, 25 above the floor
    results = race(50, lambda i: redeem(service, village, RedemptionCreate(
        id=f"rd-{i}", resident="r1" if i % 2 else "r2", item="soap", quantity=2)))
    assert sum(1 for r in results if not isinstance(r, ServiceCode)) == 12  # 24 of the 25 spendable points
    assert [r for r in results if isinstance(r, ServiceCode)] == [ServiceCode.INSUFFICIENT_POINTS] * 38
    assert household_view(service, village, "h1").account.points == 6
