"""Adoption: the bodies a community names decide on a draft; publishing waits for every required one."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from tests.support.fixtures import new_community
from tests.support.standard import civic
from xinzhi.adoption import DecisionIn, ItemComment, adoption_record, record_decision
from xinzhi.communities import CommunityCreate, create_community
from xinzhi.errors import ServiceError
from xinzhi.registry import publish_ruleset, upload_ruleset

BODIES = [{"id": "two_committees", "title": "两委会"}, {"id": "party", "title": "党员大会"},
          {"id": "residents", "title": "居民代表大会", "required": False}]


def decided(body: str, decision: str, **more) -> DecisionIn:
    return DecisionIn(body=body, decision=decision, held_on=dt.date(2026, 11, 20), recorded_by="记录人 王芳", **more)


@pytest.fixture
def drafted(service):
    """A community declaring three bodies (two required) with a draft of its own standard."""
    community = new_community(service, ruleset=None)
    create_community(service, CommunityCreate(id=community, name="测试社区", bodies=BODIES))
    ruleset_id = f"s{uuid.uuid4().hex[:10]}"
    upload_ruleset(service, community, civic().replace("id: civic\n", f"id: {ruleset_id}\n", 1))
    return community, ruleset_id


def test_publishing_waits_for_every_required_body_and_the_record_stays(service, drafted):
    community, ruleset_id = drafted
    with pytest.raises(ServiceError) as refused:
        publish_ruleset(service, community, ruleset_id, 1)
    assert refused.value.code == "adoption_incomplete" and refused.value.extra["missing"] == ["两委会", "党员大会"]
    assert refused.value.message.render("zh") == f"{ruleset_id}@1 还需经 两委会、党员大会 通过后才能发布"

    record_decision(service, community, ruleset_id, 1, decided("two_committees", "approve"), actor="t1")
    record_decision(service, community, ruleset_id, 1, decided(
        "party", "reject", comments=[ItemComment(item="activity_join", text="分值偏低，建议 3 分")]), actor="t1")
    record_decision(service, community, ruleset_id, 1, decided("residents", "comment", comments=[
        ItemComment(item="总体", text="同意")]), actor="t1")
    with pytest.raises(ServiceError) as still:
        publish_ruleset(service, community, ruleset_id, 1)
    assert still.value.extra["missing"] == ["党员大会"]  # a rejection is not an approval

    record_decision(service, community, ruleset_id, 1, decided("party", "approve"), actor="t2")
    publish_ruleset(service, community, ruleset_id, 1)  # the optional body never approved: not needed
    record = adoption_record(service, community, ruleset_id, 1)
    assert (record.status, record.complete, record.missing) == ("published", True, [])
    party = {b.id: b for b in record.bodies}["party"]
    assert [d.decision for d in party.decisions] == ["reject", "approve"] and party.latest == "approve"
    first = party.decisions[0]
    assert (first.comments[0].text, first.recorded_by) == ("分值偏低，建议 3 分", "记录人 王芳")
    with pytest.raises(ServiceError) as closed:
        record_decision(service, community, ruleset_id, 1, decided("party", "reject"), actor="t3")
    assert closed.value.code == "ruleset_published_immutable"


def test_an_edited_draft_needs_new_decisions_and_bodies_must_be_declared(service, drafted):
    community, ruleset_id = drafted
    for body in ("two_committees", "party"):
        record_decision(service, community, ruleset_id, 1, decided(body, "approve"), actor="t")
    assert adoption_record(service, community, ruleset_id, 1).complete
    upload_ruleset(service, community, civic(activity_points=3).replace("id: civic\n", f"id: {ruleset_id}\n", 1))
    record = adoption_record(service, community, ruleset_id, 1)  # the same version, another text
    assert not record.complete and record.missing == ["两委会", "党员大会"]
    assert all(not d.current for b in record.bodies for d in b.decisions)
    with pytest.raises(ServiceError) as unknown:
        record_decision(service, community, ruleset_id, 1, decided("village_council", "approve"), actor="t")
    assert unknown.value.code == "body_not_declared" and unknown.value.problems[0].path == "body"


def test_a_community_that_names_no_bodies_publishes_as_before(service):
    community = new_community(service, ruleset=None)
    ruleset_id = f"s{uuid.uuid4().hex[:10]}"
    upload_ruleset(service, community, civic().replace("id: civic\n", f"id: {ruleset_id}\n", 1))
    assert publish_ruleset(service, community, ruleset_id, 1).ruleset.status == "published"
    assert adoption_record(service, community, ruleset_id, 1).bodies == []
