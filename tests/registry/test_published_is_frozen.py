"""A published version is immutable as resolved: nothing edited later changes what it scores.

Found by attack: a child could extend a parent that was only a draft; editing the draft
later changed the published child's awards (its embedded test said 6, the server gave 18),
and two server processes disagreed. A child's whole ``extends`` chain must be published
when it is, and what it resolved to is frozen with it.
"""

from __future__ import annotations

import uuid

import pytest

from tests.support.fixtures import new_community
from tests.support.standard import civic
from xinzhi.catalogue import ShareIn, share_standard
from xinzhi.communities import CommunityCreate, ResidentCreate, create_community, register_residents
from xinzhi.errors import ServiceCode, ServiceError
from xinzhi.registry import publish_ruleset, upload_ruleset
from xinzhi.scoring import post_fact
from xinzhi.service import open_service
from xinzhi.settings import Settings


def child(parent: str = "civic@1", activity: int | None = None) -> str:
    """A standard extending ``parent``, whose embedded test expects the parent's activity award."""
    return f"""\
id: kid
version: 1
title: 子标准
community: test community
effective_from: 2022-01-01
extends: {parent}
overrides:
  - {{rule: parking, award: {{points: -4}}}}
tests:
  - name: activity as the parent awards it
    facts:
      - {{id: t1, type: activity, resident: r1, occurred_at: 2022-03-05T19:00:00+08:00, fields: {{name: a}}}}
    expect:
      awards: [{{fact: t1, rule: activity_join, amount: {activity or 2}}}]
"""


def parent(points: int = 2) -> tuple[str, str]:
    """A civic standard under an id of its own (other tests publish civic@1 with other awards)."""
    ruleset_id = f"p{uuid.uuid4().hex[:10]}"
    return f"{ruleset_id}@1", civic(activity_points=points).replace("id: civic", f"id: {ruleset_id}", 1)


def activity_award(service, community: str) -> int:
    fact = {"id": f"a{uuid.uuid4().hex[:8]}", "type": "activity", "resident": "r1",
            "occurred_at": "2022-05-01T10:00:00+08:00", "fields": {"name": "x"}}
    return sum(e.amount for e in post_fact(service, community, fact).entries)


def test_a_child_of_a_draft_parent_is_not_published(service):
    community = new_community(service, ruleset=None)
    ref, text = parent()
    upload_ruleset(service, community, text)  # the parent stays a draft
    kid = upload_ruleset(service, community, child(ref))
    with pytest.raises(ServiceError) as refused:
        publish_ruleset(service, community, kid.id, kid.version)
    assert refused.value.code == ServiceCode.RULESET_PARENT_UNPUBLISHED
    assert refused.value.problems[0].path == "extends"


def test_a_published_child_keeps_scoring_as_it_was_published(service, database_url):
    source = new_community(service, ruleset=None)
    ref, text = parent()
    summary = upload_ruleset(service, source, text)
    publish_ruleset(service, source, summary.id, summary.version)
    share_standard(service, source, summary.id, summary.version, ShareIn(), actor="source")
    reuser = f"c{uuid.uuid4().hex[:12]}"
    create_community(service, CommunityCreate(id=reuser, name="复用社区"))
    register_residents(service, reuser, [ResidentCreate(id="r1", name="居民", zone="north")])
    kid = upload_ruleset(service, reuser, child(ref))  # the parent: the catalogue's copy
    publish_ruleset(service, reuser, kid.id, kid.version)
    assert activity_award(service, reuser) == 2
    # the reusing community now uploads a version of the parent's id of its own, with another award
    upload_ruleset(service, reuser, text.replace("award: {points: 2}", "award: {points: 9}"))
    assert activity_award(service, reuser) == 2
    other_process = open_service(Settings(database_url=database_url, rulesets_dir=None))
    try:
        assert activity_award(other_process, reuser) == 2
    finally:
        other_process.close()
