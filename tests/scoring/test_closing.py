"""Closing periods in the store: period rules pay as the engine says, once, and follow late facts.

The closing job (``xinzhi close-periods``, ``POST …/jobs/close-periods``) decides from the
ledger what the engine decides from the facts; run again it writes nothing, and a fact of a
closed period that arrives late is restated at the next run.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from sqlalchemy import select

from tests.support.fixtures import new_community
from xinzhi.cli.main import main
from xinzhi.clock import today
from xinzhi.communities import ResidentCreate, moved_in_days, register_residents
from xinzhi.db.tables import LedgerEntry
from xinzhi.engine import compile_ruleset, evaluate, load_ruleset
from xinzhi.errors import ServiceCode, ServiceError
from xinzhi.ledger import expire_points, resident_score
from xinzhi.registry import publish_ruleset, upload_ruleset
from xinzhi.scoring import close_periods, post_fact, post_facts

STANDARD = """\
id: closing
version: 1
title: 期末结算
community: 测试
effective_from: 2021-01-01
accounts: {starting_index: 100}
tiers: [{id: A, title: 全部}]
categories:
  - {id: civic, title: 文明}
  - {id: violations, title: 违规}
  - {id: honours, title: 表彰}
fact_types:
  - {id: deed, title: 好人好事}
  - {id: offence, title: 违规}
rules:
  - {id: deed, title: 好人好事, category: civic, fact: deed, award: {points: 2}}
  - {id: offence, title: 违规, category: violations, fact: offence, award: {points: -3}}
period_rules:
  - {id: clean, title: 连续 12 个月无违规, category: honours, period: month, without: [violations], streak: 12,
     award: 10}
  - {id: active, title: 每季度好人好事满 4 分, category: honours, period: quarter,
     points: {category: civic, at_least: 4}, award: 1}
"""

FACTS = [
    {"id": "d1", "type": "deed", "resident": "r1", "occurred_at": "2021-03-01T10:00:00+08:00"},
    {"id": "d2", "type": "deed", "resident": "r1", "occurred_at": "2021-03-31T23:59:00+08:00"},
    {"id": "o1", "type": "offence", "resident": "r2", "occurred_at": "2021-02-10T10:00:00+08:00"},
]


def period_entries(service, community: str) -> list[tuple]:
    with service.db.reading() as session:
        return [(e.resident, e.rule_id, e.kind, e.amount, e.explanation.get("period")) for e in session.scalars(
            select(LedgerEntry).where(LedgerEntry.community == community, LedgerEntry.fact_id.is_(None))
            .order_by(LedgerEntry.seq))]


def test_the_store_pays_what_the_engine_pays_once_and_for_every_resident(service):
    community = new_community(service, residents=3, ruleset=STANDARD)
    post_facts(service, community, FACTS)
    run = close_periods(service, community, dt.date(2022, 3, 1), since=dt.date(2021, 1, 1))
    engine = evaluate(compile_ruleset(load_ruleset(STANDARD, name="closing.yaml")), FACTS,
                      closes_until=dt.date(2022, 3, 1))
    expected = sorted((a.resident, a.rule_id, "award", a.amount, a.period) for a in engine.awards if a.period)
    assert expected == [("r1", "active", "award", 1, "2021-Q1"), ("r1", "clean", "award", 10, "2021-12"),
                        ("r2", "clean", "award", 10, "2022-02")]
    stored = period_entries(service, community)
    assert sorted(e for e in stored if e[0] in ("r1", "r2")) == expected
    assert ("r3", "clean", "award", 10, "2021-12") in stored  # no facts at all: twelve clean months all the same
    assert (run.awards_written, run.restated) == (len(stored), 0)
    again = close_periods(service, community, dt.date(2022, 3, 1), since=dt.date(2021, 1, 1))
    assert (again.awards_written, again.restated) == (0, 0) and period_entries(service, community) == stored
    score = resident_score(service, community, "r1", as_of=dt.date(2021, 12, 31))
    assert score.index == 100 + 4 + 1 + 10  # dated at the period's last second: in the standing as of that day


def test_a_late_fact_of_a_closed_period_is_restated_at_the_next_closing(service):
    community = new_community(service, residents=1, ruleset=STANDARD)
    post_facts(service, community, FACTS[:2])
    close_periods(service, community, dt.date(2022, 1, 1), since=dt.date(2021, 1, 1))
    post_fact(service, community, {"id": "o9", "type": "offence", "resident": "r1",
                                   "occurred_at": "2021-06-15T10:00:00+08:00"})
    run = close_periods(service, community, dt.date(2022, 7, 1), since=dt.date(2021, 1, 1))
    assert (run.awards_written, run.restated) == (1, 1)
    entries = period_entries(service, community)
    assert entries[-2:] == [("r1", "clean", "restatement", -10, None), ("r1", "clean", "award", 10, "2022-06")]
    with service.db.reading() as session:
        restatement = session.scalars(select(LedgerEntry).where(LedgerEntry.community == community,
                                                                LedgerEntry.kind == "restatement")).one()
    assert restatement.explanation["summary"] == \
        "2022-07-01 重新结算 2021-12（期内的记录有变动）: 连续 12 个月无违规 +10 → +0"
    assert resident_score(service, community, "r1").index == 100 + 4 + 1 - 3 + 10


def test_the_cli_closes_periods_like_the_api(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    assert main(["close-periods", "--community", "yihe", "--as-of", "2022-01-01", "--since", "2021-01-01",
                 "--database-url", url]) == 0  # the repository's Yihe standard; its demo has no residents yet
    assert "0 period award(s) written" in capsys.readouterr().out
    assert main(["close-periods", "--community", "nowhere", "--database-url", url]) == 1
    assert "nowhere" in capsys.readouterr().err


def test_periods_that_have_not_ended_are_not_closed(service):
    """Found by attack: ``as_of=2099-12-31`` paid every clean month and quarter up to 2099 today."""
    community = new_community(service, residents=1, ruleset=STANDARD)
    with pytest.raises(ServiceError) as refused:
        close_periods(service, community, today() + dt.timedelta(days=1), since=dt.date(2021, 1, 1))
    assert refused.value.code == ServiceCode.AS_OF_IN_FUTURE and refused.value.problems[0].path == "as_of"
    assert period_entries(service, community) == []
    run = close_periods(service, community, today(), since=today() - dt.timedelta(days=366))
    assert run.awards_written == len(period_entries(service, community)) > 0


def test_the_daily_run_restates_nothing_where_its_year_begins_inside_a_paid_period(service):
    """Found by attack: with ``since`` a year back (any day of a month), a period paid that ``since``
    fell inside was restated to nothing and the month after it paid instead (3 of 5 payments, two versions)."""
    community = new_community(service, residents=3, ruleset=STANDARD)
    post_facts(service, community, FACTS)
    close_periods(service, community, dt.date(2022, 3, 1), since=dt.date(2021, 1, 1))
    paid = period_entries(service, community)
    run = close_periods(service, community, dt.date(2022, 12, 20))  # since 2021-12-19, inside the paid 2021-12
    assert (run.since, run.awards_written, run.restated) == (dt.date(2021, 12, 19), 0, 0)
    assert period_entries(service, community) == paid
    late = close_periods(service, community, dt.date(2023, 3, 15))  # since 2022-03-14: r2's 2022-02 is before it
    assert (late.awards_written, late.restated) == (3, 0)
    assert sorted(period_entries(service, community)[len(paid):]) == [
        ("r1", "clean", "award", 10, "2022-12"), ("r2", "clean", "award", 10, "2023-02"),
        ("r3", "clean", "award", 10, "2022-12")]


DAILY = """\
id: daily
version: 1
title: 每日
community: 测试
effective_from: 2000-01-01
accounts: {starting_index: 100}
tiers: [{id: A, title: 全部}]
categories: [{id: violations, title: 违规}, {id: honours, title: 表彰}]
fact_types: [{id: offence, title: 违规}]
rules: [{id: offence, title: 违规, category: violations, fact: offence, award: {points: -3}}]
period_rules:
  - {id: clean_day, title: 连续 120 天无违规, category: honours, period: day, without: [violations], streak: 120,
     award: 1}
"""


def test_a_since_that_would_close_too_many_periods_is_refused_before_any_work(service):
    """Found by attack: ``since=2000-01-01`` on a daily rule took 3 s per 50 residents under the closing lock."""
    community = new_community(service, residents=600, ruleset=DAILY)
    with pytest.raises(ServiceError) as refused:
        close_periods(service, community, dt.date(2026, 11, 1), since=dt.date(2000, 1, 1))
    [problem] = refused.value.problems
    assert (refused.value.code, problem.code, problem.path) == ("request_invalid", "closing_too_large", "since")
    assert period_entries(service, community) == []
    run = close_periods(service, community, dt.date(2026, 11, 1))  # the default year back is never refused
    # every 120th clean day, counted from the 119 days the streak reads before since: 4 in 485 days
    assert run.awards_written == len(period_entries(service, community)) == 600 * 4


def test_a_version_without_an_end_closes_nothing_after_the_next_one_starts(service):
    """Found with a third repository standard: two versions both paid 2022's periods, the earlier having no end."""
    community = new_community(service, residents=1, ruleset=STANDARD)
    later = upload_ruleset(service, community, STANDARD.replace("id: closing", "id: closing_next")
                           .replace("effective_from: 2021-01-01", "effective_from: 2022-01-01"))
    publish_ruleset(service, community, later.id, later.version)
    close_periods(service, community, dt.date(2023, 1, 1), since=dt.date(2021, 1, 1))
    paid = Counter((rule, period) for _, rule, _, _, period in period_entries(service, community))
    assert paid and set(paid.values()) == {1}
    assert paid[("clean", "2022-12")] == 1


def test_each_period_award_expires_on_its_own_date(service):
    """Period awards carry no fact id: each one is still an award of its own, expiring when it says."""
    community = new_community(service, residents=1, ruleset=STANDARD.replace(
        "accounts: {starting_index: 100}", "accounts: {starting_index: 100, points_expire: {after_months: 12}}"))
    close_periods(service, community, dt.date(2024, 1, 1), since=dt.date(2021, 1, 1))
    awards = [(e[3], e[4]) for e in period_entries(service, community)]
    assert awards == [(10, "2021-12"), (10, "2022-12"), (10, "2023-12")]
    with service.db.reading() as session:
        expiries = [str(e.points_expire_on) for e in session.scalars(select(LedgerEntry).where(
            LedgerEntry.community == community, LedgerEntry.fact_id.is_(None)).order_by(LedgerEntry.seq))]
    assert expiries == ["2022-12-31", "2023-12-31", "2024-12-31"]
    assert [(str(e.expires_on), e.points) for e in resident_score(service, community, "r1", dt.date(2023, 6, 1))
            .expiring] == [("2023-12-31", 10)]  # 2021's award expired at the end of 2022
    run = expire_points(service, community, dt.date(2024, 1, 1))
    assert (run.entries_written, run.points_expired) == (2, 20)
    assert resident_score(service, community, "r1", dt.date(2024, 1, 1)).points == 10


def test_no_period_before_a_resident_moved_in_is_paid_and_one_paid_before_it_was_known_is_restated(service):
    """Found by review: closing paid 连续 12 个月无违规 for the years before a resident lived here."""
    community = new_community(service, residents=3, ruleset=STANDARD)
    close_periods(service, community, dt.date(2022, 3, 1), since=dt.date(2021, 1, 1))
    assert ("r1", "clean", "award", 10, "2021-12") in period_entries(service, community)
    register_residents(service, community, [ResidentCreate(id="r1", name="居民1号", zone="north", household="h1",
                                                           moved_in=dt.date(2021, 7, 1))])
    run = close_periods(service, community, dt.date(2022, 3, 1), since=dt.date(2021, 1, 1))
    assert (run.awards_written, run.restated) == (0, 1)
    stored = period_entries(service, community)
    assert [(kind, amount) for resident, rule, kind, amount, _ in stored if (resident, rule) == ("r1", "clean")] == [
        ("award", 10), ("restatement", -10)]
    assert ("r2", "clean", "award", 10, "2021-12") in stored
    assert resident_score(service, community, "r1", as_of=dt.date(2022, 3, 1)).index == 100
    later = close_periods(service, community, dt.date(2022, 7, 1), since=dt.date(2021, 1, 1))
    assert later.awards_written == 1  # r1's first clean year here: July 2021 to June 2022
    assert period_entries(service, community)[-1] == ("r1", "clean", "award", 10, "2022-06")


@pytest.mark.parametrize(("days", "expected"), [
    ({"r1": "2021-07-01", "r2": "2021-03-01"}, {"h1": dt.date(2021, 3, 1)}),  # the first member to come
    ({"r1": "2021-07-01"}, {}),  # r2's day unknown: h1 may have lived here all along
    ({"r3": "2022-01-01"}, {"h2": dt.date(2022, 1, 1)}),
])
def test_a_households_day_is_its_first_members_when_every_members_is_known(service, days, expected):
    community = new_community(service, residents=3, ruleset=None)
    register_residents(service, community, [
        ResidentCreate(id=f"r{i}", name=f"居民{i}号", zone="north", household=f"h{(i + 1) // 2}",
                       moved_in=dt.date.fromisoformat(days[f"r{i}"]) if f"r{i}" in days else None)
        for i in range(1, 4)])
    with service.db.reading() as session:
        assert moved_in_days(session, community, "household") == expected
        assert moved_in_days(session, community, "resident") == {
            resident: dt.date.fromisoformat(day) for resident, day in days.items()}


def test_a_since_after_as_of_is_refused_at_since(service):
    community = new_community(service, residents=1, ruleset=STANDARD)
    with pytest.raises(ServiceError) as refused:
        close_periods(service, community, dt.date(2022, 3, 1), since=dt.date(2022, 3, 2))
    [problem] = refused.value.problems
    assert (problem.path, problem.says) == ("since", "since_after_as_of")
    assert period_entries(service, community) == []
