"""Households as accounts in the store: members' facts credit the household they are registered in.

Each entry names the member who earned it; a courtyard inspection is the household's own fact;
limits, standing and the household view read the household's one account, which starts once.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.engine.test_households import PER_MEMBER, VILLAGE
from tests.support.fixtures import granted, new_community
from xinzhi.communities import ResidentCreate, register_residents
from xinzhi.db.tables import LedgerEntry
from xinzhi.engine import compile_ruleset, evaluate, load_ruleset
from xinzhi.errors import ServiceError
from xinzhi.ledger import household_view, resident_ledger, resident_score
from xinzhi.review import AppealCreate, file_appeal, list_appeals
from xinzhi.scoring import post_facts


def deed(fact_id: str, member: str, day: str = "2024-03-01", **extra) -> dict:
    return {"id": fact_id, "type": "deed", "resident": member, "occurred_at": f"{day}T10:00:00+08:00", **extra}


def test_members_credit_their_households_account_and_each_entry_names_the_member(service):
    community = new_community(service, residents=5, ruleset=VILLAGE)  # r1 r2 in h1, r3 r4 in h2, r5 in h3
    post_facts(service, community, [deed("d1", "r1"), deed("d2", "r2"), deed("d3", "r1"), deed("d4", "r3"),
                                    {"id": "c1", "type": "courtyard_check", "household": "h2",
                                     "occurred_at": "2024-03-05T10:00:00+08:00", "fields": {"result": "dirty"}}])
    with service.db.reading() as session:
        entries = [(e.fact_id, e.resident, e.member, e.amount) for e in session.scalars(
            select(LedgerEntry).where(LedgerEntry.community == community).order_by(LedgerEntry.occurred_at,
                                                                                    LedgerEntry.fact_id))]
    assert entries == [("d1", "h1", "r1", 5), ("d2", "h1", "r2", 5), ("d3", "h1", "r1", 0),  # the household's 10
                       ("d4", "h2", "r3", 5), ("c1", "h2", None, -5)]
    home = household_view(service, community, "h1", dt.date(2024, 12, 31))
    assert home.held_by == "household" and home.members == []
    assert (home.account.index, home.account.points, home.account.tier) == (110, 10, "ok")  # one base of 100
    assert home.account.name == "居*家"
    assert [(c.resident, c.index, c.entries) for c in home.contributions] == [("r1", 5, 2), ("r2", 5, 1)]
    other = household_view(service, community, "h2", dt.date(2024, 12, 31))
    assert (other.account.index, [(c.resident, c.index) for c in other.contributions]) == (
        100, [(None, -5), ("r3", 5), ("r4", 0)])  # a member who did nothing yet is listed too (found by use)


@pytest.mark.parametrize(("fact", "code", "path"), [
    (deed("x1", "r1", household="h2"), "fact_wrong_household", "household"),
    ({"id": "x2", "type": "courtyard_check", "household": "h9", "occurred_at": "2024-03-05T10:00:00+08:00",
      "fields": {"result": "clean"}}, "fact_unknown_household", "household"),
    ({"id": "x3", "type": "courtyard_check", "occurred_at": "2024-03-05T10:00:00+08:00",
      "fields": {"result": "clean"}}, "fact_invalid", "resident"),
])
def test_a_fact_for_the_wrong_or_an_unknown_household_is_refused_and_nothing_is_stored(service, fact, code, path):
    community = new_community(service, residents=4, ruleset=VILLAGE)
    with pytest.raises(ServiceError) as refused:
        post_facts(service, community, [deed("ok", "r1"), fact])
    assert [(p.code, p.path) for p in refused.value.problems] == [(code, f"facts[1].{path}")]
    with service.db.reading() as session:
        assert session.scalars(select(LedgerEntry).where(LedgerEntry.community == community)).all() == []


def test_a_members_score_and_ledger_are_the_households_account(service):
    community = new_community(service, residents=2, ruleset=VILLAGE)  # r1 r2 in h1
    post_facts(service, community, [deed("d1", "r1"), deed("d2", "r2")])
    score = resident_score(service, community, "r2", dt.date(2024, 12, 31))
    assert (score.resident, score.household, score.index, score.points) == ("r2", "h1", 110, 10)
    ledger = resident_ledger(service, community, "r2")
    assert [(e.resident, e.member, e.amount) for e in ledger.entries] == [("h1", "r1", 5), ("h1", "r2", 5)]


def test_the_committee_corrects_a_households_entries_and_adjusts_it_through_a_member(service):
    community = new_community(service, residents=2, ruleset=VILLAGE)  # r1 r2 in h1
    post_facts(service, community, [deed("d1", "r1"), deed("d2", "r2")])
    with service.db.reading() as session:
        first = session.scalars(select(LedgerEntry.seq).where(LedgerEntry.community == community,
                                                              LedgerEntry.fact_id == "d1")).one()
    file_appeal(service, community, AppealCreate(action="reverse", entry=first, reason="查无此事"))
    file_appeal(service, community, AppealCreate(action="adjust", resident="r2", index_delta=Decimal(2),
                                                 points_delta=Decimal(2), reason="补记"))
    home = household_view(service, community, "h1")
    assert (home.account.index, home.account.points) == (107, 7)  # 100 + 5 + 5 − 5 + 2
    assert [a["action"] for a in list_appeals(service, community, resident="r1")] == ["adjust", "reverse"]


def test_a_limit_per_member_holds_across_requests_and_late_facts_as_in_the_engine(service):
    community = new_community(service, residents=2, ruleset=PER_MEMBER)  # r1 r2 in h1
    facts = [deed(f"d{n}", member, day=f"2024-03-0{n}") for n, member in
             enumerate(["r1", "r1", "r2", "r1", "r2"], start=1)]
    for fact in [facts[4], facts[1], facts[3], facts[0], facts[2]]:  # one request each, out of time order
        post_facts(service, community, [fact])
    engine = evaluate(compile_ruleset(load_ruleset(PER_MEMBER, name="village.yaml")),
                      [{**f, "household": "h1"} for f in facts]).awards
    assert granted(service, community) == sorted((a.fact_id, a.rule_id, a.amount, a.raw_amount) for a in engine)


def test_a_member_without_a_household_is_told_which_field_is_missing(service):
    community = new_community(service, residents=2, ruleset=VILLAGE)
    register_residents(service, community, [ResidentCreate(id="r9", name="赵九", zone="north")])
    with pytest.raises(ServiceError) as refused:
        resident_score(service, community, "r9")
    assert [(p.code, p.path) for p in refused.value.problems] == [("resident_without_household", "household")]


HEADED = VILLAGE.replace("held_by: household", "held_by: resident").replace(
    "    names: household\n", "    names: household\n    charged_to_role: head\n")


def test_where_residents_hold_the_accounts_a_households_fact_is_charged_to_its_head(service):
    community = new_community(service, residents=4, ruleset=HEADED)  # r1 r2 in h1, r3 r4 in h2
    register_residents(service, community, [ResidentCreate(id="r2", name="居民2号", zone="south", household="h1",
                                                           roles=["head"])])
    check = {"id": "c1", "type": "courtyard_check", "household": "h1", "occurred_at": "2024-03-05T10:00:00+08:00",
             "fields": {"result": "dirty"}}
    post_facts(service, community, [check])
    assert (resident_score(service, community, "r2").index, resident_score(service, community, "r1").index) == (95, 100)
    with pytest.raises(ServiceError) as refused:  # h2 has no head: the fact must name whom it is charged to
        post_facts(service, community, [{**check, "id": "c2", "household": "h2"}])
    assert [(p.code, p.path) for p in refused.value.problems] == [("fact_wrong_household", "facts[0].household")]
    assert "0 members with role 'head'" in refused.value.problems[0].message


def test_the_members_contributions_add_up_to_the_account_before_the_expiry_job_runs(service):
    """Found by attack: the account showed its expired points gone, the members' rows still counted them."""
    expiring = VILLAGE.replace("  starting_index: 100", "  starting_index: 100\n  points_expire: {after_months: 1}")
    community = new_community(service, residents=4, ruleset=expiring)
    post_facts(service, community, [deed("d1", "r1")])  # +5 in March 2024: expired long ago, the job never ran
    home = household_view(service, community, "h1")
    assert home.account.points == 0
    assert [(c.resident, c.points) for c in home.contributions] == [(None, -5), ("r1", 5), ("r2", 0)]
    assert sum(c.points for c in home.contributions) == home.account.points
