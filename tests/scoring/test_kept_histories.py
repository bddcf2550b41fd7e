"""A holder's history kept between batches gives what reading it from the store gives (``scoring.histories``).

Each stream is posted in batches by a service that keeps histories, by one that forgets them
before every batch (each batch reads the store, as before histories were kept), and by two
services on one database taking turns (another process scored for the holders meanwhile) —
and the three ledgers must be the same entry for entry. Streams hold late batches too, which
restate. Standards: Yihe's (limits of every period, a repeat, a sequence, a threshold, a
veto), one of rolling windows and category repeats, and one where households hold the accounts
with a limit per member. A batch rolled back keeps no history; a batch costs the same few
statements whatever its size.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import event, select

from tests.engine.test_households import PER_MEMBER
from tests.scoring.test_history_across_requests import HISTORY, history_stream
from tests.support.fixtures import new_community, settings_for
from xinzhi.db.tables import LedgerEntry
from xinzhi.engine import compile_ruleset, evaluate, load_ruleset
from xinzhi.scoring import post_facts
from xinzhi.scoring import service as scoring
from xinzhi.service import Service, open_service
from xinzhi.settings import REPO_RULESETS

YIHE = (REPO_RULESETS / "yihe_2021.yaml").read_text(encoding="utf-8")
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def yihe_stream(seed: int, n: int = 160) -> list[dict]:
    """Facts of five residents over a year and more in time order, every kind of rule Yihe's standard has."""
    rng = random.Random(seed)
    moment = dt.datetime(2021, 11, 1, 9, tzinfo=SHANGHAI)
    kinds: list[tuple[str, Callable[[], dict]]] = [
        ("volunteering", lambda: {"hours": rng.choice([2, 4.5, 8, 12])}),
        ("garbage_check", lambda: {"result": rng.choice(["excellent", "passed", "failed"])}),
        ("small_ad_cleanup", lambda: {"count": rng.randint(1, 9)}),
        ("competition", lambda: {"kind": rng.choice(["sports", "culture"]), "placement": rng.randint(1, 4)}),
        ("mediation", lambda: {"case": "C-1", "role": rng.choice(["mediator", "party"]),
                               "satisfaction": rng.randint(3, 5)}),
        ("violation", lambda: {"kind": rng.choice(["night_disturbance", "parking_space_occupied",
                                                    "serious_offence"])}),
        ("rectification", dict)]
    facts = []
    for i in range(n):
        moment += dt.timedelta(hours=rng.choice([2, 9, 30, 90, 200]))
        kind, fields = rng.choice(kinds)
        facts.append({"id": f"y{seed}-{i:03d}", "type": kind, "resident": f"r{rng.randint(1, 5)}",
                      "occurred_at": moment.isoformat(), "fields": fields()})
    return facts


def village_stream(seed: int, n: int = 80) -> list[dict]:
    """Members' deeds and households' courtyard checks (r1 r2 in h1, r3 r4 in h2, r5 in h3), in time order."""
    rng = random.Random(seed)
    moment = dt.datetime(2024, 1, 2, 9, tzinfo=SHANGHAI)
    facts = []
    for i in range(n):
        moment += dt.timedelta(hours=rng.choice([3, 20, 50]))
        fact = {"id": f"v{seed}-{i:03d}", "occurred_at": moment.isoformat()}
        if rng.random() < 0.8:
            member = rng.randint(1, 5)
            fact |= {"type": "deed", "resident": f"r{member}", "household": f"h{(member + 1) // 2}"}
        else:
            fact |= {"type": "courtyard_check", "household": f"h{rng.randint(1, 3)}",
                     "fields": {"result": rng.choice(["clean", "dirty"])}}
        facts.append(fact)
    return facts


STREAMS = {"yihe": (YIHE, yihe_stream), "rolling": (HISTORY, history_stream),
           "households": (PER_MEMBER, village_stream)}


def in_batches(facts: list[dict], size: int, *, late: bool) -> list[list[dict]]:
    """The stream in batches; ``late`` posts the fourth batch before the third (the third arrives late)."""
    batches = [facts[first:first + size] for first in range(0, len(facts), size)]
    if late:
        batches[2], batches[3] = batches[3], batches[2]
    return batches


def ledger(service: Service, community: str) -> list[tuple]:
    """Every entry as it reads, but for its number and when it was written."""
    with service.db.reading() as session:
        return sorted((e.fact_id or "", e.resident, e.member or "", e.kind, e.rule_id or "", e.amount, e.raw_amount,
                       e.index_delta, e.points_delta, e.limited_by or "", e.occurred_at,
                       e.points_expire_on or dt.date.min, json.dumps(e.explanation, sort_keys=True, ensure_ascii=False))
                      for e in session.scalars(select(LedgerEntry).where(LedgerEntry.community == community)))


@pytest.fixture
def other_processes(database_url) -> Iterator[tuple[Service, Service]]:
    """Two more services on the same database, as other API processes would open them."""
    opened = open_service(settings_for(database_url)), open_service(settings_for(database_url))
    yield opened
    for other in opened:
        other.close()


@pytest.mark.parametrize("late", [False, True], ids=["in-time-order", "a-late-batch"])
@pytest.mark.parametrize("name", sorted(STREAMS))
def test_kept_histories_score_as_the_store_reads(service, other_processes, name, late):
    standard, stream = STREAMS[name]
    forgetful, another = other_processes
    facts = stream(7)
    kept, forgotten, taking_turns = (new_community(service, ruleset=standard) for _ in range(3))
    for number, batch in enumerate(in_batches(facts, 9, late=late)):
        post_facts(service, kept, batch)
        scoring.histories_of(forgetful).clear()
        post_facts(forgetful, forgotten, batch)
        post_facts(another if number % 3 == 1 else service, taking_turns, batch)
    assert ledger(service, kept) == ledger(service, forgotten) == ledger(service, taking_turns)
    if not late:
        engine = evaluate(compile_ruleset(load_ruleset(standard, name=f"{name}.yaml")), facts).awards
        assert sorted((e[0], e[4], e[5]) for e in ledger(service, kept) if e[3] in ("award", "deduction")) == \
            sorted((a.fact_id, a.rule_id, a.amount) for a in engine)


@pytest.mark.parametrize("late", [False, True], ids=["in-time-order", "a-late-batch"])
@pytest.mark.parametrize("name", sorted(STREAMS))
def test_two_processes_taking_turns_catch_up_with_each_other(service, other_processes, monkeypatch, name, late):
    """Batch by batch the other process posts: each one's kept histories catch up with what the other stored."""
    standard, stream = STREAMS[name]
    another, forgetful = other_processes
    facts = stream(11)
    alternating, forgotten = (new_community(service, ruleset=standard) for _ in range(2))
    caught_up: list[str] = []
    real = scoring._caught_up

    def counting(*args):
        histories = real(*args)
        caught_up.extend(histories)
        return histories

    monkeypatch.setattr(scoring, "_caught_up", counting)
    for number, batch in enumerate(in_batches(facts, 7, late=late)):
        post_facts(another if number % 2 else service, alternating, batch)
        scoring.histories_of(forgetful).clear()
        post_facts(forgetful, forgotten, batch)
    assert caught_up  # holders were caught up, not only read from the store
    assert ledger(service, alternating) == ledger(service, forgotten)


def test_a_batch_rolled_back_keeps_no_history(service, monkeypatch):
    facts = yihe_stream(3)
    kept, fresh = (new_community(service, ruleset=YIHE) for _ in range(2))
    post_facts(service, kept, facts[:40])
    real_append = scoring.append_all

    def failing(session, rows):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(scoring, "append_all", failing)  # after scoring changed the holders' histories
    with pytest.raises(RuntimeError):
        post_facts(service, kept, facts[40:80])
    monkeypatch.setattr(scoring, "append_all", real_append)
    for batch in (facts[40:80], facts[80:]):
        post_facts(service, kept, batch)
    post_facts(service, fresh, facts)
    assert ledger(service, kept) == ledger(service, fresh)


def test_a_batch_costs_the_same_few_statements_whatever_its_size(service):
    """Every lookup is one statement for the whole batch: the count does not grow with the facts."""
    community = new_community(service, residents=60, ruleset=YIHE)
    rng = random.Random(5)
    start = dt.datetime(2022, 1, 3, 8, tzinfo=SHANGHAI)
    counter = iter(range(10**6))

    def facts(n: int) -> list[dict]:
        return [{"id": f"f{i}", "type": "volunteering", "resident": f"r{rng.randint(1, 60)}",
                 "occurred_at": (start + dt.timedelta(minutes=7 * i)).isoformat(), "fields": {"hours": 2}}
                for i in (next(counter) for _ in range(n))]

    statements: list[str] = []

    def count(_conn, _cursor, statement, *_):
        statements.append(statement)

    engines = {service.db.engine, service.db.writer}  # reads and writes: on SQLite, two engines
    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    try:
        counts = {}
        for label, n in (("first, 1000", 1000), ("then 1000", 1000), ("then 10", 10), ("then 1", 1)):
            statements.clear()
            post_facts(service, community, facts(n))
            counts[label] = len(statements)
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)
    assert counts["then 1000"] == counts["then 10"] == counts["then 1"] <= 16, counts
    assert counts["first, 1000"] <= counts["then 1000"] + 3, counts  # the store's history read once per holder
