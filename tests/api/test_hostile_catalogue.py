"""Hostile use of shared standards (catalogue, bundles, upstream) and adoption decisions.

Every bad request must be a 4xx problem (never 500), leaving stored data as
it was; nothing resolves or shows a standard not shared with the asking community. Tests marked
``FINDING`` record what an attack found (nine findings, each fixed in the change that added them):
the comment says what happened before the fix.
"""

from __future__ import annotations

import concurrent.futures
import uuid

import pytest
import yaml
from fastapi.testclient import TestClient

from tests.api.conftest import PROBLEM, authorize
from tests.api.test_catalogue_api import YAML, _community, _publish, _upload
from tests.catalogue.test_catalogue import child, parent
from xinzhi.catalogue.service import content_digest


def _fresh(prefix: str = "s") -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def _refused(response, *statuses: int, code: str | None = None) -> dict:
    """A plain 4xx problem: the expected status, a problem body with a code and a detail."""
    assert response.status_code in (statuses or tuple(range(400, 500))), (response.status_code, response.text)
    assert response.headers["content-type"].startswith(PROBLEM), response.headers["content-type"]
    body = response.json()
    assert body.get("code") and (body.get("detail") or body.get("title")), body
    if code is not None:
        assert body["code"] == code, body
    return body


def _bundle(standard_ref: str, standard_text: str, parents: list[tuple[str, str]] | None = None, *,
            provenance: dict | None = None, digest: str | None = None, title: str = "外来标准") -> str:
    """A bundle as a hostile server would write it, with a digest that matches (the digest is not a signature)."""
    parents = parents or []
    chain = {ref: (text, f"{ref.split('@')[0]}.yaml") for ref, text in parents}
    name = f"{standard_ref.split('@')[0]}.yaml"
    data = {"xinzhi_bundle": 1, "title": title, "provenance": provenance or {"source_community": None},
            "standard": {"ref": standard_ref, "source_name": name, "yaml": standard_text},
            "parents": [{"ref": ref, "source_name": f"{ref.split('@')[0]}.yaml", "yaml": text}
                        for ref, text in parents],
            "digest": digest or content_digest(standard_ref, standard_text, name, chain)}
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def _import(client: TestClient, community: str, text: str | bytes):
    body = text.encode() if isinstance(text, str) else text
    return client.post(f"/communities/{community}/catalogue/bundles", content=body, headers=YAML)


def _catalogue(client: TestClient, community: str) -> list[dict]:
    """The entries this community sees that are not shared with every community (other tests share those)."""
    listed = client.get(f"/communities/{community}/catalogue")
    assert listed.status_code == 200
    return [e for e in listed.json() if e["audience"] is not None]


def _shared(client: TestClient, **share) -> tuple[str, str, str]:
    """Community a publishes and shares a small standard; returns (a, its id, the catalogue snapshot's community)."""
    a = _community(client)
    shared = _fresh()
    _publish(client, a, parent(shared))
    entry = client.post(f"/communities/{a}/rulesets/{shared}/versions/1/share", json=share)
    assert entry.status_code == 201, entry.text
    return a, shared, entry.json()["digest"]


@pytest.fixture
def scoped(client):
    """A second client for the same app, authorized per test."""
    return TestClient(client.app)


# --- bundles: size, nesting, aliases, types, bytes ------------------------------------------------------------------

def test_a_huge_bundle_is_refused_before_any_work(client):
    c = _community(client)
    before = _catalogue(client, c)
    huge = "xinzhi_bundle: 1\ntitle: " + "长" * 400_000 + "\n"
    _refused(_import(client, c, huge), 413)
    assert _catalogue(client, c) == before


def test_deep_nesting_and_alias_bombs_are_refused_quickly(client):
    c = _community(client)
    before = _catalogue(client, c)
    deep = "a: " + "[" * 5000 + "]" * 5000 + "\n"
    _refused(_import(client, c, deep), 422, code="bundle_invalid")
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(9))
    _refused(_import(client, c, bomb), 422, code="bundle_invalid")
    merge = "base: &b {xinzhi_bundle: 1}\nother:\n  <<: *b\n"
    _refused(_import(client, c, merge), 422, code="bundle_invalid")
    assert _catalogue(client, c) == before


@pytest.mark.parametrize("text", [
    "", "null\n", "- 1\n- 2\n", "just text\n", "42\n", "xinzhi_bundle: 2\n", "{xinzhi_bundle: '1'}\n",
    "xinzhi_bundle: 1\ntitle: [1]\nprovenance: x\nstandard: 7\nparents: {}\ndigest: md5:00\n",
    "xinzhi_bundle: 1\ntitle: t\nprovenance: {a: [1]}\nstandard: {ref: x@1, source_name: x, yaml: 3}\n"
    "parents: [1]\ndigest: sha256:" + "0" * 64 + "\n",
    "!!python/object/apply:os.system ['echo hi']\n",
    "xinzhi_bundle: !!binary aGVsbG8=\n",
    "xinzhi_bundle: 1\nxinzhi_bundle: 1\n",
    "\tbad: [\n",
    "a: \x01\n",
])
def test_wrong_types_and_broken_yaml_are_a_422_naming_the_bundle(client, text):
    c = _community(client)
    _refused(_import(client, c, text), 422, code="bundle_invalid")
    _refused(_import(client, c, text + "b: \x00\n"), 422)  # NUL: refused before reading, as request_invalid
    assert _catalogue(client, c) == []


def test_non_utf8_bytes_are_refused_plainly(client):
    c = _community(client)
    _refused(_import(client, c, b"xinzhi_bundle: 1\ntitle: \xff\xfe\xc3\x28\n"), 400, 422)
    _refused(_import(client, c, "xinzhi_bundle: 1\n".encode("utf-16")), 400, 422)
    assert _catalogue(client, c) == []


def test_a_tampered_digest_is_refused(client):
    c, ref = _community(client), _fresh("t")
    text = parent(ref)
    good = _bundle(f"{ref}@1", text)
    bad = good.replace("points: 2", "points: 20", 1)
    _refused(_import(client, c, bad), 422, code="bundle_invalid")
    _refused(_import(client, c, _bundle(f"{ref}@1", text, digest="sha256:" + "a" * 64)), 422, code="bundle_invalid")
    assert _catalogue(client, c) == []


# --- bundles: chains that lie -----------------------------------------------------------------------------------------

def test_a_valid_digest_over_a_missing_or_extra_chain_is_refused(client):
    c, base, mid = _community(client), _fresh("p"), _fresh("m")
    child_text = child(mid, f"{base}@1")
    missing = _import(client, c, _bundle(f"{mid}@1", child_text))
    _refused(missing, 422, code="bundle_invalid")
    extra = _import(client, c, _bundle(f"{mid}@1", child_text,
                                       [(f"{base}@1", parent(base)), ("stray@1", parent("stray"))]))
    _refused(extra, 422, code="bundle_invalid")
    assert _catalogue(client, c) == []


def test_a_chain_with_a_cycle_is_refused(client):
    c = _community(client)
    a, b = _fresh("a"), _fresh("b")
    a_text = child(a, f"{b}@1")
    b_text = child(b, f"{a}@1")
    _refused(_import(client, c, _bundle(f"{a}@1", a_text, [(f"{b}@1", b_text)])), 422, code="bundle_invalid")
    self_loop = child(a, f"{a}@1")
    _refused(_import(client, c, _bundle(f"{a}@1", self_loop, [(f"{a}@1", self_loop)])), 422, code="bundle_invalid")
    assert _catalogue(client, c) == []


def test_a_standard_ref_that_differs_from_its_text_is_refused(client):
    c, ref = _community(client), _fresh("t")
    text = parent(ref)
    _refused(_import(client, c, _bundle(f"{ref}@2", text)), 422, code="bundle_invalid")
    _refused(_import(client, c, _bundle(f"other_{ref}@1", text)), 422, code="bundle_invalid")
    assert _catalogue(client, c) == []


@pytest.mark.parametrize("version", ["0", "-1", "01", "1.5", "x"])
def test_bundle_refs_with_impossible_versions_are_refused(client, version):
    c, ref = _community(client), _fresh("t")
    text = parent(ref).replace("version: 1", f"version: {version}", 1)
    _refused(_import(client, c, _bundle(f"{ref}@{version}", text)), 422, code="bundle_invalid")


@pytest.mark.parametrize("ref", ["../etc@1", "a/b@1", "Ab@1", "标准@1", "a" * 64 + "@1", "a@1@1", "@1", "a@"])
def test_bundle_refs_with_odd_ids_are_refused(client, ref):
    c = _community(client)
    _refused(_import(client, c, _bundle(ref, parent("x"))), 422, code="bundle_invalid")


def test_finding_a_bundle_version_of_2_to_the_63_is_a_422_not_a_500(client):
    # FINDING: a bundle's ref and text may carry version 9223372036854775808 (RulesetRef and the
    # ruleset's `version` have no upper bound); storing it overflows the database integer and the
    # import answers 500. It should be a 422 bundle_invalid (versions are at most 2**31 - 1, as in paths).
    c, ref = _community(client), _fresh("t")
    big = 2 ** 63
    text = parent(ref).replace("version: 1", f"version: {big}", 1)
    _refused(_import(client, c, _bundle(f"{ref}@{big}", text)), 422, code="bundle_invalid")
    assert _catalogue(client, c) == []


def test_finding_a_bundle_with_the_same_parent_twice_is_refused(client):
    # FINDING: a bundle listing one parent ref twice with two different texts is imported: the
    # digest and the chain only keep the last copy, so a reader of the file may check one text while
    # the server stores the other. A duplicate ref in `parents` should be a 422 bundle_invalid.
    c, base, mid = _community(client), _fresh("p"), _fresh("m")
    child_text = child(mid, f"{base}@1")
    honest, real = parent(base, points=2), parent(base, points=9)
    name = f"{mid}.yaml"
    chain = {f"{base}@1": (real, f"{base}.yaml")}
    data = {"xinzhi_bundle": 1, "title": "两份父标准", "provenance": {},
            "standard": {"ref": f"{mid}@1", "source_name": name, "yaml": child_text},
            "parents": [{"ref": f"{base}@1", "source_name": f"{base}.yaml", "yaml": honest},
                        {"ref": f"{base}@1", "source_name": f"{base}.yaml", "yaml": real}],
            "digest": content_digest(f"{mid}@1", child_text, name, chain)}
    _refused(_import(client, c, yaml.safe_dump(data, allow_unicode=True)), 422, code="bundle_invalid")
    assert _catalogue(client, c) == []


def test_finding_a_parent_stored_under_a_ref_its_text_does_not_have_is_refused(client):
    # FINDING: the bundle's chain says `p@1` but the text stored under it is `id: q, version: 7`;
    # the loader never checks that a parent's text is the ref it was found under, so the entry is
    # stored with a mislabelled chain. Each parent's text must carry its own ref (422 bundle_invalid).
    c, base, mid, other = _community(client), _fresh("p"), _fresh("m"), _fresh("q")
    impostor = parent(other, 7)
    response = _import(client, c, _bundle(f"{mid}@1", child(mid, f"{base}@1"), [(f"{base}@1", impostor)]))
    _refused(response, 422, code="bundle_invalid")
    assert _catalogue(client, c) == []


# --- bundles: conflicts, provenance, audience -------------------------------------------------------------------------

def test_a_bundle_claiming_a_taken_catalogue_id_with_other_content_is_a_conflict(client):
    a, shared, digest = _shared(client)
    c = _community(client)
    forged = _bundle(f"{shared}@1", parent(shared, points=50), provenance={"source_community": a})
    _refused(_import(client, c, forged), 409, code="catalogue_conflict")
    kept = client.get(f"/communities/{a}/catalogue/{shared}/versions/1").json()
    assert kept["digest"] == digest and "points: 2" in kept["yaml"] and kept["origin"] == "shared"


def test_the_same_bundle_imported_twice_is_one_entry(client):
    c, ref = _community(client), _fresh("t")
    text = _bundle(f"{ref}@1", parent(ref))
    first, second = _import(client, c, text), _import(client, c, text)
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["digest"] == second.json()["digest"]
    assert [e["ref"] for e in _catalogue(client, c)] == [f"{ref}@1"]


def test_finding_a_bundles_claimed_source_community_does_not_grant_it_the_entry(client):
    # FINDING: an imported bundle's provenance `source_community` is taken on the bundle's word and
    # `shared_with` lets the source community see an entry; so community x importing a bundle that
    # claims `source_community: y` (any community on this server) puts the standard in y's
    # catalogue and names y as its author. An import is shared with the importer only: y must not see it.
    importer, victim, ref = _community(client), _community(client), _fresh("t")
    imported = _import(client, importer, _bundle(f"{ref}@1", parent(ref), provenance={"source_community": victim}))
    assert imported.status_code == 201, imported.text
    assert f"{ref}@1" not in [e["ref"] for e in _catalogue(client, victim)]
    hidden = client.get(f"/communities/{victim}/catalogue/{ref}/versions/1")
    assert hidden.status_code == 404


def test_finding_importing_a_group_only_entry_from_outside_the_group_makes_it_the_importers(client):
    # FINDING: a is shared with group [a, b]; community c (outside it) imports the same bundle
    # (e.g. carried from another server). The import answers 201 with the existing entry — its
    # audience, author and provenance — but c still cannot see or derive it (404). "Shared with the
    # importing community" must hold: after a 201, c's catalogue has the entry.
    a, b = _community(client), _community(client)
    shared = _fresh()
    _publish(client, a, parent(shared))
    assert client.post(f"/communities/{a}/rulesets/{shared}/versions/1/share",
                       json={"communities": [b], "group_title": "某某镇"}).status_code == 201
    bundle = client.get(f"/communities/{b}/catalogue/{shared}/versions/1/bundle")
    assert bundle.status_code == 200
    c = _community(client)
    imported = _import(client, c, bundle.content)
    assert imported.status_code == 201
    assert client.get(f"/communities/{c}/catalogue/{shared}/versions/1").status_code == 200


def test_import_then_derive_then_publish(client):
    c, base, mid = _community(client), _fresh("p"), _fresh("m")
    mid_text = child(mid, f"{base}@1")
    imported = _import(client, c, _bundle(f"{mid}@1", mid_text, [(f"{base}@1", parent(base))]))
    assert imported.status_code == 201, imported.text
    assert imported.json()["audience"] == [c] and imported.json()["origin"] == "imported"
    own = _fresh("o")
    derived = client.post(f"/communities/{c}/catalogue/{mid}/versions/1/derive",
                          json={"id": own, "title": "本社区标准", "effective_from": "2021-01-01"})
    assert derived.status_code == 201, derived.text
    assert client.post(f"/communities/{c}/rulesets/{own}/versions/1/publish").status_code == 200
    fact = {"id": "f1", "type": "activity", "resident": "r1", "occurred_at": "2024-03-05T19:00:00+08:00",
            "fields": {"name": "义诊"}}
    scored = client.post(f"/communities/{c}/facts", json=fact)
    assert [(e["rule_id"], e["amount"]) for e in scored.json()["entries"]] == [("activity_join", 3)]
    other = _community(client)
    assert client.get(f"/communities/{other}/catalogue/{mid}/versions/1").status_code == 404


# --- paths with odd ids and versions ----------------------------------------------------------------------------------

@pytest.mark.parametrize("catalogue_id", ["..%2F..%2Fetc", "..", "a" * 5000, "标准", "a%00b", "x@1", "%20"])
def test_odd_catalogue_ids_in_paths_are_not_found(client, catalogue_id):
    c = _community(client)
    for suffix in ("", "/bundle"):
        response = client.get(f"/communities/{c}/catalogue/{catalogue_id}/versions/1{suffix}")
        _refused(response, 404, 422)  # a NUL in the path is a 422 request_invalid
    derive = client.post(f"/communities/{c}/catalogue/{catalogue_id}/versions/1/derive",
                    json={"id": "fine", "title": "t", "effective_from": "2021-01-01"})
    _refused(derive, 404, 422)


@pytest.mark.parametrize("version", ["0", "-1", str(2 ** 63), str(2 ** 31), "1.5", "x"])
def test_impossible_versions_in_paths_are_422(client, version):
    a, shared, _ = _shared(client)
    for method, path, body in [
        ("get", f"/catalogue/{shared}/versions/{version}", None),
        ("get", f"/catalogue/{shared}/versions/{version}/bundle", None),
        ("post", f"/catalogue/{shared}/versions/{version}/derive",
         {"id": "fine", "title": "t", "effective_from": "2021-01-01"}),
        ("post", f"/rulesets/{shared}/versions/{version}/share", {}),
        ("get", f"/rulesets/{shared}/versions/{version}/upstream", None),
        ("post", f"/rulesets/{shared}/versions/{version}/upstream/adopt", {"to": 2}),
        ("post", f"/rulesets/{shared}/versions/{version}/adoption",
         {"body": "x", "decision": "approve", "held_on": "2026-01-01", "recorded_by": "王芳"}),
    ]:
        kwargs = {"json": body} if body is not None else {}
        _refused(getattr(client, method)(f"/communities/{a}{path}", **kwargs), 422)


# --- sharing ----------------------------------------------------------------------------------------------------------

def test_share_refuses_unknown_odd_and_too_many_communities(client):
    a = _community(client)
    shared = _fresh()
    _publish(client, a, parent(shared))
    share = f"/communities/{a}/rulesets/{shared}/versions/1/share"
    _refused(client.post(share, json={"communities": ["nobody_here_" + uuid.uuid4().hex[:6]]}), 404)
    _refused(client.post(share, json={"communities": [f"c{i}" for i in range(10_000)]}), 422)
    for odd in ["../x", "", "A" * 500, "社区", None, 7]:
        _refused(client.post(share, json={"communities": [odd]}), 422)
    _refused(client.post(share, json={"communities": "everyone"}), 422)
    for title in ["", "长" * 201, 5, ["镇"]]:
        _refused(client.post(share, json={"communities": [a], "group_title": title}), 422)
    assert _catalogue(client, a) == []
    assert f"{shared}@1" not in [e["ref"] for e in client.get(f"/communities/{a}/catalogue").json()]
    b = _community(client)
    twice = client.post(share, json={"communities": [b, b, a], "group_title": "某某镇"})
    assert twice.status_code == 201 and twice.json()["audience"] == sorted({a, b})


def test_share_refuses_drafts_and_missing_versions(client):
    a = _community(client)
    shared = _fresh()
    _upload(client, a, parent(shared))
    _refused(client.post(f"/communities/{a}/rulesets/{shared}/versions/1/share", json={}), 409, 422)
    _refused(client.post(f"/communities/{a}/rulesets/{shared}/versions/2/share", json={}), 404)
    assert _catalogue(client, a) == []


def test_finding_sharing_again_with_another_audience_is_not_silently_ignored(client):
    # FINDING: a version shared with group [a, b] and then shared again "with every community"
    # answers 201 but keeps audience [a, b] (store_entry returns the existing entry unchanged).
    # Either the audience widens, or the second share is refused (409); a 201 that ignores the
    # request is wrong.
    a, b = _community(client), _community(client)
    shared = _fresh()
    _publish(client, a, parent(shared))
    share = f"/communities/{a}/rulesets/{shared}/versions/1/share"
    assert client.post(share, json={"communities": [b], "group_title": "某某镇"}).status_code == 201
    again = client.post(share, json={})
    assert again.status_code == 409 or (again.status_code == 201 and again.json()["audience"] is None), again.json()


# --- scope: other communities and groups look like nothing ------------------------------------------------------------

def test_a_community_token_cannot_read_or_share_another_communitys_standards(client, scoped):
    a, shared, _ = _shared(client)
    x = _community(client)
    authorize(scoped, "committee", "staff", community=x)
    for method, path, body in [
        ("get", f"/communities/{a}/catalogue", None),
        ("get", f"/communities/{a}/catalogue/{shared}/versions/1", None),
        ("get", f"/communities/{a}/catalogue/{shared}/versions/1/bundle", None),
        ("post", f"/communities/{a}/rulesets/{shared}/versions/1/share", {}),
        ("post", f"/communities/{a}/catalogue/{shared}/versions/1/derive",
         {"id": "stolen", "title": "t", "effective_from": "2021-01-01"}),
        ("get", f"/communities/{a}/rulesets/{shared}/versions/1/upstream", None),
        ("get", f"/communities/{a}/rulesets/{shared}/versions/1/adoption", None),
    ]:
        kwargs = {"json": body} if body is not None else {}
        _refused(getattr(scoped, method)(path, **kwargs), 403, 404)
    stolen = scoped.post(f"/communities/{x}/rulesets/{shared}/versions/1/share", json={})
    _refused(stolen, 404)


def _same_as_missing(hidden, missing, hidden_ref: str, missing_ref: str) -> None:
    assert hidden.status_code == missing.status_code == 404
    assert hidden.headers["content-type"] == missing.headers["content-type"]
    assert hidden.text.replace(hidden_ref, "REF") == missing.text.replace(missing_ref, "REF")


def test_an_entry_shared_with_a_group_looks_like_nothing_to_a_community_outside_it(client, scoped):
    a, b = _community(client), _community(client)
    shared = _fresh()
    _publish(client, a, parent(shared))
    assert client.post(f"/communities/{a}/rulesets/{shared}/versions/1/share",
                       json={"communities": [b], "group_title": "某某镇"}).status_code == 201
    outsider = _community(client)
    authorize(scoped, "committee", "staff", community=outsider)
    assert f"{shared}@1" not in [e["ref"] for e in scoped.get(f"/communities/{outsider}/catalogue").json()]
    ghost = _fresh()
    base = f"/communities/{outsider}/catalogue"
    for suffix, method, body in [("", "get", None), ("/bundle", "get", None),
                                 ("/derive", "post", {"id": _fresh("d"), "title": "t",
                                                      "effective_from": "2021-01-01"})]:
        kwargs = {"json": body} if body is not None else {}
        hidden = getattr(scoped, method)(f"{base}/{shared}/versions/1{suffix}", **kwargs)
        missing = getattr(scoped, method)(f"{base}/{ghost}/versions/1{suffix}", **kwargs)
        _same_as_missing(hidden, missing, shared, ghost)
    # a draft extending the hidden entry cannot find it either
    sneaky = _fresh("k")
    upload = scoped.post(f"/communities/{outsider}/rulesets", content=child(sneaky, f"{shared}@1").encode(),
                         headers=YAML)
    _refused(upload, 422)
    assert "参加社区活动" not in upload.text
    # and the group's member does see it
    authorize(scoped, "committee", "staff", community=b)
    assert scoped.get(f"/communities/{b}/catalogue/{shared}/versions/1").status_code == 200


def test_upstream_preview_never_offers_a_version_not_shared_with_the_community(client):
    b, shared, own = _adoptable(client, share_v2_with={"communities": [_community(client)]})
    preview = client.get(f"/communities/{b}/rulesets/{own}/versions/1/upstream")
    assert preview.status_code == 200 and preview.json()["newer"] == [] and preview.json()["target"] is None
    hidden = client.get(f"/communities/{b}/rulesets/{own}/versions/1/upstream", params={"to": 2})
    missing = client.get(f"/communities/{b}/rulesets/{own}/versions/1/upstream", params={"to": 3})
    _same_as_missing(hidden, missing, f"{shared}@2", f"{shared}@3")
    adopt = client.post(f"/communities/{b}/rulesets/{own}/versions/1/upstream/adopt", json={"to": 2})
    _refused(adopt, 404)
    assert "points: 5" not in adopt.text


def test_finding_a_communitys_own_ruleset_does_not_replace_a_catalogue_copys_frozen_parent(client):
    # FINDING: A shares mid@1, which extends A's base@1 (activity earns 2); its frozen chain travels
    # with it. Community B happens to have its own draft base@1 (activity earns 7). B's child of
    # mid@1 resolves base@1 from B's own registry instead of the catalogue copy's frozen chain
    # (RegistrySource.find looks at `own` first for every ref), so what B derived is not what A shared.
    a, b = _community(client), _community(client)
    base, mid, own = _fresh("p"), _fresh("m"), _fresh("o")
    _publish(client, a, parent(base, dates="effective_from: 2021-01-01\neffective_to: 2021-12-31"))
    _publish(client, a, child(mid, f"{base}@1").replace("  - {rule: activity_join, award: {points: 3}}\n", "")
             .replace("effective_from: 2021-01-01", "effective_from: 2022-01-01"))
    assert client.post(f"/communities/{a}/rulesets/{mid}/versions/1/share", json={}).status_code == 201
    _upload(client, b, parent(base, points=7))
    derived = client.post(f"/communities/{b}/catalogue/{mid}/versions/1/derive",
                          json={"id": own, "title": "乙社区标准", "effective_from": "2021-01-01"})
    assert derived.status_code == 201, derived.text
    resolved = client.get(f"/communities/{b}/rulesets/{own}/versions/1").json()["resolved"]
    award = {r["id"]: r for r in resolved["rules"]}["activity_join"]["award"]
    assert award["points"] == 2, award


# --- derive -----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", [
    {"id": "../x"}, {"id": "Upper"}, {"id": "标准"}, {"id": "a" * 64}, {"id": ""}, {"id": 7},
    {"title": ""}, {"title": "长" * 301}, {"effective_from": "2021-02-30"}, {"effective_from": "tomorrow"},
    {"extra": 1},
])
def test_derive_refuses_invalid_bodies(client, bad):
    a, shared, _ = _shared(client)
    b = _community(client)
    body = {"id": _fresh("d"), "title": "乙社区标准", "effective_from": "2021-01-01", **bad}
    _refused(client.post(f"/communities/{b}/catalogue/{shared}/versions/1/derive", json=body), 422)
    assert client.get(f"/communities/{b}/rulesets").json() == []


def test_derive_under_the_parents_own_id_is_refused(client):
    a, shared, _ = _shared(client)
    b = _community(client)
    same = client.post(f"/communities/{b}/catalogue/{shared}/versions/1/derive",
                       json={"id": shared, "title": "自己", "effective_from": "2021-01-01"})
    _refused(same, 409, 422)
    assert client.get(f"/communities/{b}/rulesets").json() == []
    published_id = client.post(f"/communities/{a}/catalogue/{shared}/versions/1/derive",
                               json={"id": shared, "title": "自己", "effective_from": "2021-01-01"})
    _refused(published_id, 409, 422)


def test_finding_derive_onto_an_existing_draft_id_does_not_overwrite_it(client):
    # FINDING: derive with the id of an existing draft (version 1) silently replaces that draft's
    # text with the empty derived stub (upload_ruleset replaces a draft of the same version); the
    # committee's work is gone. Derive must not overwrite: 409 naming the id, draft unchanged.
    a, shared, _ = _shared(client)
    b = _community(client)
    mine = _fresh("w")
    _upload(client, b, parent(mine))
    before = client.get(f"/communities/{b}/rulesets/{mine}/versions/1").json()["yaml"]
    derived = client.post(f"/communities/{b}/catalogue/{shared}/versions/1/derive",
                          json={"id": mine, "title": "覆盖", "effective_from": "2021-01-01"})
    assert derived.status_code == 409, derived.text
    assert client.get(f"/communities/{b}/rulesets/{mine}/versions/1").json()["yaml"] == before


# --- upstream ---------------------------------------------------------------------------------------------------------

def test_upstream_on_a_standard_without_extends_and_to_that_is_not_newer(client):
    a, shared, _ = _shared(client)
    plain = client.get(f"/communities/{a}/rulesets/{shared}/versions/1/upstream")
    assert plain.status_code == 200 and plain.json()["extends"] is None and plain.json()["newer"] == []
    _refused(client.post(f"/communities/{a}/rulesets/{shared}/versions/1/upstream/adopt", json={"to": 2}), 404)
    b, own = _community(client), _fresh("b")
    _publish(client, b, child(own, f"{shared}@1"))
    upstream = f"/communities/{b}/rulesets/{own}/versions/1/upstream"
    for to in (1, 2, 99):
        _refused(client.get(upstream, params={"to": to}), 404, code="catalogue_not_found")
        _refused(client.post(f"{upstream}/adopt", json={"to": to}), 404)
    for to in (0, -1, 2 ** 63, "x", None):
        _refused(client.post(f"{upstream}/adopt", json={"to": to}), 422)
    _refused(client.get(upstream, params={"to": 0}), 422)
    _refused(client.get(f"/communities/{b}/rulesets/{own}/versions/9/upstream"), 404)
    assert [r["version"] for r in client.get(f"/communities/{b}/rulesets", params={"id": own}).json()] == [1]


def _adoptable(client, share_v2_with: dict | None = None) -> tuple[str, str, str]:
    """A shares @1, B's child extends it, A publishes @2 and shares it (with everyone, or as ``share_v2_with``)."""
    a, b = _community(client), _community(client)
    shared, own = _fresh(), _fresh("b")
    _publish(client, a, parent(shared, dates="effective_from: 2021-01-01\neffective_to: 2024-12-31"))
    client.post(f"/communities/{a}/rulesets/{shared}/versions/1/share", json={})
    _publish(client, b, child(own, f"{shared}@1"))
    _publish(client, a, parent(shared, 2, points=5, dates="effective_from: 2025-01-01"))
    assert client.post(f"/communities/{a}/rulesets/{shared}/versions/2/share",
                       json=share_v2_with or {}).status_code == 201
    return b, shared, own


def test_adopting_a_newer_parent_makes_a_draft_pinned_to_it(client):
    b, shared, own = _adoptable(client)
    adopted = client.post(f"/communities/{b}/rulesets/{own}/versions/1/upstream/adopt", json={"to": 2})
    assert adopted.status_code == 201, adopted.text
    assert (adopted.json()["version"], adopted.json()["extends"], adopted.json()["status"]) == (
        2, f"{shared}@2", "draft")


def test_finding_adopting_twice_does_not_pile_up_drafts(client):
    # FINDING: adopting the same parent version twice from the same child version makes a second,
    # identical draft (version 3 after version 2), and so on for every retry. A second adopt should
    # answer with the existing draft or 409, not store another copy.
    b, shared, own = _adoptable(client)
    adopt = f"/communities/{b}/rulesets/{own}/versions/1/upstream/adopt"
    assert client.post(adopt, json={"to": 2}).status_code == 201
    client.post(adopt, json={"to": 2})
    versions = [r["version"] for r in client.get(f"/communities/{b}/rulesets", params={"id": own}).json()]
    assert versions == [1, 2], versions


# --- adoption ---------------------------------------------------------------------------------------------------------

BODIES = [{"id": "two_committees", "title": "两委会"}, {"id": "assembly", "title": "党员大会", "required": False}]
MEETING = {"body": "two_committees", "decision": "approve", "held_on": "2026-11-20", "recorded_by": "记录人 王芳"}


def _with_bodies(client) -> tuple[str, str, str]:
    c = _community(client, bodies=BODIES)
    ruleset = _fresh("r")
    _upload(client, c, parent(ruleset))
    return c, ruleset, f"/communities/{c}/rulesets/{ruleset}/versions/1/adoption"


@pytest.mark.parametrize("bad", [
    {"body": "nobody"}, {"body": "../x"}, {"body": ""}, {"body": None}, {"decision": "maybe"}, {"decision": 1},
    {"held_on": "2026-02-30"}, {"held_on": "soon"}, {"recorded_by": ""}, {"recorded_by": "长" * 101},
    {"comments": [{"item": "x", "text": "y"}] * 201}, {"comments": [{"item": "", "text": "y"}]},
    {"comments": [{"item": "x", "text": "长" * 2001}]}, {"comments": [{"item": "x"}]},
    {"comments": [{"item": "x", "text": "y", "extra": 1}]}, {"comments": "all fine"}, {"extra": True},
])
def test_bad_decisions_are_refused_and_not_stored(client, bad):
    c, ruleset, adoption = _with_bodies(client)
    _refused(client.post(adoption, json={**MEETING, **bad}), 422)
    record = client.get(adoption).json()
    assert all(b["decisions"] == [] for b in record["bodies"]) and record["missing"] == ["两委会"]


def test_decisions_on_published_missing_or_other_communities_rulesets_are_refused(client, scoped):
    c, ruleset, adoption = _with_bodies(client)
    assert client.post(adoption, json=MEETING).status_code == 201
    assert client.post(f"/communities/{c}/rulesets/{ruleset}/versions/1/publish").status_code == 200
    closed = _refused(client.post(adoption, json=MEETING), 409)
    assert closed["code"] == "ruleset_published_immutable"
    assert len(client.get(adoption).json()["bodies"][0]["decisions"]) == 1
    _refused(client.post(f"/communities/{c}/rulesets/{ruleset}/versions/2/adoption", json=MEETING), 404)
    _refused(client.post(f"/communities/{c}/rulesets/nothing/versions/1/adoption", json=MEETING), 404)
    other = _community(client, bodies=BODIES)
    _refused(client.post(f"/communities/{other}/rulesets/{ruleset}/versions/1/adoption", json=MEETING), 404)
    authorize(scoped, "committee", community=other)
    _refused(scoped.post(adoption, json=MEETING), 403, 404)
    _refused(scoped.get(adoption), 403, 404)
    assert len(client.get(adoption).json()["bodies"][0]["decisions"]) == 1


def test_an_approval_of_an_earlier_text_does_not_count(client):
    c, ruleset, adoption = _with_bodies(client)
    assert client.post(adoption, json=MEETING).status_code == 201
    _upload(client, c, parent(ruleset, points=9))  # the draft is edited after the meeting
    record = client.get(adoption).json()
    committees = record["bodies"][0]
    assert committees["latest"] is None and committees["decisions"][0]["current"] is False
    assert not record["complete"] and record["missing"] == ["两委会"]
    refused = client.post(f"/communities/{c}/rulesets/{ruleset}/versions/1/publish")
    assert _refused(refused, 409)["code"] == "adoption_incomplete"
    # a reject on the new text, then an approval of it again
    assert client.post(adoption, json={**MEETING, "decision": "reject"}).status_code == 201
    assert client.get(adoption).json()["bodies"][0]["latest"] == "reject"
    assert client.post(adoption, json=MEETING).status_code == 201
    assert client.post(f"/communities/{c}/rulesets/{ruleset}/versions/1/publish").status_code == 200


def test_concurrent_decisions_are_all_recorded_in_order(client):
    c, ruleset, adoption = _with_bodies(client)
    decisions = [{**MEETING, "decision": "comment", "comments": [{"item": "总体", "text": f"意见{i}"}]}
                 for i in range(12)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(lambda d: client.post(adoption, json=d).status_code, decisions))
    assert statuses == [201] * 12
    recorded = client.get(adoption).json()["bodies"][0]["decisions"]
    assert len(recorded) == 12 and len({d["seq"] for d in recorded}) == 12
    assert sorted(d["comments"][0]["text"] for d in recorded) == sorted(f"意见{i}" for i in range(12))


def test_finding_another_community_cannot_take_the_next_version_of_an_id_in_the_catalogue(client):
    # FINDING (session 22): catalogue ids were anyone's. Community c imported a bundle of `{id}@2`
    # claiming `source_community: a`: it was listed as a's, and a could no longer share its own
    # @2 (409, "other content … from community a"). An id's new versions come from its owner only.
    a, shared, _ = _shared(client)
    c = _community(client)
    forged = _bundle(f"{shared}@2", parent(shared, version=2, points=50), provenance={"source_community": a})
    refused = _refused(_import(client, c, forged), 409, code="catalogue_conflict")
    assert "is another community's" in refused["detail"] and a not in refused["detail"]  # nor named
    _publish(client, a, parent(shared, version=2, points=3, dates="effective_from: 2022-01-01"))
    real = client.post(f"/communities/{a}/rulesets/{shared}/versions/2/share", json={})
    assert real.status_code == 201 and real.json()["source_community"] == a, real.text
    # a new id imported by c is c's, whatever its bundle claims (the claim stays in its provenance)
    fresh = _fresh("t")
    claimed = _import(client, c, _bundle(f"{fresh}@1", parent(fresh), provenance={"source_community": a}))
    assert claimed.status_code == 201 and claimed.json()["source_community"] == c, claimed.text
    assert claimed.json()["provenance"]["source_community"] == a


def test_finding_an_import_cannot_take_the_id_of_another_communitys_unshared_standard(client):
    # FINDING (session 22): yihe imported a bundle it made itself under xishan's unshared draft's id;
    # xishan could then not share its own standard (409, "… from community yihe").
    # FINDING (session 23): the refusal named xishan, telling yihe who holds an unshared draft under the id.
    # It names nobody now; that the id is taken is still said (ids are one namespace for every community).
    owner, squatter, secret = _community(client), _community(client), _fresh("x")
    _upload(client, owner, parent(secret))  # a draft, not shared
    refused = _refused(_import(client, squatter, _bundle(f"{secret}@1", parent(secret, points=9))), 409,
                       code="catalogue_conflict")
    assert "is another community's" in refused["detail"] and owner not in refused["detail"]  # nor named
    _publish(client, owner, parent(secret, version=2, dates="effective_from: 2022-01-01"))
    assert client.post(f"/communities/{owner}/rulesets/{secret}/versions/2/share", json={}).status_code == 201


def test_finding_a_share_cannot_take_an_id_another_community_named_a_standard_first(client):
    # FINDING (session 22): qingxi published and shared (to itself) its own standard under the id of
    # yihe's earlier draft; yihe could then not share its standard (409 "… from qingxi").
    first, second, named = _community(client), _community(client), _fresh("z")
    _upload(client, first, parent(named))
    _publish(client, second, parent(named, points=7))
    refused = _refused(client.post(f"/communities/{second}/rulesets/{named}/versions/1/share",
                                   json={"communities": []}), 409, code="catalogue_conflict")
    assert "is another community's" in refused["detail"] and first not in refused["detail"]  # nor named
    client.post(f"/communities/{first}/rulesets/{named}/versions/1/publish")
    assert client.post(f"/communities/{first}/rulesets/{named}/versions/1/share", json={}).status_code == 201
