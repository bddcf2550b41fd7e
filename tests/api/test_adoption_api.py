"""Adoption over HTTP: a publish refused with the bodies still missing, in the reader's language, then allowed."""

from __future__ import annotations

import uuid

from tests.support.standard import civic

YAML = {"content-type": "application/yaml"}
BODIES = [{"id": "two_committees", "title": "两委会"}, {"id": "shareholders", "title": "股东代表大会"}]


def test_a_draft_is_published_only_after_every_required_body_approves(client):
    community = f"c{uuid.uuid4().hex[:10]}"
    assert client.put(f"/communities/{community}", json={"name": "江家寨", "bodies": BODIES}).json()["bodies"] == [
        {**b, "required": True} for b in BODIES]
    draft = client.post(f"/communities/{community}/rulesets", content=civic().encode(), headers=YAML)
    assert draft.status_code == 201
    publish = f"/communities/{community}/rulesets/civic/versions/1/publish"
    adoption = f"/communities/{community}/rulesets/civic/versions/1/adoption"

    refused = client.post(publish, headers={"Accept-Language": "zh-CN"})
    assert refused.status_code == 409 and refused.json()["code"] == "adoption_incomplete"
    assert refused.json()["missing"] == ["两委会", "股东代表大会"]
    assert refused.json()["detail"] == "civic@1 还需经 两委会、股东代表大会 通过后才能发布"
    assert [e["message"] for e in refused.json()["errors"]] == ["「两委会」还没有通过 civic@1",
                                                               "「股东代表大会」还没有通过 civic@1"]
    meeting = {"decision": "approve", "held_on": "2026-11-20", "recorded_by": "记录人 王芳",
               "comments": [{"item": "activity_join", "text": "同意"}]}
    assert client.post(adoption, json={**meeting, "body": "two_committees"}).status_code == 201
    assert client.post(publish).json()["missing"] == ["股东代表大会"]
    unknown = client.post(adoption, json={**meeting, "body": "party"})
    assert unknown.status_code == 422 and unknown.json()["code"] == "body_not_declared"
    assert client.post(adoption, json={**meeting, "body": "shareholders", "decision": "maybe"}).status_code == 422
    assert client.post(adoption, json={**meeting, "body": "shareholders"}).status_code == 201
    assert client.post(publish).status_code == 200
    record = client.get(adoption).json()
    assert record["status"] == "published" and record["complete"] and [
        b["decisions"][0]["comments"][0]["text"] for b in record["bodies"]] == ["同意", "同意"]


def test_the_latest_meeting_decides_and_a_meeting_to_come_is_refused(client):
    """Found by attack: an older approval recorded after a rejection published the draft; 2099 was a meeting day."""
    community = f"c{uuid.uuid4().hex[:10]}"
    client.put(f"/communities/{community}", json={"name": "江家寨", "bodies": BODIES[:1]})
    client.post(f"/communities/{community}/rulesets", content=civic().encode(), headers=YAML)
    adoption = f"/communities/{community}/rulesets/civic/versions/1/adoption"
    meeting = {"body": "two_committees", "recorded_by": "记录人 王芳"}
    for day in ("2099-01-01", "1999-12-31"):
        refused = client.post(adoption, json={**meeting, "decision": "approve", "held_on": day},
                              headers={"Accept-Language": "zh"})
        assert refused.status_code == 422 and refused.json()["errors"][0]["path"] == "held_on", refused.text
    assert "晚于今天" in client.post(adoption, json={**meeting, "decision": "approve", "held_on": "2099-01-01"},
                                 headers={"Accept-Language": "zh"}).json()["errors"][0]["message"]
    assert client.post(adoption, json={**meeting, "decision": "reject", "held_on": "2026-11-20"}).status_code == 201
    assert client.post(adoption, json={**meeting, "decision": "approve", "held_on": "2026-10-01"}).status_code == 201
    record = client.get(adoption).json()
    assert (record["bodies"][0]["latest"], record["complete"]) == ("reject", False)
    assert client.post(f"/communities/{community}/rulesets/civic/versions/1/publish").status_code == 409
