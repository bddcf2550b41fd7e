"""The ledger: balances are its sums, expiry spends the earliest points first, a restart keeps all."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.scoring.test_service import fact
from tests.support.fixtures import new_community, settings_for
from tests.support.standard import CIVIC_V1, STARTING_INDEX
from xinzhi.communities import ResidentCreate, register_residents
from xinzhi.db.tables import Base, LedgerEntry
from xinzhi.engine import balances, compile_ruleset, evaluate, load_ruleset
from xinzhi.errors import MAX_PROBLEMS_KEPT, ServiceCode, ServiceError
from xinzhi.ledger import (
    community_summary,
    expire_points,
    export_ledger_csv,
    export_scores_csv,
    household_view,
    resident_ledger,
    resident_score,
)
from xinzhi.scoring import import_facts_csv, post_facts
from xinzhi.service import open_service


def ledger_sums(service, community: str, resident: str) -> tuple[int, int]:
    with service.db.reading() as session:
        index, points = session.execute(select(func.sum(LedgerEntry.index_delta), func.sum(LedgerEntry.points_delta))
                                        .where(LedgerEntry.community == community,
                                               LedgerEntry.resident == resident)).one()
    return STARTING_INDEX + (index or 0), points or 0


FACTS = st.one_of(
    st.tuples(st.just("activity"), st.just({"name": "x"})),
    st.tuples(st.just("cleanup"), st.builds(lambda n: {"count": n}, st.integers(1, 15))),
    st.tuples(st.just("violation"), st.builds(lambda k: {"kind": k}, st.sampled_from(["noise", "parking"]))),
)
STREAM = st.lists(st.tuples(FACTS, st.integers(0, 3), st.integers(0, 24 * 60)), min_size=1, max_size=40)


TAGS = itertools.count()


@pytest.fixture(scope="module")
def streams(service):
    return new_community(service, residents=0)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stream=STREAM, chunk=st.integers(1, 12))
def test_ledger_sums_equal_reported_balances_and_the_engine(service, streams, stream, chunk):
    """Random facts in random batches: each resident's score is what the ledger sums to, and
    posting in time order gives exactly what the engine computes for the whole stream."""
    tag = f"h{next(TAGS)}"
    residents = [f"{tag}-{i}" for i in range(4)]
    register_residents(service, streams, [ResidentCreate(id=r, name="居民", zone="north") for r in residents])
    start = dt.datetime(2021, 5, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    facts = [{"id": f"{tag}-{n}", "type": kind, "resident": residents[who],
              "occurred_at": (start + dt.timedelta(hours=hours)).isoformat(), "fields": fields}
             for n, ((kind, fields), who, hours) in enumerate(stream)]
    ordered = sorted(facts, key=lambda f: (f["occurred_at"], f["id"]))
    for begin in range(0, len(ordered), chunk):
        post_facts(service, streams, ordered[begin:begin + chunk])
    compiled = compile_ruleset(load_ruleset(CIVIC_V1))
    expected = balances(compiled.ruleset, evaluate(compiled, facts).awards, residents)
    for resident in residents:
        score = resident_score(service, streams, resident, dt.date(2021, 12, 31))
        assert (score.index, score.points) == ledger_sums(service, streams, resident)
        assert (score.index, score.points, score.tier) == (expected[resident].index, expected[resident].points,
                                                           expected[resident].tier)
        assert sum(c.index for c in score.categories) == score.index - STARTING_INDEX


def test_expiry_spends_the_earliest_points_first_and_runs_once(service, community):
    post_facts(service, community, [
        fact("may", type="cleanup", count=10, at="2021-05-03T10:00:00+08:00"),    # expires 2023-05-31
        fact("sep", type="cleanup", count=10, at="2021-09-06T10:00:00+08:00"),    # expires 2023-09-30
        fact("oct", type="violation", kind="noise", at="2021-10-01T10:00:00+08:00"),  # -5 from May's points
    ])
    score = resident_score(service, community, "r1", dt.date(2023, 5, 31))
    assert [(str(e.expires_on), e.points) for e in score.expiring] == [("2023-05-31", 5), ("2023-09-30", 10)]
    run = expire_points(service, community, dt.date(2023, 6, 1))
    assert (run.entries_written, run.points_expired) == (1, 5)
    assert expire_points(service, community, dt.date(2023, 6, 1)).entries_written == 0
    later = expire_points(service, community, dt.date(2024, 1, 1))
    assert (later.entries_written, later.points_expired) == (1, 10)
    score = resident_score(service, community, "r1", dt.date(2024, 1, 1))
    assert (score.index, score.points, score.expiring) == (115, 0, [])
    expiry = resident_ledger(service, community, "r1", kind="expiry").entries
    assert [(e.amount, e.index_delta, str(e.points_expire_on)) for e in expiry] == [(-5, 0, "2023-05-31"),
                                                                                    (-10, 0, "2023-09-30")]
    assert "日终到期" in expiry[0].explanation["summary"]


def test_expiry_as_of_a_day_expires_nothing_due_after_it_whatever_came_later(service, community):
    """Found by attack: an expiry run as of 2000-01-01 expired the demo's points up to its newest entry."""
    post_facts(service, community, [
        fact("may21", type="cleanup", count=10, at="2021-05-03T10:00:00+08:00"),  # expires 2023-05-31
        fact("may24", type="cleanup", count=10, at="2024-05-03T10:00:00+08:00"),  # a movement after that date
    ])
    assert expire_points(service, community, dt.date(2022, 1, 1)).entries_written == 0
    assert resident_ledger(service, community, "r1", kind="expiry").entries == []
    assert (expire_points(service, community, dt.date(2023, 6, 1)).points_expired,
            expire_points(service, community, dt.date(2023, 6, 1)).points_expired) == (10, 0)


CSV_OK = """id,type,resident,occurred_at,name,count,kind
i1,activity,r1,2021-05-03T10:00:00+08:00,邻里节,,
i2,cleanup,r2,2021-05-03T10:00:00+08:00,,7,
i3,violation,r3,2021-05-04T10:00:00+08:00,,,parking
"""


def test_csv_import_reports_rows_and_stores_nothing_from_a_bad_file(service, community):
    bad = CSV_OK + "i4,cleanup,r1,2021-05-05T10:00:00+08:00,,lots,\ni5,activity,ghost,2021-05-05T10:00:00+08:00,x,,\n"
    with pytest.raises(ServiceError) as raised:
        import_facts_csv(service, community, bad)
    assert raised.value.code == ServiceCode.FACTS_REJECTED
    assert [(e.row, e.code) for e in raised.value.problems] == [(5, "fact_invalid"), (6, "fact_unknown_resident")]
    assert resident_ledger(service, community, "r1").total == 0
    result = import_facts_csv(service, community, bad, skip_bad_rows=True)
    assert (result.rows, result.scored, result.skipped) == (5, 3, 2)
    assert import_facts_csv(service, community, CSV_OK).duplicates == 3
    assert resident_score(service, community, "r3").index == 97


def test_an_import_of_many_bad_rows_lists_the_first_problems_and_counts_them_all(service, community):
    bad = "".join(f"b{n},cleanup,r1,2021-05-05T10:00:00+08:00,,lots,\n" for n in range(MAX_PROBLEMS_KEPT + 200))
    result = import_facts_csv(service, community, CSV_OK + bad, skip_bad_rows=True)
    assert (result.scored, result.skipped, result.errors_total) == (3, MAX_PROBLEMS_KEPT + 200, MAX_PROBLEMS_KEPT + 200)
    assert len(result.errors) == MAX_PROBLEMS_KEPT and result.errors[-1].row == MAX_PROBLEMS_KEPT + 4


def test_exports_household_and_summary_agree_with_the_ledger(service, community):
    import_facts_csv(service, community, CSV_OK)
    ledger = "".join(export_ledger_csv(service, community)).splitlines()
    assert ledger[0].startswith("\ufeff序号（seq）,账户（resident）,类别（kind）,分值（amount）") and len(ledger) == 4
    scores = export_scores_csv(service, community, dt.date(2021, 12, 31)).splitlines()
    assert "r2,居民2号,south,h1,2021-12-31,107,7,B,一般,," in scores  # no flags, no cap
    home = household_view(service, community, "h1", dt.date(2021, 12, 31))
    assert [m.resident for m in home.members] == ["r1", "r2"] and home.index_total == 102 + 107
    summary = community_summary(service, community, dt.date(2021, 12, 31))
    zones = {z.zone: z for z in summary.zones}
    assert (zones["north"].residents, zones["north"].index_total) == (3, 102 + 97 + 100)
    assert zones["south"].points_total == 7 and summary.facts == 3
    assert [(m.month, m.awarded, m.deducted) for m in summary.months] == [("2021-05", 9, -3)]
    assert summary.tiers == {"A": 0, "B": 5, "C": 0}


def test_a_restart_keeps_everything(service, database_url, community):
    import_facts_csv(service, community, CSV_OK)
    before = (resident_score(service, community, "r2"), resident_ledger(service, community, "r2"))
    reopened = open_service(settings_for(database_url))
    try:
        assert (resident_score(reopened, community, "r2"), resident_ledger(reopened, community, "r2")) == before
        assert import_facts_csv(reopened, community, CSV_OK).duplicates == 3
        post_facts(reopened, community, [fact("after-restart", resident="r2")])
    finally:
        reopened.close()
    assert resident_ledger(service, community, "r2").total == 2


def test_migrations_build_exactly_the_models(service):
    with service.db.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
