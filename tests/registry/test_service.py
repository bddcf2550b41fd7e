"""The ruleset registry: drafts, problems with line/column, publishing gates, diffs, dry-runs."""

from __future__ import annotations

import pytest

from tests.support.fixtures import new_community
from tests.support.standard import CIVIC_V1, civic
from xinzhi.engine._matcher import MATCHER
from xinzhi.errors import ServiceCode, ServiceError
from xinzhi.registry import (
    diff_rulesets,
    dry_run,
    dry_run_draft,
    get_ruleset,
    list_rulesets,
    publish_ruleset,
    upload_ruleset,
)


def refused(call, *args, **kwargs) -> ServiceError:
    with pytest.raises(ServiceError) as raised:
        call(*args, **kwargs)
    return raised.value


def test_upload_reports_every_problem_with_line_and_column(service, community):
    broken = CIVIC_V1.replace("version: 1", "version: 2").replace("period: week", "period: fortnight") \
        .replace("    when: {kind: noise}", "    wen: {kind: noise}")
    error = refused(upload_ruleset, service, community, broken, source_name="civic-v2.yaml")
    assert error.code == ServiceCode.RULESET_INVALID
    lines = broken.splitlines()
    period_line = next(i for i, line in enumerate(lines, 1) if "fortnight" in line)
    wen_line = next(i for i, line in enumerate(lines, 1) if "wen:" in line)
    assert {(e.code, e.line, e.column) for e in error.problems} == {
        ("ruleset_bad_period", period_line, lines[period_line - 1].index("period") + 1),
        ("ruleset_unknown_key", wen_line, 5)}
    assert all(e.file == "civic-v2.yaml" for e in error.problems)
    assert [s.ref for s in list_rulesets(service, community)] == ["civic@1"]


def test_publish_is_refused_when_an_embedded_test_fails(service, community):
    upload_ruleset(service, community, civic(2, effective_from="2022-01-01", activity_points=3, expected_activity=2))
    error = refused(publish_ruleset, service, community, "civic", 2)
    assert error.code == ServiceCode.RULESET_TESTS_FAILED
    assert any("activity_join +3" in e.message for e in error.problems)
    assert {s.ref: s.status for s in list_rulesets(service, community)} == {"civic@1": "published", "civic@2": "draft"}


def test_publish_is_refused_when_dates_overlap(service, community):
    upload_ruleset(service, community, civic(2, effective_from="2021-01-01"))
    assert refused(publish_ruleset, service, community, "civic", 2).code == ServiceCode.RULESET_DATES_OVERLAP
    bounded = new_community(service, ruleset=civic(1, effective_from="2021-01-01", effective_to="2021-12-31"))
    upload_ruleset(service, bounded, civic(2, effective_from="2021-06-01"))
    assert refused(publish_ruleset, service, bounded, "civic", 2).code == ServiceCode.RULESET_DATES_OVERLAP
    upload_ruleset(service, bounded, civic(3, effective_from="2022-01-01"))
    assert publish_ruleset(service, bounded, "civic", 3).ruleset.status == "published"


def test_a_published_version_is_immutable(service, community):
    error = refused(upload_ruleset, service, community, CIVIC_V1.replace("测试标准", "改过的标准"))
    assert error.code == ServiceCode.RULESET_PUBLISHED and "version 2" in error.detail
    assert refused(publish_ruleset, service, community, "civic", 1).code == ServiceCode.RULESET_PUBLISHED
    assert get_ruleset(service, community, "civic", 1).title == "测试标准"


def test_a_draft_can_be_replaced_until_published(service, community):
    upload_ruleset(service, community, civic(2, effective_from="2022-01-01"))
    upload_ruleset(service, community, civic(2, effective_from="2022-01-01", activity_points=4))
    assert get_ruleset(service, community, "civic", 2).resolved["rules"][0]["award"] == {"points": 4}


def test_diff_lists_changes_rule_by_rule(service, community):
    v2 = civic(2, effective_from="2022-01-01", activity_points=3).replace(
        "limits: [{period: week, max: 12}]", "limits: [{period: week, max: 15}]")
    v2 = v2.replace("  - id: parking\n", "  - id: parking_gone\n")
    upload_ruleset(service, community, v2)
    diff = diff_rulesets(service, community, "civic", 1, 2)
    changes = {(c.rule, c.change): c.fields for c in diff.rules}
    assert changes[("activity_join", "changed")]["award"] == {"before": {"points": 2}, "after": {"points": 3}}
    assert changes[("cleanup_count", "changed")]["limits"]["after"] == [{"period": "week", "max": 15}]
    assert ("parking", "removed") in changes and ("parking_gone", "added") in changes
    assert ("noise", "changed") not in changes
    assert diff.other_changes["effective_from"] == {"before": "2021-01-01", "after": "2022-01-01"}


def test_diff_shows_every_other_change_with_its_values_item_by_item(service, community):
    v2 = civic(2, effective_from="2022-01-01", activity_points=3).replace(
        "  - {id: violations, title: 违规扣分}",
        "  - {id: violations, title: 违规行为}\n  - {id: care, title: 邻里关爱}")
    upload_ruleset(service, community, v2 + "publicity_days: 5\n")
    other = diff_rulesets(service, community, "civic", 1, 2).other_changes
    assert other["categories[violations]"] == {"before": {"title": "违规扣分"}, "after": {"title": "违规行为"}}
    assert other["categories[care]"] == {"before": None, "after": {"id": "care", "title": "邻里关爱", "limits": []}}
    assert "categories[participation]" not in other
    assert other["publicity_days"] == {"before": None, "after": 5}
    # a test by its name, with only what changed: its expectations (the tier stays B) and its facts' new dates
    test = other["tests[activity gives 2]"]
    assert (test["before"]["expect"], test["after"]["expect"]) == (
        {"awards": [{"fact": "t1", "rule": "activity_join", "amount": 2}],
         "balances": {"r1": {"index": 102, "points": 2}}},
        {"awards": [{"fact": "t1", "rule": "activity_join", "amount": 3}],
         "balances": {"r1": {"index": 103, "points": 3}}})
    assert "name" not in test["before"] and test["after"]["facts"][0]["occurred_at"].startswith("2022-")


def test_dry_runs_store_nothing_and_drafts_never_reach_the_servers_engine(service, community):
    registered = MATCHER.registered
    facts = [{"id": "d1", "type": "activity", "resident": "x", "occurred_at": "2022-03-01T10:00:00+08:00",
              "fields": {"name": "a"}}]
    draft = dry_run_draft(service, community, civic(9, effective_from="2022-01-01", activity_points=7), facts)
    assert draft.draft and draft.awards[0]["amount"] == 7 and draft.balances[0]["index"] == 107
    upload_ruleset(service, community, civic(2, effective_from="2022-01-01", activity_points=5))
    stored_draft = dry_run(service, community, "civic", 2, facts)
    assert stored_draft.awards[0]["amount"] == 5
    assert MATCHER.registered == registered
    published = dry_run(service, community, "civic", 1, facts)
    assert not published.draft and published.awards[0]["amount"] == 2
    assert refused(dry_run_draft, service, community, "id: [", facts).code == ServiceCode.RULESET_INVALID
