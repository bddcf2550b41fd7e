"""Posting facts: scored once, by the version in force, with limits that hold across requests."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from tests.support.fixtures import new_community
from tests.support.standard import CIVIC_V1, civic
from xinzhi.db.tables import Fact, LedgerEntry
from xinzhi.errors import ServiceCode, ServiceError
from xinzhi.ledger import resident_score
from xinzhi.registry import publish_ruleset, upload_ruleset
from xinzhi.scoring import import_facts_csv, post_fact, post_facts


def fact(fact_id: str, *, type: str = "activity", resident: str = "r1", at: str = "2021-05-03T10:00:00+08:00",
         **fields) -> dict:
    fields = fields or ({"name": "邻里节"} if type == "activity" else {})
    return {"id": fact_id, "type": type, "resident": resident, "occurred_at": at, "fields": fields}


def entries(service, community: str, fact_id: str | None = None) -> list[LedgerEntry]:
    with service.db.reading() as session:
        query = select(LedgerEntry).where(LedgerEntry.community == community)
        if fact_id:
            query = query.where(LedgerEntry.fact_id == fact_id)
        return list(session.scalars(query.order_by(LedgerEntry.seq)))


def count_facts(service, community: str) -> int:
    with service.db.reading() as session:
        return session.scalar(select(func.count()).select_from(Fact).where(Fact.community == community))


def test_a_fact_is_scored_and_explained(service, community):
    result = post_fact(service, community, fact("f1"))
    assert not result.duplicate and result.ruleset == "civic@1"
    [entry] = result.entries
    assert (entry.kind, entry.amount, entry.rule_id, entry.category) == ("award", 2, "activity_join", "participation")
    assert entry.explanation["fact"]["fields"] == {"name": "邻里节"}
    assert "activity_join" in entry.explanation["summary"] and "civic@1" in entry.explanation["summary"]
    assert str(entry.points_expire_on) == "2023-05-31"


def test_same_fact_twice_returns_the_first_result_and_changes_nothing(service, community):
    first = post_fact(service, community, fact("f1"))
    again = post_fact(service, community, fact("f1", at="2021-05-03T02:00:00+00:00"))  # the same moment
    assert again.duplicate and not first.duplicate
    assert again.entries == first.entries
    assert len(entries(service, community)) == 1 and count_facts(service, community) == 1


@pytest.mark.parametrize("changed", [{"at": "2021-06-01T10:00:00+08:00"}, {"name": "另一场活动"},
                                     {"resident": "r2"}, {"type": "cleanup", "count": 1}])
def test_the_same_id_with_other_content_is_a_conflict_and_changes_nothing(service, community, changed):
    post_fact(service, community, fact("f2"))
    for post in (lambda: post_fact(service, community, fact("f2", **changed)),
                 lambda: post_facts(service, community, [fact("f3"), fact("f3", **changed)])):
        with pytest.raises(ServiceError) as raised:
            post()
        assert [p.code for p in raised.value.problems] == ["fact_id_conflict"]
    assert len(entries(service, community)) == 1 and count_facts(service, community) == 1


def test_twenty_concurrent_posts_of_one_fact_id_store_one_set_of_entries(service, community):
    barrier = threading.Barrier(20)

    def post(_):
        barrier.wait()
        return post_fact(service, community, fact("race", type="cleanup", count=5))

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(post, range(20)))
    assert sum(not r.duplicate for r in results) == 1
    assert {tuple((e.seq, e.amount) for e in r.entries) for r in results} == {tuple((e.seq, e.amount) for e in
                                                                                   results[0].entries)}
    assert [(e.rule_id, e.amount) for e in entries(service, community)] == [("cleanup_count", 5)]
    assert count_facts(service, community) == 1


def test_concurrent_posts_of_different_facts_never_exceed_a_limit(service, community):
    barrier = threading.Barrier(12)

    def post(i):
        barrier.wait()
        return post_fact(service, community, fact(f"a{i}", at=f"2021-05-{i + 1:02d}T10:00:00+08:00"))

    with ThreadPoolExecutor(12) as pool:
        list(pool.map(post, range(12)))
    assert sum(e.amount for e in entries(service, community)) == 10  # monthly limit of activity_join


def test_limits_hold_across_requests(service, community):
    amounts = [post_fact(service, community, fact(f"a{i}", at=f"2021-05-{i:02d}T10:00:00+08:00")).entries[0]
               for i in range(1, 8)]
    assert [e.amount for e in amounts] == [2, 2, 2, 2, 2, 0, 0]
    assert amounts[5].limited_by == "rule:activity_join/month" and amounts[5].raw_amount == 2
    assert post_fact(service, community, fact("june", at="2021-06-01T00:00:00+08:00")).entries[0].amount == 2


def test_category_limit_counts_across_rules_and_batches(service, community):
    post_facts(service, community, [fact("c1", type="cleanup", count=12, at="2021-05-03T10:00:00+08:00")])
    post_facts(service, community, [fact("c2", type="cleanup", count=12, at="2021-05-10T10:00:00+08:00")])
    third = post_fact(service, community, fact("c3", type="cleanup", count=12, at="2021-05-17T10:00:00+08:00"))
    assert third.entries[0].amount == 0 and third.entries[0].limited_by == "category:environment/month"


def test_batch_scores_in_time_order_and_reports_duplicates(service, community):
    batch = [fact(f"b{i}", at=f"2021-05-{10 - i:02d}T10:00:00+08:00") for i in range(7)]
    batch.append(dict(batch[0]))  # the same fact again
    result = post_facts(service, community, batch)
    assert (result.scored, result.duplicates) == (7, 1)
    by_id = {r.fact_id: r.entries[0].amount for r in result.results}
    assert by_id["b6"] == 2 and by_id["b0"] == 0 and by_id["b1"] == 0  # the earliest five get the room


def test_a_batch_with_one_bad_fact_stores_nothing(service, community):
    with pytest.raises(ServiceError) as raised:
        post_facts(service, community, [fact("ok"), fact("bad", type="cleanup", count="many"),
                                      fact("who", resident="nobody")])
    assert raised.value.code == ServiceCode.FACTS_REJECTED
    assert [(e.code, e.path) for e in raised.value.problems] == [
        ("fact_invalid", "facts[1].fields.count"), ("fact_unknown_resident", "facts[2].resident")]
    assert count_facts(service, community) == 0 and entries(service, community) == []


def test_a_fact_before_any_ruleset_is_in_force_is_refused(service, community):
    with pytest.raises(ServiceError) as raised:
        post_fact(service, community, fact("old", at="2020-12-31T23:59:00+08:00"))
    assert raised.value.problems[0].code == "fact_not_in_force"


def test_batch_size_is_bounded(service, community):
    with pytest.raises(ServiceError) as raised:
        post_facts(service, community, [fact(f"x{i}") for i in range(service.settings.max_batch_facts + 1)])
    assert raised.value.code == ServiceCode.BATCH_TOO_LARGE


def test_ruleset_in_force_is_chosen_by_occurred_at(service, community):
    v2 = upload_ruleset(service, community, civic(2, effective_from="2022-01-01", activity_points=3))
    publish_ruleset(service, community, "civic", v2.version)
    old = post_fact(service, community, fact("y2021", at="2021-12-31T23:59:59+08:00"))
    new = post_fact(service, community, fact("y2022", at="2021-12-31T16:00:00Z"))  # 2022-01-01 00:00 Shanghai
    assert (old.ruleset, old.entries[0].amount) == ("civic@1", 2)
    assert (new.ruleset, new.entries[0].amount) == ("civic@2", 3)
    assert resident_score(service, community, "r1").index == 105


def test_deduction_and_rolling_limits_hold_across_requests(service):
    """每 30 天最多扣 2 次 (noise), 每月最多扣 4 分 (parking): the ledger's deductions count, request after request."""
    standard = CIVIC_V1.replace("    when: {kind: noise}\n    award: {points: -5}",
                                "    when: {kind: noise}\n    award: {points: -5}\n    limits: [{days: 30, times: 2}]")
    standard = standard.replace("    award: {points: -3}",
                                "    award: {points: -3}\n    limits: [{period: month, max: 4}]")
    community = new_community(service, ruleset=standard)
    noise = [post_fact(service, community, fact(f"n{day}", type="violation", kind="noise",
                                                at=f"2021-05-{day:02d}T23:00:00+08:00")).entries[0]
             for day in (1, 10, 30, 31)]
    assert [(e.amount, e.limited_by) for e in noise] == [(-5, None), (-5, None), (0, "rule:noise/30d/deductions"),
                                                         (-5, None)]
    parking = [post_fact(service, community, fact(f"p{day}", type="violation", kind="parking",
                                                  at=f"2021-06-{day:02d}T08:00:00+08:00")).entries[0]
               for day in (1, 2, 3)]
    assert [(e.amount, e.limited_by) for e in parking] == [(-3, None), (-1, "rule:parking/month/deductions"),
                                                           (0, "rule:parking/month/deductions")]
    assert "at most 2 times" in noise[2].explanation["summary"] and noise[2].explanation["limit_times"] == 2
    assert resident_score(service, community, "r1").index == 100 - 15 - 4


def test_repeat_offences_count_the_ledgers_earlier_occurrences(service):
    """一年内第二次起加倍扣分, posted one fact per request: each request reads the earlier offences from the ledger."""
    standard = CIVIC_V1.replace("    when: {kind: noise}\n    award: {points: -5}",
                                "    when: {kind: noise}\n    award: {points: -5}\n"
                                "    repeats: {period: year, amounts: [-5, -10, -20]}")
    community = new_community(service, ruleset=standard)
    posted = [post_fact(service, community, fact(f"n{month}", type="violation", kind="noise",
                                                 at=f"2021-{month:02d}-01T23:00:00+08:00")).entries[0]
              for month in (3, 6, 9, 12)]
    assert [e.amount for e in posted] == [-5, -10, -20, -20]
    assert posted[2].explanation["occurrence"] == 3 and posted[2].explanation["earlier"] == ["n3", "n6"]
    january = post_fact(service, community, fact("n2022", type="violation", kind="noise",
                                                  at="2022-01-01T00:30:00+08:00")).entries[0]
    assert (january.amount, january.explanation["earlier"]) == (-5, [])


def test_a_sequence_looks_back_to_stored_facts_posted_in_any_order(service):
    """调解后 30 天内再次扰民: the earlier fact is read from the store, whichever request brought it."""
    standard = CIVIC_V1.replace("    when: {kind: noise}\n    award: {points: -5}",
                                "    when: {kind: noise}\n    award: {points: -5}\n"
                                "    after: {fact: violation, when: {kind: parking}, within_days: 30}")
    community = new_community(service, ruleset=standard)
    parking = fact("p1", type="violation", kind="parking", at="2021-05-01T08:00:00+08:00")
    first = post_fact(service, community, fact("n0", type="violation", kind="noise", at="2021-04-30T23:00:00+08:00"))
    assert [e.rule_id for e in first.entries] == []  # no parking before it
    post_fact(service, community, parking)
    after = post_fact(service, community, fact("n1", type="violation", kind="noise", at="2021-05-20T23:00:00+08:00"))
    late = post_facts(service, community, [fact("n2", type="violation", kind="noise",
                                                at="2021-05-30T23:00:00+08:00")]).results[0]
    outside = post_fact(service, community, fact("n3", type="violation", kind="noise",
                                                  at="2021-05-31T00:10:00+08:00"))
    assert [(e.rule_id, e.amount) for e in after.entries] == [("noise", -5)]
    assert "after fact p1" in after.entries[0].explanation["summary"]
    assert [e.rule_id for e in late.entries] == ["noise"]  # May 30th: the 30th day from May 1st
    assert outside.entries == []  # May 31st: the 31st


def test_deductions_lower_both_accounts_and_are_not_limited_unless_a_limit_says(service, community):
    for i in range(4):
        post_fact(service, community,
                  fact(f"v{i}", type="violation", kind="noise", at=f"2021-05-0{i + 1}T23:00:00+08:00"))
    score = resident_score(service, community, "r1")
    assert (score.index, score.points, score.tier) == (80, -20, "C")
    assert {e.kind for e in entries(service, community)} == {"deduction"}


def test_communities_do_not_leak_into_each_other(service, community):
    other = new_community(service)
    post_fact(service, community, fact("same-id"))
    result = post_fact(service, other, fact("same-id", type="cleanup", count=3))
    assert not result.duplicate and result.entries[0].amount == 3
    assert resident_score(service, community, "r1").index == 102
    assert resident_score(service, other, "r1").index == 103


def test_racing_posts_that_name_different_residents_still_store_one_fact(service, community):
    """Advisory locks are per resident; here the unique constraint is what decides (then a retry): the
    winner's fact stands, the same fact again is a duplicate, another resident's under its id a conflict."""
    barrier = threading.Barrier(10)

    def post(i):
        barrier.wait()
        try:
            return post_fact(service, community, fact("contested", resident=f"r{i % 5 + 1}"))
        except ServiceError as exc:
            return [p.code for p in exc.problems]

    with ThreadPoolExecutor(10) as pool:
        results = list(pool.map(post, range(10)))
    stored = [r for r in results if not isinstance(r, list)]
    assert sum(not r.duplicate for r in stored) == 1 and len(stored) == 2  # the winner and its twin (i ± 5)
    assert [r for r in results if isinstance(r, list)] == [["fact_id_conflict"]] * 8
    assert len(entries(service, community)) == 1 and count_facts(service, community) == 1


def test_an_import_is_scored_in_time_order_as_one_batch_however_long(service):
    """A file is not scored in file order or in pieces: the earlier deed gets a limit's room first."""
    community = new_community(service)
    rows = ["id,type,resident,occurred_at,name,count,kind",
            "late,cleanup,r1,2021-03-12T10:00:00+08:00,,10,"]
    rows += [f"v{i},violation,r{2 + i % 4},2021-03-09T10:00:00+08:00,,,parking" for i in range(2_100)]
    rows += ["early,cleanup,r1,2021-03-08T10:00:00+08:00,,10,"]
    result = import_facts_csv(service, community, "\n".join(rows) + "\n")
    assert result.scored == 2_102
    awarded = {f.fact_id: sum(e.amount for e in f.entries) for f in post_facts(
        service, community, [{"id": i, "type": "cleanup", "resident": "r1", "fields": {"count": 10},
                              "occurred_at": f"2021-03-{day}T10:00:00+08:00"} for i, day in (("early", "08"),
                                                                                              ("late", "12"))],
        explain=True).results}
    assert awarded == {"early": 10, "late": 2}  # the week's limit is 12


def test_a_fact_of_an_unknown_type_is_refused_unless_the_call_or_the_standard_says_ignore(service):
    community = new_community(service)
    batch = [fact("k1"), fact("u1", type="bonfire", name="x")]
    with pytest.raises(ServiceError) as raised:
        post_facts(service, community, batch)
    assert [(p.code, p.path) for p in raised.value.problems] == [("fact_unknown_type", "facts[1].type")]
    result = post_facts(service, community, batch, ignore_unknown_types=True)
    assert (result.scored, result.ignored, [r.fact_id for r in result.results]) == (1, 1, ["k1"])
    assert count_facts(service, community) == 1  # the ignored fact is not stored
    says_ignore = civic(1).replace("title: 测试标准", "title: 测试标准\nunknown_fact_types: ignore")
    lenient = new_community(service, ruleset=says_ignore)
    assert post_facts(service, lenient, batch).ignored == 1
