"""Tenths of a point in the store: the ledger, its running sums, reports and CSV keep them exact on both backends."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.engine.test_amounts import gift, tenths
from tests.support.exports import read_rows
from tests.support.fixtures import new_community
from xinzhi.db.tables import AccountTotal, LedgerEntry
from xinzhi.errors import ServiceError
from xinzhi.ledger import community_summary, export_ledger_csv, export_scores_csv, resident_ledger, resident_score
from xinzhi.review import AppealCreate, file_appeal
from xinzhi.scoring import post_facts


@pytest.fixture
def tenths_community(service) -> str:
    return new_community(service, ruleset=tenths())


def test_ten_tenths_are_exactly_one_point_in_the_ledger_its_sums_and_its_reports(service, tenths_community):
    c = tenths_community
    post_facts(service, c, [gift(n, 100) for n in range(10)] + [{**gift(20, 250), "resident": "r2"}])
    score = resident_score(service, c, "r1", as_of=None)
    assert (score.index, score.points, score.tier) == (Decimal(1020), Decimal(1), "A")
    assert score.model_dump(mode="json")["index"] == 1020
    with service.db.reading() as session:
        assert session.scalar(select(func.sum(LedgerEntry.amount)).where(LedgerEntry.community == c,
                                                                         LedgerEntry.resident == "r1")) == 1
        total = session.get(AccountTotal, (c, "r2"))
        assert (total.index_total, total.points_total) == (Decimal("0.2"), Decimal("0.2"))
    entries = resident_ledger(service, c, "r1").entries
    assert {e.model_dump(mode="json")["amount"] for e in entries} == {0.1}
    assert all("+0.1" in e.explanation["summary"] for e in entries)
    scores = {row["resident"]: row for row in read_rows(export_scores_csv(service, c))}
    assert (scores["r1"]["index"], scores["r2"]["index"], scores["r2"]["points"]) == ("1020", "1019.2", "0.2")
    ledger = read_rows("".join(export_ledger_csv(service, c, "r2")))
    assert [row["amount"] for row in ledger] == ["0.2"]
    summary = community_summary(service, c).model_dump(mode="json")
    assert [(m["awarded"], m["entries"]) for m in summary["months"]] == [(1.2, 11)]
    assert {z["zone"]: z["index_total"] for z in summary["zones"]} == {"north": 3058, "south": 2038.2}


def test_an_appeal_corrects_to_a_tenth_and_refuses_what_the_ledger_cannot_keep(service, tenths_community):
    c = tenths_community
    [fact] = post_facts(service, c, [gift(1, 300)]).results
    seq = fact.entries[0].seq
    file_appeal(service, c, AppealCreate(action="correct", entry=seq, amount=Decimal("0.1"), reason="只算一百元"),
                actor="committee")
    assert resident_score(service, c, "r1").points == Decimal("0.1")
    with pytest.raises(ValueError):
        AppealCreate(action="correct", entry=seq, amount=Decimal("0.001"), reason="太细了")


def test_an_appeal_is_refused_an_amount_finer_than_the_standard_states(service, tenths_community):
    c = tenths_community
    [fact] = post_facts(service, c, [gift(1, 300)]).results
    before = resident_score(service, c, "r1")
    with pytest.raises(ServiceError) as refused:
        file_appeal(service, c, AppealCreate(action="correct", entry=fact.entries[0].seq, amount=Decimal("0.05"),
                                             reason="半个十分之一"), actor="committee")
    assert [(p.path, p.code) for p in refused.value.problems] == [("amount", "request_invalid")]
    assert "(1)" in refused.value.problems[0].message and resident_score(service, c, "r1") == before
