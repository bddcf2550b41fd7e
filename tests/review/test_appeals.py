"""Appeals keep the original entry; balances always equal the ledger sum (property test, both backends).

Each example drives one fresh resident through a random mix of awards, reviewed awards and
their approval, redemptions, cancellations, reversals, corrections and manual adjustments,
and checks the store against an independent model of the accounts.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.support.cycle_standard import CYCLE_V1
from tests.support.fixtures import new_community
from xinzhi.communities import ResidentCreate, register_residents
from xinzhi.db.tables import LedgerEntry
from xinzhi.errors import ServiceCode, ServiceError
from xinzhi.ledger import resident_score, totals_by_resident
from xinzhi.review import AppealCreate, ReviewDecision, decide_review, file_appeal, list_reviews
from xinzhi.scoring import post_fact
from xinzhi.shop import ItemCreate, RedemptionCreate, cancel_redemption, put_items, redeem

PRICE = 7
FAR_FUTURE = dt.datetime(2200, 1, 1, tzinfo=dt.UTC)
counter = itertools.count()

operations = st.lists(st.one_of(
    st.tuples(st.just("award")),
    st.tuples(st.just("heritage"), st.integers(1, 3)),
    st.tuples(st.just("approve"), st.integers(0, 5)),
    st.tuples(st.just("redeem"), st.integers(1, 3)),
    st.tuples(st.just("cancel"), st.integers(0, 5)),
    st.tuples(st.just("reverse"), st.integers(0, 8)),
    st.tuples(st.just("correct"), st.integers(0, 8), st.integers(-5, 10)),
    st.tuples(st.just("adjust"), st.integers(-5, 5), st.integers(-5, 20)),
), min_size=1, max_size=10)


@pytest.fixture(scope="module")
def cycle(service):
    community = new_community(service, residents=1, ruleset=CYCLE_V1)
    put_items(service, community, [ItemCreate(id="rice", kind="goods", title="大米", price=PRICE, stock=10_000)])
    return community


def one_award(candidates: list[LedgerEntry], target: LedgerEntry) -> set[int]:
    """The entries undone with ``target``: an award and the release that approved it are one movement."""
    def awarded(entry: LedgerEntry) -> bool:
        return entry.kind == "award" or "releases" in entry.explanation
    if not (awarded(target) and target.fact_id):
        return {target.seq}
    return {e.seq for e in candidates if awarded(e) and (e.fact_id, e.rule_id) == (target.fact_id, target.rule_id)}


def entries(service, community: str, resident: str) -> list[LedgerEntry]:
    with service.db.reading() as session:
        return list(session.scalars(select(LedgerEntry).where(
            LedgerEntry.community == community, LedgerEntry.resident == resident).order_by(LedgerEntry.seq)))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_balances_equal_the_ledger_sum_and_originals_stay(service, cycle, ops):
    resident = f"p{next(counter)}"
    register_residents(service, cycle, [ResidentCreate(id=resident, name="张三凤", zone="north")])
    index, points = 100, 0  # the independent model
    redemptions: list[tuple[str, int]] = []
    cancelled: set[str] = set()
    corrected: set[int] = set()
    seen: dict[int, tuple] = {}
    facts = itertools.count()
    for op in ops:
        kind = op[0]
        if kind == "award":
            post_fact(service, cycle, {"id": f"{resident}-a{next(facts)}", "type": "activity", "resident": resident,
                                     "occurred_at": "2024-05-01T10:00:00+08:00", "fields": {"name": "x"}})
            index, points = index + 5, points + 5
        elif kind == "heritage":  # pending: neither index nor points move
            post_fact(service, cycle, {"id": f"{resident}-h{next(facts)}", "type": "heritage", "resident": resident,
                                     "occurred_at": "2024-05-01T10:00:00+08:00", "fields": {"hours": op[1]}})
        elif kind == "approve":
            pending = list_reviews(service, cycle, status="pending", resident=resident)
            if pending:
                item = pending[op[1] % len(pending)]
                decide_review(service, cycle, item.notice, ReviewDecision(decision="approve"))
                index, points = index + item.amount, points + item.amount
        elif kind == "redeem":
            cost = PRICE * op[1]
            try:
                made = redeem(service, cycle, RedemptionCreate(id=f"rd-{resident}-{next(facts)}", resident=resident,
                                                               item="rice", quantity=op[1]))
            except ServiceError as exc:
                assert exc.code == ServiceCode.INSUFFICIENT_POINTS and points < cost
            else:
                assert points >= cost
                points -= cost
                redemptions.append((made.id, cost))
        elif kind == "cancel" and redemptions:
            rid, cost = redemptions[op[1] % len(redemptions)]
            try:
                cancel_redemption(service, cycle, rid)
            except ServiceError as exc:
                assert exc.code == ServiceCode.REDEMPTION_CANCELLED and rid in cancelled
            else:
                assert rid not in cancelled
                cancelled.add(rid)
                points += cost
        elif kind in ("reverse", "correct"):
            targets = [e for e in entries(service, cycle, resident)
                       if e.kind in ("award", "adjustment") and "holds" not in e.explanation]
            if not targets:
                continue
            target = targets[op[1] % len(targets)]
            body = {"action": kind, "entry": target.seq, "reason": "申诉核实"}
            if kind == "correct":
                body["amount"] = op[2]
            mixed = target.index_delta and target.points_delta and target.index_delta != target.points_delta
            # an award still under review never reached the accounts: its review decides it, not an appeal
            held = target.kind == "award" and (target.fact_id, target.rule_id) in {
                (r.fact_id, r.rule_id) for r in list_reviews(service, cycle, status="pending", resident=resident)}
            try:
                file_appeal(service, cycle, AppealCreate(**body))
            except ServiceError as exc:
                assert (exc.code == ServiceCode.ENTRY_UNDER_REVIEW and held) or \
                    (exc.code == ServiceCode.ENTRY_ALREADY_CORRECTED and one_award(targets, target) & corrected) or \
                    (exc.code == ServiceCode.REQUEST_INVALID and kind == "correct" and mixed)
            else:
                assert not held and not one_award(targets, target) & corrected
                corrected.add(target.seq)
                if kind == "reverse":
                    index, points = index - target.index_delta, points - target.points_delta
                else:  # in the accounts the entry names, even when it moved nothing
                    change = op[2] - target.amount
                    index += change if "index" in target.accounts else 0
                    points += change if "points" in target.accounts else 0
        elif kind == "adjust" and (op[1] or op[2]):
            file_appeal(service, cycle, AppealCreate(action="adjust", resident=resident, index_delta=op[1],
                                                   points_delta=op[2], reason="议事会调整"))
            index, points = index + op[1], points + op[2]
        ledger = entries(service, cycle, resident)
        for entry in ledger:  # nothing is ever edited or removed
            snapshot = (entry.kind, entry.amount, entry.index_delta, entry.points_delta)
            assert seen.setdefault(entry.seq, snapshot) == snapshot
        assert set(seen) == {e.seq for e in ledger}
        with service.db.reading() as session:  # the kept running sums are the ledger's sums, after every step
            kept = totals_by_resident(session, cycle).get(resident)
            assert kept == totals_by_resident(session, cycle, until=FAR_FUTURE).get(resident)
        score = resident_score(service, cycle, resident)
        assert score.points == sum(e.points_delta for e in ledger) == points
        assert score.index == 100 + sum(e.index_delta for e in ledger) == index
    running = 0
    for entry in entries(service, cycle, resident):
        running += entry.points_delta
        if entry.kind == "redemption":
            assert running >= 0  # a redemption never overdrew what the ledger held at the time
            assert entry.index_delta == 0
