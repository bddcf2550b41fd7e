"""The running sums the board and the summary read are the ledger's sums, whatever wrote the entries.

Scoring (batches and imports), expiry, the shop, appeals and review all append through
``ledger.entries``; the sums it keeps in the same transaction (per resident, and per month
and category of the community) must equal a full sum of the ledger (the appeal property
test checks the per-resident sums after every step).
"""

from __future__ import annotations

import datetime as dt

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import case, func, select

from tests.ledger.test_service import CSV_OK
from tests.support.fixtures import new_community
from xinzhi.clock import end_of
from xinzhi.db.database import MIGRATIONS
from xinzhi.db.tables import Fact, LedgerEntry, MonthFacts, MonthTotal
from xinzhi.ledger import (
    Totals,
    community_months,
    community_summary,
    expire_points,
    facts_counted,
    totals_by_resident,
)
from xinzhi.review import AppealCreate, file_appeal, public_board
from xinzhi.scoring import import_facts_csv, post_facts

FAR_FUTURE = dt.datetime(2200, 1, 1, tzinfo=dt.UTC)


def test_kept_sums_equal_the_ledger_after_scoring_imports_and_expiry(service):
    community = new_community(service)
    post_facts(service, community, [
        {"id": f"k{i}", "type": "cleanup", "resident": f"r{1 + i % 5}",
         "occurred_at": f"2021-03-0{1 + i % 9}T10:00:00+08:00", "fields": {"count": 1 + i % 7}} for i in range(40)])
    import_facts_csv(service, community, CSV_OK)
    expire_points(service, community, dt.date(2024, 1, 1))
    with service.db.reading() as session:
        kept = totals_by_resident(session, community)
        summed = totals_by_resident(session, community, until=FAR_FUTURE)
    assert kept == summed and len(kept) == 5
    board = public_board(service, community)
    shown = {line.index for zone in board.zones for line in zone.ranking}
    assert shown == {100 + t.index for t in summed.values()}


def _write_everything(service) -> str:
    """A community whose ledger was written by every writer, over three months."""
    community = new_community(service)
    post_facts(service, community, [
        {"id": f"m{i}", "type": ("cleanup", "activity", "violation")[i % 3], "resident": f"r{1 + i % 5}",
         "occurred_at": f"2021-0{1 + i % 3}-{1 + i % 28:02d}T23:30:00+08:00",
         "fields": ({"count": 1 + i % 7}, {"name": "邻里节"}, {"kind": "parking"})[i % 3]} for i in range(60)])
    import_facts_csv(service, community, CSV_OK)
    expire_points(service, community, dt.date(2024, 1, 1))
    with service.db.reading() as session:
        first = session.scalar(select(LedgerEntry.seq).where(LedgerEntry.community == community,
                                                             LedgerEntry.kind == "award").order_by(LedgerEntry.seq))
    file_appeal(service, community, AppealCreate(action="reverse", entry=first, reason="记录有误"))
    file_appeal(service, community, AppealCreate(action="adjust", resident="r2", index_delta=-3, reason="补记"))
    return community


def _summed(service, community: str, until: dt.datetime) -> tuple[dict, int]:
    """Sums per (month, category) and the fact count, taken the slow way: over the whole ledger."""
    sums = (func.sum(LedgerEntry.index_delta), func.sum(LedgerEntry.points_delta),
            func.sum(case((LedgerEntry.kind == "award", LedgerEntry.amount), else_=0)),
            func.sum(case((LedgerEntry.kind == "deduction", LedgerEntry.amount), else_=0)), func.count())
    with service.db.reading() as session:
        rows = session.execute(select(LedgerEntry.month, LedgerEntry.category, *sums).where(
            LedgerEntry.community == community, LedgerEntry.occurred_at < until)
            .group_by(LedgerEntry.month, LedgerEntry.category)).all()
        facts = session.scalar(select(func.count()).select_from(Fact).where(Fact.community == community,
                                                                              Fact.occurred_at < until))
    return {(r[0], r[1]): Totals(*(int(v) for v in r[2:])) for r in rows}, facts


def test_month_sums_equal_the_ledger_after_every_writer(service):
    community = _write_everything(service)
    summed, facts = _summed(service, community, FAR_FUTURE)
    with service.db.reading() as session:
        assert community_months(session, community) == summed
        assert facts_counted(session, community) == facts == 63
    assert {m for m, _ in summed} >= {"2021-01", "2021-02", "2021-03", "2021-05"}


def test_a_past_days_summary_counts_what_happened_by_the_end_of_that_day(service):
    community = _write_everything(service)
    day = dt.date(2021, 2, 14)
    summed, facts = _summed(service, community, end_of(day))
    with service.db.reading() as session:
        assert community_months(session, community, day=day) == summed
        assert facts_counted(session, community, day=day) == facts
    summary = community_summary(service, community, as_of=day)
    assert summary.facts == facts and 0 < facts < 63
    assert [(m.month, m.entries) for m in summary.months] == sorted(
        (month, sum(t.entries for (m, _), t in summed.items() if m == month)) for month in {m for m, _ in summed})
    assert {c.category: c.points for c in summary.categories} == {
        category or "(none)": sum(t.points for (_, c), t in summed.items() if c == category)
        for category in {c for _, c in summed}}


def test_the_migration_fills_month_sums_from_an_existing_ledger(service):
    community = _write_everything(service)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with service.db.engine.connect() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0004_account_totals")
        command.upgrade(config, "head")
        connection.commit()
    summed, facts = _summed(service, community, FAR_FUTURE)
    with service.db.reading() as session:
        assert session.scalar(select(func.count()).where(MonthTotal.community == community)) == len(summed)
        assert session.scalar(select(func.sum(MonthFacts.facts)).where(MonthFacts.community == community)) == facts
        assert community_months(session, community) == summed


@pytest.mark.parametrize("day", [dt.date(2020, 12, 31), dt.date(2021, 1, 20), dt.date(2021, 3, 28),
                                 dt.date(2023, 12, 31), dt.date(2099, 1, 1)])
def test_residents_sums_as_of_a_day_equal_the_ledger_summed_up_to_it(service, day):
    """Early days sum the entries before them, late days take the later entries off the running sums."""
    community = _write_everything(service)
    until = end_of(day)
    with service.db.reading() as session:
        rows = session.execute(select(LedgerEntry.resident, func.sum(LedgerEntry.index_delta),
                                      func.sum(LedgerEntry.points_delta), func.count()).where(
            LedgerEntry.community == community, LedgerEntry.occurred_at < until).group_by(LedgerEntry.resident))
        expected = {r[0]: (int(r[1]), int(r[2]), int(r[3])) for r in rows}
        got = totals_by_resident(session, community, until=until)
    assert {r: (t.index, t.points, t.entries) for r, t in got.items()} == expected
