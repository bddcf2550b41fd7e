"""一票否决 in the store: a veto caps the tier and sets flags wherever a standing is shown, and says why.

The score page, the summary's tier counts, the scores CSV, the public board and the shop's
tier gate all read the same vetoes (``ledger.balances.vetoes_by_resident``); a lifting fact
(整改并书面承诺) or the end of the veto's period ends it.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tests.support.fixtures import new_community
from xinzhi.clock import today
from xinzhi.db.tables import LedgerEntry
from xinzhi.engine import SHANGHAI, compile_ruleset, evaluate, load_ruleset
from xinzhi.errors import ServiceError
from xinzhi.ledger import community_summary, export_scores_csv, resident_score
from xinzhi.review import AppealCreate, file_appeal, public_board
from xinzhi.scoring import post_facts
from xinzhi.shop import ItemCreate, RedemptionCreate, put_items, redeem

STANDARD = """\
id: veto
version: 1
title: 一票否决
community: 测试
effective_from: 2021-01-01
accounts: {starting_index: 100}
tiers:
  - {id: A, title: 良好, index_from: 110}
  - {id: B, title: 一般, index_from: 90, index_below: 110}
  - {id: C, title: 警示, index_below: 90}
categories:
  - {id: civic, title: 文明}
  - {id: violations, title: 违规}
fact_types:
  - {id: deed, title: 好人好事}
  - {id: crime, title: 重大违法}
  - {id: pledge, title: 整改承诺}
rules:
  - {id: deed, title: 好人好事, category: civic, fact: deed, award: {points: 20}}
  - {id: crime, title: 重大违法, category: violations, fact: crime, award: {points: 0},
     veto: {tier_at_most: B, flag: commendation_ineligible, until_end_of: year}}
  - {id: pledge, title: 整改并书面承诺, category: violations, fact: pledge, award: {points: -6}, lifts: [crime]}
"""


def fact(fact_id: str, kind: str, day: str) -> dict:
    return {"id": fact_id, "type": kind, "resident": "r1", "occurred_at": f"{day}T10:00:00+08:00"}


@pytest.fixture
def vetoed(service) -> str:
    community = new_community(service, residents=2, ruleset=STANDARD)
    post_facts(service, community, [fact("d1", "deed", "2021-03-01"), fact("x1", "crime", "2021-05-03")])
    return community


def test_a_veto_caps_the_tier_and_sets_its_flag_everywhere_a_standing_is_shown(service, vetoed):
    score = resident_score(service, vetoed, "r1", as_of=dt.date(2021, 6, 1))
    assert (score.index, score.tier, score.flags) == (120, "B", ["commendation_ineligible"])
    assert score.tier_capped_by == "重大违法（x1，2021-05-03 起至 2021-12-31）"
    before = resident_score(service, vetoed, "r1", as_of=dt.date(2021, 5, 2))
    assert (before.tier, before.flags, before.tier_capped_by) == ("A", [], None)
    assert community_summary(service, vetoed, dt.date(2021, 6, 1)).tiers == {"A": 0, "B": 2, "C": 0}
    rows = export_scores_csv(service, vetoed, dt.date(2021, 6, 1)).splitlines()
    capped = "重大违法（x1，2021-05-03 起至 2021-12-31）"
    assert f"r1,居民1号,north,h1,2021-06-01,120,20,B,一般,commendation_ineligible,{capped}" in rows
    next_year = resident_score(service, vetoed, "r1", as_of=dt.date(2022, 1, 1))
    assert (next_year.tier, next_year.flags) == ("A", [])  # until the end of the year of the fact


def test_the_shop_tier_gate_reads_the_veto_and_says_why(service, vetoed):
    put_items(service, vetoed, [ItemCreate(id="oil", kind="goods", title="食用油", price=5, stock=9, min_tier="A")])
    with pytest.raises(ServiceError) as refused:
        redeem(service, vetoed, RedemptionCreate(id="v1", resident="r1", item="oil", quantity=1,
                                                 redeemed_at=dt.datetime(2021, 6, 1, 10, tzinfo=dt.UTC)))
    assert refused.value.code == "tier_too_low" and "capped at B by 重大违法（x1" in refused.value.detail
    post_facts(service, vetoed, [fact("p1", "pledge", "2021-06-10")])  # lifted, at 6 points
    redeem(service, vetoed, RedemptionCreate(id="v2", resident="r1", item="oil", quantity=1,
                                             redeemed_at=dt.datetime(2021, 6, 11, 10, tzinfo=dt.UTC)))
    score = resident_score(service, vetoed, "r1", as_of=dt.date(2021, 6, 30))
    assert (score.index, score.tier, score.flags) == (114, "A", [])


def test_the_board_shows_the_capped_tier(service, vetoed):
    board = public_board(service, vetoed)  # today: the 2021 veto is over, so both lines show their own tier
    tiers = {line.index: line.tier for zone in board.zones for line in zone.ranking}
    assert tiers[120] == "A"
    post_facts(service, vetoed, [{"id": "x2", "type": "crime", "resident": "r1",
                                  "occurred_at": dt.datetime.now(dt.UTC).isoformat()}])
    board = public_board(service, vetoed)
    assert {line.index: line.tier for zone in board.zones for line in zone.ranking}[120] == "B"


def entry_of(service, community: str, fact_id: str) -> int:
    with service.db.reading() as session:
        return session.scalars(select(LedgerEntry.seq).where(LedgerEntry.community == community,
                                                             LedgerEntry.fact_id == fact_id)).one()


def test_a_fact_reversed_on_appeal_neither_vetoes_nor_lifts_from_then_on(service):
    """Found by attack: the committee reversed a 重大违法 on appeal and the tier stayed capped for the year."""
    community = new_community(service, residents=2, ruleset=STANDARD)
    now = dt.datetime.now(SHANGHAI)
    post_facts(service, community, [just_before(now, "d1", "deed", 3), just_before(now, "x1", "crime", 2)])
    assert resident_score(service, community, "r1").tier == "B"
    file_appeal(service, community, AppealCreate(action="reverse", entry=entry_of(service, community, "x1"),
                                                 reason="查无此事"))
    score = resident_score(service, community, "r1")
    assert (score.index, score.tier, score.flags, score.tier_capped_by) == (120, "A", [], None)
    assert community_summary(service, community, today()).tiers == {"A": 1, "B": 1, "C": 0}
    post_facts(service, community, [just_before(now, "x2", "crime", 1), just_before(now, "p1", "pledge", 0)])
    assert resident_score(service, community, "r1").tier == "A"  # lifted (120 − 6)
    file_appeal(service, community, AppealCreate(action="reverse", entry=entry_of(service, community, "p1"),
                                                 reason="承诺书系伪造"))
    score = resident_score(service, community, "r1")
    assert (score.index, score.tier, score.flags) == (120, "B", ["commendation_ineligible"])


def just_before(now: dt.datetime, fact_id: str, kind: str, minutes: int) -> dict:
    return {**fact(fact_id, kind, ""), "occurred_at": (now - dt.timedelta(minutes=minutes)).isoformat()}


SECOND_OFFENCE = """\
id: second
version: 1
title: 一年内再犯一票否决
community: 测试
effective_from: 2021-01-01
accounts: {starting_index: 100}
tiers:
  - {id: A, title: 良好, index_from: 90}
  - {id: B, title: 一般, index_below: 90}
categories: [{id: violations, title: 违规}]
fact_types:
  - {id: offence, title: 违规}
  - {id: warning, title: 警告}
rules:
  - {id: offence, title: 违规, category: violations, fact: offence, award: {points: -2}}
  - {id: again, title: 一年内再犯, category: violations, fact: offence, award: {points: 0},
     after: {fact: offence, within_days: 365}, veto: {tier_at_most: B, flag: commendation_ineligible, months: 12}}
  - {id: first, title: 未经警告的初犯, category: violations, fact: offence, award: {points: 0},
     not_after: {fact: warning, within_days: 365}, veto: {flag: under_watch, months: 12}}
"""


def test_a_late_fact_that_makes_or_unmakes_a_zero_veto_changes_the_store_as_the_engine(service):
    """Found by attack: a veto's award of 0 was "unchanged" to restating, so a late earlier offence
    never capped the tier (一年内再犯), and a late warning never ended the first offence's flag.
    """
    community = new_community(service, residents=1, ruleset=SECOND_OFFENCE)
    post_facts(service, community, [fact("o2", "offence", "2021-05-03")])
    score = resident_score(service, community, "r1", as_of=dt.date(2021, 6, 1))
    assert (score.index, score.tier, score.flags) == (98, "A", ["under_watch"])
    post_facts(service, community, [fact("w1", "warning", "2021-02-01"), fact("o1", "offence", "2021-03-01")])
    compiled = compile_ruleset(load_ruleset(SECOND_OFFENCE, name="second.yaml"))
    engine = evaluate(compiled, [fact("o2", "offence", "2021-05-03"), fact("w1", "warning", "2021-02-01"),
                                 fact("o1", "offence", "2021-03-01")])
    [balance] = engine.balances(compiled.ruleset).values()
    assert (balance.index, balance.tier, balance.flags) == (96, "B", ["commendation_ineligible"])
    score = resident_score(service, community, "r1", as_of=dt.date(2021, 6, 1))
    assert (score.index, score.tier, score.flags) == (96, "B", ["commendation_ineligible"])


def test_a_veto_that_sets_the_score_shows_it_on_the_score_page_the_board_and_the_csv_until_it_ends(service):
    standard = STANDARD.replace("veto: {tier_at_most: B, flag: commendation_ineligible, until_end_of: year}",
                                "veto: {score_to: 0, until_end_of: year}")
    community = new_community(service, residents=2, ruleset=standard)
    post_facts(service, community, [fact("d1", "deed", "2021-03-01"), fact("x1", "crime", "2021-05-03")])
    june = dt.date(2021, 6, 1)
    score = resident_score(service, community, "r1", as_of=june)
    assert (score.index, score.points, score.tier) == (0, 20, "C")  # 当年得分记为 0; the points stay spendable
    assert score.tier_capped_by == "重大违法（x1，2021-05-03 起至 2021-12-31）"
    rows = export_scores_csv(service, community, june).splitlines()
    assert f"r1,居民1号,north,h1,2021-06-01,0,20,C,警示,,{score.tier_capped_by}" in rows
    assert community_summary(service, community, june).tiers == {"A": 0, "B": 1, "C": 1}
    assert (resident_score(service, community, "r1", as_of=dt.date(2022, 1, 1)).index,
            resident_score(service, community, "r1", as_of=dt.date(2021, 5, 2)).index) == (120, 120)
