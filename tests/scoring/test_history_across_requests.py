"""Limits, repeats and sequences read the store's history: the same in one batch as one fact per request.

Found by attack: a batch that crossed from one published version to the next scored the
later version's sequences against the earlier version's patterns (调解后再犯: a mediation as
witness counted for a version that asks for a party), so the batch and one fact per request
disagreed. Facts arrive in time order throughout (late arrivals are a known, separate gap).
"""

from __future__ import annotations

import datetime as dt
import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from tests.support.fixtures import granted, new_community
from tests.support.standard import CIVIC_V1
from xinzhi.db.tables import LedgerEntry
from xinzhi.engine import compile_ruleset, evaluate, load_ruleset
from xinzhi.ledger import resident_score
from xinzhi.registry import publish_ruleset, upload_ruleset
from xinzhi.scoring import post_fact, post_facts


def mediation_standard(version: int, start: str, end: str | None, role: str) -> str:
    return f"""\
id: seq
version: {version}
title: 调解后再犯
community: 测试
effective_from: {start}
{f'effective_to: {end}' if end else ''}
accounts: {{starting_index: 100}}
tiers: [{{id: A, title: 全部}}]
categories:
  - {{id: civic, title: 文明}}
fact_types:
  - id: mediation
    title: 调解
    fields: {{role: {{type: enum, values: [party, witness]}}}}
  - id: noise
    title: 噪音
rules:
  - {{id: noise_after, title: 调解后再次扰民, category: civic, fact: noise, award: {{points: -10}},
     after: {{fact: mediation, when: {{role: {role}}}, within_days: 90}}}}
"""


def two_versions(service, first_role: str, second_role: str) -> str:
    community = new_community(service, ruleset=None)
    for version, start, end, role in ((1, "2021-01-01", "2021-05-31", first_role),
                                      (2, "2021-06-01", None, second_role)):
        uploaded = upload_ruleset(service, community, mediation_standard(version, start, end, role))
        publish_ruleset(service, community, uploaded.id, uploaded.version)
    return community


def outcome(results) -> list[tuple]:
    return [(r.fact_id, r.ruleset, [(e.rule_id, e.amount) for e in r.entries]) for r in results]


@pytest.mark.parametrize(("first_role", "second_role", "n2"), [
    ("witness", "party", []),  # v2 asks for a party: the witness of May does not count
    ("party", "witness", [("noise_after", -10)]),  # v2 asks for a witness: it counts, though v1 would not
])
def test_a_batch_across_versions_reads_earlier_facts_as_the_later_version_does(service, first_role, second_role, n2):
    facts = [{"id": "m1", "type": "mediation", "resident": "r1", "occurred_at": "2021-05-25T10:00:00+08:00",
              "fields": {"role": "witness"}},
             {"id": "n1", "type": "noise", "resident": "r1", "occurred_at": "2021-05-28T10:00:00+08:00", "fields": {}},
             {"id": "n2", "type": "noise", "resident": "r1", "occurred_at": "2021-06-02T10:00:00+08:00", "fields": {}}]
    n1 = [("noise_after", -10)] if first_role == "witness" else []
    expected = [("m1", "seq@1", []), ("n1", "seq@1", n1), ("n2", "seq@2", n2)]
    one_by_one = two_versions(service, first_role, second_role)
    assert outcome(post_fact(service, one_by_one, f) for f in facts) == expected
    batch = two_versions(service, first_role, second_role)
    assert outcome(post_facts(service, batch, facts).results) == expected
    stored_first = two_versions(service, first_role, second_role)  # m1 stored, then both versions in one batch
    post_fact(service, stored_first, facts[0])
    assert outcome(post_facts(service, stored_first, facts[1:]).results) == expected[1:]


HISTORY = """\
id: hist
version: 1
title: 历史规则
community: 测试
effective_from: 2021-01-01
accounts: {starting_index: 100}
tiers: [{id: A, title: 全部}]
categories:
  - {id: civic, title: 文明, limits: [{days: 20, max: 25, applies_to: deductions}]}
  - {id: good, title: 好人, limits: [{period: week, times: 3}]}
fact_types:
  - id: litter
    title: 乱扔垃圾
    fields: {bags: {type: int, min: 1, max: 10}}
  - id: noise
    title: 噪音
  - id: deed
    title: 好人好事
    fields: {kind: {type: enum, values: [help, clean]}}
  - id: warn
    title: 提醒
rules:
  - {id: litter, title: 乱扔垃圾, category: civic, fact: litter, award: {points: -1, per: bags},
     repeats: {days: 30, of: category, multipliers: [1, 2, 3]}, limits: [{days: 7, times: 2}]}
  - {id: noise, title: 噪音, category: civic, fact: noise, award: {points: -3},
     repeats: {period: month, amounts: [-3, -6]}, not_after: {fact: warn, within_days: 3}}
  - {id: noise_after_warn, title: 提醒后噪音, category: civic, fact: noise, award: {points: -2},
     after: {fact: warn, within_days: 3}}
  - {id: deed, title: 好人好事, category: good, fact: deed, award: {points: 2},
     not_after: {fact: litter, within_days: 5}, limits: [{days: 10, max: 5}]}
  - {id: deed_clean, title: 清洁, category: good, fact: deed, when: {kind: clean}, award: {points: 1},
     repeats: {days: 14, amounts: [1, 2, 3]}}
"""


def history_stream(seed: int, n: int = 40) -> list[dict]:
    """Facts of two residents in time order, hours to days apart, some across local midnight."""
    rng = random.Random(seed)
    moment = dt.datetime(2021, 3, 1, 9, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    facts = []
    for i in range(n):
        moment += dt.timedelta(hours=rng.choice([1, 5, 15, 20, 30, 70]), minutes=rng.randint(0, 59))
        kind = rng.choice(["litter", "noise", "deed", "warn"])
        fields = {"bags": rng.randint(1, 4)} if kind == "litter" else \
            {"kind": rng.choice(["help", "clean"])} if kind == "deed" else {}
        facts.append({"id": f"s{seed}-{i:02d}", "type": kind, "resident": rng.choice(["r1", "r2"]),
                      "occurred_at": moment.isoformat(), "fields": fields})
    return facts


def stored_amounts(service, community: str) -> list[tuple]:
    with service.db.reading() as session:
        return sorted((e.fact_id, e.rule_id, e.amount) for e in session.scalars(select(LedgerEntry).where(
            LedgerEntry.community == community, LedgerEntry.kind.in_(("award", "deduction")))))


@pytest.mark.parametrize("seed", [1, 4, 11])
def test_one_fact_per_request_a_batch_and_the_engine_agree(service, seed):
    facts = history_stream(seed)
    engine = sorted((a.fact_id, a.rule_id, a.amount)
                    for a in evaluate(compile_ruleset(load_ruleset(HISTORY, name="hist.yaml")), facts).awards)
    assert {rule for _, rule, _ in engine} == {"litter", "noise", "noise_after_warn", "deed", "deed_clean"}
    one_by_one, batch, chunks = (new_community(service, ruleset=HISTORY) for _ in range(3))
    for f in facts:
        post_fact(service, one_by_one, f)
    post_facts(service, batch, facts)
    for first in range(0, len(facts), 7):
        post_facts(service, chunks, facts[first:first + 7])
    assert stored_amounts(service, one_by_one) == engine
    assert stored_amounts(service, batch) == engine
    assert stored_amounts(service, chunks) == engine


def test_twenty_racing_posts_for_one_resident_never_overrun_rolling_and_category_limits(service):
    """20 threads post different noise facts of r1 at once: at most 5 in 30 days, at most 31 points a month."""
    standard = CIVIC_V1.replace("    when: {kind: noise}\n    award: {points: -5}",
                                "    when: {kind: noise}\n    award: {points: -5}\n"
                                "    repeats: {days: 365, of: category, amounts: [-5, -7]}\n"
                                "    limits: [{days: 30, times: 5}]")
    standard = standard.replace("  - {id: violations, title: 违规扣分}",
                                "  - {id: violations, title: 违规扣分, limits: [{period: month, max: 31}]}")
    community = new_community(service, ruleset=standard)
    post_fact(service, community, {"id": "p0", "type": "violation", "resident": "r1",
                                   "occurred_at": "2021-04-30T08:00:00+08:00", "fields": {"kind": "parking"}})
    barrier = threading.Barrier(20)

    def post(day: int):
        barrier.wait()
        return post_fact(service, community, {"id": f"n{day:02d}", "type": "violation", "resident": "r1",
                                              "occurred_at": f"2021-05-{day:02d}T08:00:00+08:00",
                                              "fields": {"kind": "noise"}})

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(post, range(1, 21)))
    assert all(e.explanation["occurrence"] >= 2 for r in results for e in r.entries if e.kind == "deduction")
    amounts = [amount for fact, _, amount, _ in granted(service, community) if fact != "p0"]  # as restated
    assert len(amounts) == 20 and sum(1 for a in amounts if a) == 5 and sum(amounts) == -31
    assert resident_score(service, community, "r1").index == 100 - 3 - 31
