"""The catalogue: a community shares a published standard, others derive from it pinned to its
version, a bundle carries it to another server, and nothing changes under a published child."""

from __future__ import annotations

import uuid

import pytest

from tests.support.fixtures import new_community, settings_for
from xinzhi.catalogue import (
    DeriveIn,
    ShareIn,
    adopt_upstream,
    derive_standard,
    export_bundle,
    get_entry,
    import_bundle,
    list_catalogue,
    share_standard,
    upstream_preview,
)
from xinzhi.engine._matcher import MATCHER
from xinzhi.errors import ServiceError
from xinzhi.registry import get_ruleset, publish_ruleset, upload_ruleset
from xinzhi.scoring import post_fact
from xinzhi.service import open_service


def parent(ruleset_id: str, version: int = 1, *, points: int = 2, with_rule: bool = True,
           dates: str = "effective_from: 2021-01-01") -> str:
    """A small standard: activities earn ``points``; ``with_rule=False`` drops the litter rule (a v2 change)."""
    litter = ("  - id: litter_pick\n    title: 捡拾垃圾\n    category: environment\n    fact: cleanup\n"
              "    award: {points: 1}\n") if with_rule else ""
    return (f"id: {ruleset_id}\nversion: {version}\ntitle: 共享测试标准\ncommunity: 甲社区\n"
            f"{dates}\naccounts: {{starting_index: 100}}\n"
            f"tiers:\n  - {{id: A, title: 良好, index_from: 100}}\n  - {{id: B, title: 一般, index_below: 100}}\n"
            f"categories:\n  - {{id: participation, title: 社区活动}}\n"
            f"  - {{id: environment, title: 环境卫生}}\nfact_types:\n  - id: activity\n    title: 参加活动\n"
            f"    fields:\n      name: {{type: string}}\n  - id: cleanup\n    title: 清理\n    fields: {{}}\n"
            f"rules:\n  - id: activity_join\n    title: 参加社区活动\n    category: participation\n"
            f"    fact: activity\n    award: {{points: {points}}}\n{litter}"
            f"tests:\n  - name: 参加活动得 {points} 分\n    facts:\n"
            f"      - {{id: t1, type: activity, resident: r1, occurred_at: 2021-03-05T19:00:00+08:00, "
            f"fields: {{name: a}}}}\n    expect:\n"
            f"      awards: [{{fact: t1, rule: activity_join, amount: {points}}}]\n")


def child(ruleset_id: str, pinned: str) -> str:
    """Community B's own standard: the shared one with its activity award raised to 3 and litter switched off."""
    return (f"id: {ruleset_id}\nversion: 1\ntitle: 乙社区标准\ncommunity: 乙社区\neffective_from: 2021-01-01\n"
            f"extends: {pinned}\noverrides:\n  - {{rule: activity_join, award: {{points: 3}}}}\n"
            f"  - {{rule: litter_pick, enabled: false}}\n")


def fresh_id(prefix: str = "s") -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def published(service, community: str, text: str) -> str:
    summary = upload_ruleset(service, community, text)
    publish_ruleset(service, community, summary.id, summary.version)
    return summary.ref


def activity(service, community: str, fact_id: str, when: str = "2024-03-05T19:00:00+08:00") -> int:
    result = post_fact(service, community, {"id": fact_id, "type": "activity", "resident": "r1",
                                            "occurred_at": when, "fields": {"name": "重阳节"}})
    return sum(e.amount for e in result.entries)


def test_a_child_derived_from_a_shared_standard_stays_pinned_when_the_parent_moves_on(service):
    a, b = new_community(service, ruleset=None), new_community(service, ruleset=None)
    shared = fresh_id()
    published(service, a, parent(shared, dates="effective_from: 2021-01-01\neffective_to: 2024-12-31"))
    entry = share_standard(service, a, shared, 1, ShareIn(), actor="a-committee")
    assert (entry.ref, entry.source_community, entry.summary.tests, entry.summary.tests_passed) == (
        f"{shared}@1", a, 1, 1)
    assert entry.summary.categories == ["社区活动", "环境卫生"] and entry.summary.rules == 2
    assert f"{shared}@1" in [e.ref for e in list_catalogue(service, b)]

    draft = derive_standard(service, b, shared, 1, DeriveIn(id=fresh_id("b"), title="乙社区标准",
                                                           effective_from="2021-01-01"))
    assert draft.extends == f"{shared}@1" and draft.status == "draft"
    own = draft.id
    published(service, b, child(own, f"{shared}@1").replace("version: 1\ntitle: 乙", "version: 1\ntitle: 乙", 1))
    assert activity(service, b, "b-1") == 3  # the override applies

    moved_on = parent(shared, 2, points=5, with_rule=False, dates="effective_from: 2025-01-01")
    published(service, a, moved_on)  # A moves on: 5 points, no litter rule
    share_standard(service, a, shared, 2, ShareIn(), actor="a-committee")
    assert activity(service, b, "b-2", "2024-03-06T19:00:00+08:00") == 3  # B's published child is pinned to @1
    assert get_ruleset(service, b, own, 1).resolved["rules"][0]["award"] == {"points": 3}
    assert activity(service, a, "a-1", "2025-03-05T19:00:00+08:00") == 5


def test_an_unshared_standard_is_not_found_and_a_group_share_is_seen_by_its_group_only(service):
    a, b, c, d = (new_community(service, ruleset=None) for _ in range(4))
    private, town = fresh_id(), fresh_id()
    published(service, a, parent(private))
    with pytest.raises(ServiceError) as refused:  # published but never shared: B cannot extend it
        upload_ruleset(service, b, child(fresh_id("b"), f"{private}@1"))
    assert refused.value.code == "ruleset_invalid"
    assert [(p.code, p.line) for p in refused.value.problems] == [("ruleset_extends_unknown", 6)]

    published(service, d, parent(town))
    entry = share_standard(service, d, town, 1, ShareIn(communities=[c], group_title="温泉镇"), actor="d")
    assert entry.audience == sorted([d, c]) and entry.audience_title == "温泉镇"
    assert f"{town}@1" in [e.ref for e in list_catalogue(service, c)]
    assert f"{town}@1" not in [e.ref for e in list_catalogue(service, b)]
    with pytest.raises(ServiceError) as hidden:
        get_entry(service, b, town, 1)
    assert hidden.value.code == "catalogue_not_found"
    upload_ruleset(service, c, child(fresh_id("c"), f"{town}@1"))  # the group's member extends it


@pytest.mark.parametrize(("case", "expected"), [
    ("draft", "ruleset_not_published"), ("conflict", "catalogue_conflict"), ("stranger", "community_not_found")])
def test_what_cannot_be_shared(service, case, expected):
    a, b = new_community(service, ruleset=None), new_community(service, ruleset=None)
    shared = fresh_id()
    if case == "conflict":  # B names a standard so first, publishes other content under the id and shares it
        published(service, b, parent(shared, points=4))
        share_standard(service, b, shared, 1, ShareIn(), actor="b")
    if case == "draft":
        upload_ruleset(service, a, parent(shared))
    else:
        published(service, a, parent(shared))
    with pytest.raises(ServiceError) as refused:
        share_standard(service, a, shared, 1, ShareIn(communities=["nobody"] if case == "stranger" else None),
                       actor="a")
    assert refused.value.code == expected


def test_a_bundle_travels_to_a_fresh_server_and_resolves_identically(service, tmp_path):
    origin, a = new_community(service, ruleset=None), new_community(service, ruleset=None)
    base, shared = fresh_id("g"), fresh_id()
    published(service, origin, parent(base))
    share_standard(service, origin, base, 1, ShareIn(), actor="origin")
    published(service, a, child(shared, f"{base}@1").replace("乙社区标准", "甲社区二级标准") + (  # a chain of two
        "tests:\n  - name: 参加活动得 3 分\n    facts:\n      - {id: t1, type: activity, resident: r1, "
        "occurred_at: 2021-03-05T19:00:00+08:00, fields: {name: a}}\n"
        "    expect:\n      awards: [{fact: t1, rule: activity_join, amount: 3}]\n"))
    entry = share_standard(service, a, shared, 1, ShareIn(), actor="a")
    text = export_bundle(service, a, shared, 1)
    assert f"ref: {base}@1" in text and entry.digest in text and "award: {points: 3}" in text

    other = open_service(settings_for(f"sqlite:///{tmp_path / 'other.db'}"))
    try:
        far = new_community(other, ruleset=None)
        registered = MATCHER.registered
        imported = import_bundle(other, far, text, actor="far-committee")
        assert (imported.digest, imported.origin, imported.summary) == (entry.digest, "imported", entry.summary)
        assert imported.summary.tests == imported.summary.tests_passed == 1  # its test ran, in a draft worker:
        assert MATCHER.registered == registered  # a ruleset this process matched would stay in its core for good
        assert import_bundle(other, far, text, actor="again").digest == entry.digest  # the same bundle: same entry
        here, there = get_entry(service, a, shared, 1), get_entry(other, far, shared, 1)
        assert (here.yaml, here.parents) == (there.yaml, there.parents)
        mine = derive_standard(other, far, shared, 1, DeriveIn(id=fresh_id("f"), title="远方社区标准",
                                                              effective_from="2021-01-01"))
        resolved_there = get_ruleset(other, far, mine.id, 1).resolved
        original = derive_standard(service, a, shared, 1, DeriveIn(id=mine.id, title="远方社区标准",
                                                                  effective_from="2021-01-01"))
        resolved_here = get_ruleset(service, a, original.id, 1).resolved
        assert {k: v for k, v in resolved_there.items() if k != "community"} == \
               {k: v for k, v in resolved_here.items() if k != "community"}

        for tampered, says in ((text.replace("award: {points: 3}", "award: {points: 30}"), "digest"),
                               (text.replace("xinzhi_bundle: 1", "xinzhi_bundle: 2"), "not a bundle"),
                               ("a: &x [1]\nb: [*x, *x]\n", "aliases"),
                               ("[" * 50 + "]" * 50, "nests"),
                               ("just: text", "not a bundle")):
            with pytest.raises(ServiceError) as refused:
                import_bundle(other, far, tampered, actor="far")
            assert refused.value.code == "bundle_invalid" and says in str(refused.value), (says, refused.value)
    finally:
        other.close()


def test_a_newer_parent_is_previewed_then_adopted_fixed_and_published_and_old_facts_keep_their_scores(service):
    a, b = new_community(service, ruleset=None), new_community(service, ruleset=None)
    shared, own = fresh_id(), fresh_id("b")
    published(service, a, parent(shared, dates="effective_from: 2021-01-01\neffective_to: 2024-12-31"))
    share_standard(service, a, shared, 1, ShareIn(), actor="a")
    published(service, b, child(own, f"{shared}@1"))
    assert activity(service, b, "old-1") == 3
    assert upstream_preview(service, b, own, 1).newer == []  # nothing newer yet

    published(service, a, parent(shared, 2, points=5, with_rule=False, dates="effective_from: 2025-01-01"))
    share_standard(service, a, shared, 2, ShareIn(), actor="a")
    preview = upstream_preview(service, b, own, 1)
    assert (preview.extends, preview.newer, preview.target) == (f"{shared}@1", [2], f"{shared}@2")
    changed = {c.rule: c for c in preview.parent_diff.rules}
    assert changed["activity_join"].fields["award"] == {"before": {"points": 2}, "after": {"points": 5}}
    assert changed["litter_pick"].change == "removed"
    statuses = {o.rule: o for o in preview.overrides}
    assert statuses["activity_join"].status == "parent_changed"  # B's 3 still wins; B should know 2 → 5 upstream
    assert statuses["activity_join"].parent_after == {"award": {"points": 5}}
    assert statuses["litter_pick"].status == "rule_removed"
    dangling = child(own, f"{shared}@1").split("\n").index("  - {rule: litter_pick, enabled: false}") + 1
    assert [(p.code, p.line) for p in preview.problems] == [("ruleset_unknown_rule", dangling)], preview.problems
    assert [(c.rule, c.change) for c in preview.diff.rules] == [("litter_pick", "removed")]  # B's 3 is kept
    assert f"extends: {shared}@2" in preview.yaml

    with pytest.raises(ServiceError) as refused:  # adopting as is: the dangling override, located, and the text
        adopt_upstream(service, b, own, 1, 2)
    assert refused.value.code == "ruleset_invalid" and refused.value.extra["yaml"].startswith(f"id: {own}\nversion: 2")
    fixed = (refused.value.extra["yaml"].replace("  - {rule: litter_pick, enabled: false}\n", "")
             .replace("effective_from: 2021-01-01", "effective_from: 2025-01-01"))
    published(service, b, fixed)
    assert activity(service, b, "new-1", "2025-03-05T19:00:00+08:00") == 3  # B's override on the new parent
    again = post_fact(service, b, {"id": "old-1", "type": "activity", "resident": "r1",
                                   "occurred_at": "2024-03-05T19:00:00+08:00", "fields": {"name": "重阳节"}})
    assert again.duplicate and sum(e.amount for e in again.entries) == 3  # the old fact keeps its score
    assert upstream_preview(service, b, own, 2).newer == []


def test_adopting_a_clean_upstream_change_is_one_draft(service):
    a, b = new_community(service, ruleset=None), new_community(service, ruleset=None)
    shared, own = fresh_id(), fresh_id("b")
    published(service, a, parent(shared, dates="effective_from: 2021-01-01\neffective_to: 2024-12-31"))
    share_standard(service, a, shared, 1, ShareIn(), actor="a")
    mine = child(own, f"{shared}@1").replace("  - {rule: litter_pick, enabled: false}\n", "")
    published(service, b, mine)
    published(service, a, parent(shared, 2, points=5, dates="effective_from: 2025-01-01"))
    share_standard(service, a, shared, 2, ShareIn(), actor="a")
    preview = upstream_preview(service, b, own, 1)
    assert preview.problems == [] and preview.diff is not None
    draft = adopt_upstream(service, b, own, 1, 2)
    assert (draft.version, draft.status, draft.extends) == (2, "draft", f"{shared}@2")
