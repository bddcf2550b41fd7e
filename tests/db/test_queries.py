"""Shared write queries: a batch's ledger rows come back numbered as the store numbered them.

``insert_numbered`` trusts SQLite to number a lone writer's rows consecutively and asks
PostgreSQL to say; either way each result's ``seq`` must be the stored row's, also when two
communities write at once (PostgreSQL writers overlap; each SQLite writer waits its turn).
``each_from`` reads each resident's rows from its own moment on, by the index.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import event, select

from tests.support.fixtures import new_community
from xinzhi.db.queries import each_from
from xinzhi.db.tables import Fact as FactRow
from xinzhi.db.tables import LedgerEntry
from xinzhi.scoring import post_facts

START = dt.datetime(2021, 3, 1, 9, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def batch(prefix: str, n: int) -> list[dict]:
    return [{"id": f"{prefix}{i}", "type": "activity", "resident": f"r{i % 5 + 1}",
             "occurred_at": (START + dt.timedelta(minutes=i)).isoformat(), "fields": {"name": "议事"}}
            for i in range(n)]


def stored_seqs(service, community: str) -> dict[tuple[str, str], int]:
    with service.db.reading() as session:
        return {(fact_id, rule_id): seq for seq, fact_id, rule_id in session.execute(
            select(LedgerEntry.seq, LedgerEntry.fact_id, LedgerEntry.rule_id).where(
                LedgerEntry.community == community, LedgerEntry.kind.in_(("award", "deduction"))))}


def test_results_carry_the_stored_numbers_while_other_writers_write(service):
    communities = [new_community(service) for _ in range(2)]

    def post(job: tuple[str, int]) -> dict[tuple[str, str], int]:
        community, round_ = job
        result = post_facts(service, community, batch(f"b{round_}-", 60))
        return {(r.fact_id, e.rule_id): e.seq for r in result.results for e in r.entries}

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(post, [(c, round_) for round_ in range(3) for c in communities]))
    for community in communities:
        told = {key: seq for answer in answers[communities.index(community)::2] for key, seq in answer.items()}
        assert told and told == stored_seqs(service, community)


def test_each_residents_rows_are_read_from_its_own_moment_by_the_index(service):
    """``each_from``: the rows a per-resident lower bound allows, by an index range per resident on either backend.

    The tables have no statistics here (as a store that has just grown has none): the plan must
    not need them. Scanning the community's rows would give the same rows, more slowly every batch.
    """
    community = new_community(service)
    post_facts(service, community, batch("e", 60))
    starts = {"r1": START + dt.timedelta(minutes=20), "r3": START, "r9": START}  # r9 has no facts
    until = START + dt.timedelta(minutes=50)
    sent: list[tuple[str, object]] = []

    def capture(_connection, _cursor, statement, parameters, *_):
        sent.append((statement, parameters))

    with service.db.reading() as session:
        every = session.execute(select(FactRow.resident, FactRow.occurred_at, FactRow.fact_id).where(
            FactRow.community == community)).all()
        event.listen(service.db.engine, "before_cursor_execute", capture)
        try:
            read = session.execute(each_from(session, (FactRow.fact_id, FactRow.occurred_at), FactRow, community,
                                             starts, FactRow.occurred_at < until)).all()
        finally:
            event.remove(service.db.engine, "before_cursor_execute", capture)
        statement, parameters = sent[-1]
        dialect = session.get_bind().dialect.name
        plan = [str(line[-1]) for line in session.connection().exec_driver_sql(
            ("EXPLAIN QUERY PLAN " if dialect == "sqlite" else "EXPLAIN ") + statement, parameters)]
    expected = {fact_id for resident, moment, fact_id in every
                if resident in starts and starts[resident] <= moment < until}
    assert {fact_id for fact_id, _ in read} == expected and len(expected) == 6 + 10  # r1 from minute 20, r3 from 0
    assert all(moment.tzinfo is not None for _, moment in read)  # typed as the column is
    if dialect == "sqlite":
        assert plan[0].startswith("SCAN") and "VIRTUAL TABLE" in plan[0], plan  # the bounds (json_each) first
        assert "(community=? AND resident=? AND occurred_at>? AND occurred_at<?)" in plan[1], plan
    else:
        assert "Nested Loop" in plan[0] and any("Index" in line and "ix_facts_resident" in line for line in plan), plan
        assert not any("Seq Scan" in line or "Hash" in line for line in plan), plan
