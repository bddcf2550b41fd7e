"""Shared write queries: a batch's ledger rows come back numbered as the store numbered them.

``insert_numbered`` trusts SQLite to number a lone writer's rows consecutively and asks
PostgreSQL to say; either way each result's ``seq`` must be the stored row's, also when two
communities write at once (PostgreSQL writers overlap; each SQLite writer waits its turn).
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from tests.support.fixtures import new_community
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
