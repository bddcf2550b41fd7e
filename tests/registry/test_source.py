"""The registry as the loader's source: which version a community's ``extends`` finds, and
that everything the registry does goes through the one loader (compiled once per process)."""

from __future__ import annotations

import uuid

import pytest

from tests.support.fixtures import new_community
from tests.support.standard import civic
from xinzhi.catalogue import ShareIn, share_standard
from xinzhi.engine import CACHE
from xinzhi.registry import (
    RegistrySource,
    compiled_for,
    dry_run,
    publish_ruleset,
    published_rows,
    registry_loader,
    ruleset_texts,
    upload_ruleset,
)


def standard(ruleset_id: str, version: int = 1, points: int = 2) -> str:
    """The civic standard under another id (so no other test shares its refs)."""
    return civic(version, activity_points=points).replace("id: civic\n", f"id: {ruleset_id}\n")


def child_of(parent: str, ruleset_id: str) -> str:
    return (f"id: {ruleset_id}\nversion: 1\ntitle: 子标准\ncommunity: c\neffective_from: 2023-01-01\n"
            f"extends: {parent}\n")


@pytest.fixture
def shared(service):
    """``ref`` published by a first community (award 2) and shared with everyone, published by a
    second (award 3) and kept to itself, plus a third community that only holds a draft of it (award 4)."""
    ruleset_id = f"s{uuid.uuid4().hex[:10]}"
    first, second = (new_community(service, ruleset=standard(ruleset_id, points=p)) for p in (2, 3))
    share_standard(service, first, ruleset_id, 1, ShareIn(), actor="first")
    drafting = new_community(service, ruleset=None)
    upload_ruleset(service, drafting, standard(ruleset_id, points=4))
    return ruleset_id, first, second, drafting


CASES = [
    # who asks, for what, and the award of the version found (None: not found)
    pytest.param("first", "{id}@1", 2, id="own-published"),
    pytest.param("second", "{id}@1", 3, id="own-before-the-earlier-published"),
    pytest.param("drafting", "{id}@1", 4, id="own-draft-first"),
    pytest.param("stranger", "{id}@1", 2, id="else-the-catalogue-copy"),
    pytest.param("stranger", "{id}@2", None, id="unknown-version"),
    pytest.param("stranger", "{id}@one", None, id="not-a-version"),
]


@pytest.mark.parametrize(("who", "ref", "award"), CASES)
def test_registry_source_finds_as_the_community_sees(service, shared, who, ref, award):
    ruleset_id, first, second, drafting = shared
    community = {"first": first, "second": second, "drafting": drafting, "stranger": "nobody"}[who]
    with service.db.reading() as session:
        found = RegistrySource(session, community).find(ref.format(id=ruleset_id))
    if award is None:
        assert found is None
    else:
        assert found is not None and f"award: {{points: {award}}}" in found[0]


def test_a_child_is_loaded_with_the_parents_it_used(service, shared):
    ruleset_id, first, _, drafting = shared
    child = child_of(f"{ruleset_id}@1", f"{ruleset_id}_child")
    with service.db.reading() as session:
        for community, award in ((first, 2), (drafting, 4)):
            loaded = registry_loader(session, community).run(child, "child.yaml", until="check")
            assert not loaded.problems and list(loaded.parents) == [f"{ruleset_id}@1"]
            assert loaded.ruleset.rules[0].award.points == award


def test_a_snapshot_holds_the_texts_a_job_needs(service, shared):
    ruleset_id, first, _, _ = shared
    upload_ruleset(service, first, child_of(f"{ruleset_id}@1", "kid"))
    text, parents = ruleset_texts(service, first, "kid", 1)
    assert text.startswith("id: kid") and list(parents) == [f"{ruleset_id}@1"]


def test_a_published_version_is_compiled_once_per_process(service):
    ruleset_id = f"s{uuid.uuid4().hex[:10]}"
    community = new_community(service, ruleset=None)
    upload_ruleset(service, community, standard(ruleset_id))
    runs = CACHE.stats["compile"].runs if "compile" in CACHE.stats else 0
    publish_ruleset(service, community, ruleset_id, 1)  # its tests run in a draft worker
    with service.db.reading() as session:
        row = published_rows(session, community)[0]
        first = compiled_for(service, session, row)
        again = registry_loader(session, community).compile(row.yaml_text, row.source_name)
    facts = [{"id": "f1", "type": "activity", "resident": "r", "occurred_at": "2022-03-01T10:00:00+08:00",
              "fields": {"name": "a"}}]
    assert dry_run(service, community, ruleset_id, 1, facts).awards[0]["amount"] == 2
    with service.db.reading() as session:
        assert compiled_for(service, session, published_rows(session, community)[0]) is first
    assert again is first
    assert CACHE.stats["compile"].runs == runs + 1
