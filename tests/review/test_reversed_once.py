"""An award is reversed at most once, whichever path asks: an appeal, an upheld objection, or both.

Found by attack: an approved award was reversed by an appeal and then again by an upheld
objection (117 → 123 → 117 → 111). The entry's whole history decides, in either order.
"""

from __future__ import annotations

import itertools

import pytest

from tests.support.cycle_standard import CYCLE_V1
from tests.support.fixtures import new_community
from xinzhi.db.tables import LedgerEntry
from xinzhi.errors import ServiceCode, ServiceError
from xinzhi.ledger import resident_score
from xinzhi.review import (
    AppealCreate,
    ObjectionCreate,
    ObjectionResolve,
    ReviewDecision,
    decide_review,
    file_appeal,
    file_objection,
    list_reviews,
    resolve_objection,
)
from xinzhi.scoring import post_fact

numbers = itertools.count()


def approved_award(service, community: str) -> tuple[int, int, int]:
    """(award entry seq, release entry seq, notice) of a held heritage award the committee approved."""
    fact = f"h{next(numbers)}"
    result = post_fact(service, community, {"id": fact, "type": "heritage", "resident": "r1",
                                            "occurred_at": "2021-03-05T10:00:00+08:00", "fields": {"hours": 2}})
    award = next(e.seq for e in result.entries if e.kind == "award")
    notice = next(r.notice for r in list_reviews(service, community, status="pending") if r.fact_id == fact)
    decide_review(service, community, notice, ReviewDecision(decision="approve"))
    with service.db.reading() as session:
        release = session.scalars(LedgerEntry.__table__.select().where(
            LedgerEntry.community == community, LedgerEntry.fact_id == fact, LedgerEntry.kind == "adjustment",
            LedgerEntry.amount > 0)).one()
    return award, release, notice


@pytest.mark.parametrize("target", ["award", "release"])
def test_an_appeal_then_an_upheld_objection_reverse_once(service, target):
    community = new_community(service, residents=1, ruleset=CYCLE_V1)
    award, release, notice = approved_award(service, community)
    before = resident_score(service, community, "r1", None).index
    file_appeal(service, community, AppealCreate(action="reverse", entry=award if target == "award" else release,
                                                 reason="重复登记"))
    after_appeal = resident_score(service, community, "r1", None).index
    assert after_appeal == before - 8
    objection = file_objection(service, community, ObjectionCreate(notice=notice, reason="不属实"), filed_by="r2")
    with pytest.raises(ServiceError) as refused:
        resolve_objection(service, community, objection.seq, ObjectionResolve(decision="upheld", resolution="属实"))
    assert refused.value.code == ServiceCode.ENTRY_ALREADY_CORRECTED
    assert resident_score(service, community, "r1", None).index == after_appeal


@pytest.mark.parametrize("target", ["award", "release"])
def test_an_upheld_objection_then_an_appeal_reverse_once(service, target):
    community = new_community(service, residents=1, ruleset=CYCLE_V1)
    award, release, notice = approved_award(service, community)
    before = resident_score(service, community, "r1", None).index
    objection = file_objection(service, community, ObjectionCreate(notice=notice, reason="不属实"), filed_by="r2")
    resolve_objection(service, community, objection.seq, ObjectionResolve(decision="upheld", resolution="属实"))
    after_objection = resident_score(service, community, "r1", None).index
    assert after_objection == before - 8
    with pytest.raises(ServiceError) as refused:
        file_appeal(service, community, AppealCreate(action="reverse", entry=award if target == "award" else release,
                                                     reason="重复登记"))
    assert refused.value.code == ServiceCode.ENTRY_ALREADY_CORRECTED
    assert resident_score(service, community, "r1", None).index == after_objection


@pytest.mark.parametrize(("decision", "refused"), [(None, True), ("reject", True), ("approve", False)])
def test_an_award_under_review_is_decided_by_its_review_not_by_an_appeal(service, decision, refused):
    """Found by attack: reversing a held award took its points off a second time (100 → 92); approval paid it anyway.

    An award the review has not approved never reached the accounts (its hold took it back).
    """
    community = new_community(service, residents=1, ruleset=CYCLE_V1)
    result = post_fact(service, community, {"id": "held", "type": "heritage", "resident": "r1",
                                            "occurred_at": "2021-03-05T10:00:00+08:00", "fields": {"hours": 2}})
    award = next(e.seq for e in result.entries if e.kind == "award")
    if decision:
        [pending] = list_reviews(service, community, status="pending")
        decide_review(service, community, pending.notice, ReviewDecision(decision=decision))
    before = resident_score(service, community, "r1", None)
    appeal = AppealCreate(action="reverse", entry=award, reason="撤销待审奖励")
    if refused:
        with pytest.raises(ServiceError) as raised:
            file_appeal(service, community, appeal)
        assert raised.value.code == ServiceCode.ENTRY_UNDER_REVIEW and raised.value.problems[0].path == "entry"
        after = resident_score(service, community, "r1", None)
        assert (after.index, after.points) == (before.index, before.points) == (100, 0)
    else:
        file_appeal(service, community, appeal)
        assert resident_score(service, community, "r1", None).index == before.index - 8
