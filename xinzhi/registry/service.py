"""The ruleset registry: upload drafts, list, fetch, diff, publish, and find the one in force.

A published version is immutable. Publishing requires the version's embedded tests to
pass (run in a draft worker, see ``_worker``) and its dates not to overlap another
published version of the community. A version without ``effective_to`` stays in force
until a later published version starts. Every version is loaded by the engine's one
loader with its ``extends`` parents found in the registry (``registry.source``); the
loader reports the parents it used, which is what a draft worker is sent.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinzhi.clock import utcnow
from xinzhi.communities.service import ensure_community, require_community
from xinzhi.db.queries import community_rows, one_or_not_found
from xinzhi.db.tables import RulesetVersion
from xinzhi.engine import (
    SHANGHAI,
    CompiledRuleset,
    Loaded,
    Loader,
    Problem,
    Ruleset,
    RulesetError,
    RulesetSource,
)
from xinzhi.errors import ServiceCode, ServiceError
from xinzhi.messages import Message
from xinzhi.registry import drafts as _worker
from xinzhi.registry.models import (
    PublishResult,
    RuleChange,
    RulesetDiff,
    RulesetRead,
    RulesetSummary,
    TestOutcomeRead,
)
from xinzhi.registry.source import RegistrySource, version_source
from xinzhi.service import Service

log = logging.getLogger("xinzhi.registry")

MAX_RULESET_BYTES = 1024 * 1024


def summarize(row: RulesetVersion) -> RulesetSummary:
    """A stored version as lists show it: everything but its text."""
    return RulesetSummary(community=row.community, id=row.ruleset_id, version=row.version, ref=row.ref,
                          title=row.title, status=row.status, effective_from=row.effective_from,
                          effective_to=row.effective_to, extends=row.extends, created_at=row.created_at,
                          published_at=row.published_at)


def _loaded(session: Session, community: str, text: str, name: str, source: RulesetSource | None = None) -> Loaded:
    """Resolved (parents from ``source``, by default the registry) and checked, or 422 with every problem."""
    loaded = Loader(source or RegistrySource(session, community)).run(text, name, until="check")
    try:
        return loaded.raise_problems()
    except RulesetError as exc:
        raise ruleset_invalid(exc.problems) from None


def ruleset_invalid(problems: list[Problem]) -> ServiceError:
    """The refusal of a ruleset that does not load, listing the engine's problems (here or from a worker)."""
    return ServiceError(ServiceCode.RULESET_INVALID, Message.of("ruleset_n_problems", n=len(problems)), problems)


def upload_ruleset(service: Service, community: str, text: str, *, source_name: str = "upload.yaml") -> RulesetSummary:
    """Store a ruleset version as a draft (replacing a draft of the same version); never a published one."""
    if len(text.encode()) > MAX_RULESET_BYTES:
        raise ServiceError(ServiceCode.REQUEST_TOO_LARGE, Message.of("ruleset_too_long", most=MAX_RULESET_BYTES))
    with service.db.writing() as session:
        require_community(session, community)
        ruleset = _loaded(session, community, text, source_name).ruleset
        assert ruleset is not None
        row = session.scalar(select(RulesetVersion).where(
            RulesetVersion.community == community, RulesetVersion.ruleset_id == ruleset.id,
            RulesetVersion.version == ruleset.version))
        if row is not None and row.status == "published":
            raise ServiceError(ServiceCode.RULESET_PUBLISHED, Message.of(
                "ruleset_published", ref=ruleset.ref, next=_next_version(session, community, ruleset.id)))
        if row is None:
            row = RulesetVersion(community=community, ruleset_id=ruleset.id, version=ruleset.version,
                                 status="draft", created_at=utcnow())
            session.add(row)
        row.title = ruleset.title
        row.extends = ruleset.lineage[1] if len(ruleset.lineage) > 1 else None
        row.effective_from, row.effective_to = ruleset.effective_from, ruleset.effective_to
        row.yaml_text, row.source_name = text, source_name
        session.flush()
        return summarize(row)


def _next_version(session: Session, community: str, ruleset_id: str) -> int:
    versions = session.scalars(select(RulesetVersion.version).where(
        RulesetVersion.community == community, RulesetVersion.ruleset_id == ruleset_id)).all()
    return max(versions, default=0) + 1


def list_rulesets(service: Service, community: str, *, ruleset_id: str | None = None,
                  status: str | None = None) -> list[RulesetSummary]:
    """Every stored version of the community, by id then version."""
    with service.db.reading() as session:
        require_community(session, community)
        rows = community_rows(session, RulesetVersion, community, ruleset_id=ruleset_id or None,
                              status=status or None, order_by=(RulesetVersion.ruleset_id, RulesetVersion.version))
        return [summarize(r) for r in rows]


def dump_resolved(session: Session, row: RulesetVersion) -> dict[str, Any]:
    """A stored version resolved now, as the diff compares it."""
    return dump(_resolved(session, row))


def stored_version(session: Session, community: str, ruleset_id: str, version: int) -> RulesetVersion:
    """A community's stored version, or ``ruleset_not_found`` (``community_not_found`` first)."""
    require_community(session, community)
    return one_or_not_found(session, select(RulesetVersion).where(
        RulesetVersion.community == community, RulesetVersion.ruleset_id == ruleset_id,
        RulesetVersion.version == version), ServiceCode.RULESET_NOT_FOUND,
        Message.of("no_ruleset", community=community, ref=f"{ruleset_id}@{version}"))


def _resolved(session: Session, row: RulesetVersion) -> Ruleset:
    """The version resolved now (a 422 if a parent draft changed since upload)."""
    ruleset = _loaded(session, row.community, row.yaml_text, row.source_name, version_source(session, row)).ruleset
    assert ruleset is not None
    return ruleset


def dump(ruleset: Ruleset) -> dict[str, Any]:
    """A resolved ruleset as the diff compares it (its overrides and extends already applied)."""
    return ruleset.model_dump(mode="json", by_alias=True, exclude_none=True, exclude={"overrides", "extends"})


def ruleset_texts(service: Service, community: str, ruleset_id: str,
                  version: int) -> tuple[str, dict[str, tuple[str, str]]]:
    """A version's YAML and its ``extends`` chain's, as the registry resolves them now (404 / 422)."""
    with service.db.reading() as session:
        row = stored_version(session, community, ruleset_id, version)
        return row.yaml_text, _loaded(session, community, row.yaml_text, row.source_name,
                                      version_source(session, row)).parents


def get_ruleset(service: Service, community: str, ruleset_id: str, version: int) -> RulesetRead:
    """One version: its YAML as uploaded and the ruleset fully resolved."""
    with service.db.reading() as session:
        row = stored_version(session, community, ruleset_id, version)
        ruleset = _resolved(session, row)
        return RulesetRead(**summarize(row).model_dump(), yaml=row.yaml_text,
                           resolved=dump(ruleset) | {"lineage": list(ruleset.lineage)})


def diff_rulesets(service: Service, community: str, ruleset_id: str, base: int, other: int) -> RulesetDiff:
    """Rule by rule: added, removed, and changed title, category, condition, award, limits, on/off."""
    with service.db.reading() as session:
        a = dump(_resolved(session, stored_version(session, community, ruleset_id, base)))
        b = dump(_resolved(session, stored_version(session, community, ruleset_id, other)))
    return diff_resolved(a, b, ruleset_id, f"{ruleset_id}@{base}", f"{ruleset_id}@{other}")


def diff_resolved(a: dict[str, Any], b: dict[str, Any], ruleset_id: str, base: str, other: str) -> RulesetDiff:
    """Two resolved rulesets (as dumped) compared rule by rule, then every other part item by item."""
    rules_a = {r["id"]: r for r in a.get("rules", [])}
    rules_b = {r["id"]: r for r in b.get("rules", [])}
    changes: list[RuleChange] = []
    for rule_id in [*rules_a, *(r for r in rules_b if r not in rules_a)]:
        if rule_id not in rules_b:
            changes.append(RuleChange(rule=rule_id, change="removed", fields={"rule": {"before": rules_a[rule_id]}}))
        elif rule_id not in rules_a:
            changes.append(RuleChange(rule=rule_id, change="added", fields={"rule": {"after": rules_b[rule_id]}}))
        else:
            before, after = rules_a[rule_id], rules_b[rule_id]
            parts = {key: {"before": before.get(key), "after": after.get(key)}
                     for key in sorted(set(before) | set(after)) if before.get(key) != after.get(key)}
            if parts:
                changes.append(RuleChange(rule=rule_id, change="changed", fields=parts))
    other_parts: dict[str, dict[str, Any]] = {}
    for key in OTHER_PARTS:
        if a.get(key) == b.get(key):
            continue
        items_a, items_b = _by_id(a.get(key)), _by_id(b.get(key))
        if items_a is None or items_b is None:
            other_parts[key] = _narrowed(a.get(key), b.get(key))
            continue
        for item in [*items_a, *(i for i in items_b if i not in items_a)]:
            if items_a.get(item) != items_b.get(item):
                other_parts[f"{key}[{item}]"] = _narrowed(items_a.get(item), items_b.get(item))
    return RulesetDiff(ruleset=ruleset_id, base=base, other=other, rules=changes, other_changes=other_parts)


#: Every part of a resolved ruleset but its identity and its rules (compared rule by rule above).
OTHER_PARTS = ("title", "community", "description", "effective_from", "effective_to", "accounts", "tiers",
               "categories", "fact_types", "period_rules", "publicity_days", "unknown_fact_types", "tests")


def _by_id(value: Any) -> dict[str, Any] | None:
    """A list of items named by ``id`` (a test by ``name``) as a mapping, so each changed item is shown alone."""
    if value is None:
        return {}
    if not isinstance(value, list) or not all(isinstance(v, dict) and (v.get("id") or v.get("name")) for v in value):
        return None
    named = {str(v.get("id") or v.get("name")): v for v in value}
    return named if len(named) == len(value) else None  # two items of one name: the whole list, before and after


def _narrowed(before: Any, after: Any) -> dict[str, Any]:
    """Before and after, keeping of two mappings only the keys that differ (at every depth).

    A test whose expected amount changed shows ``{expect: {awards: [...]}}`` on each side, not
    its facts and name again; a value added or taken away is None on the side that lacks it.
    """
    if isinstance(before, dict) and isinstance(after, dict):
        parts = {key: _narrowed(before.get(key), after.get(key))
                 for key in [*before, *(k for k in after if k not in before)] if before.get(key) != after.get(key)}
        return {"before": {k: v["before"] for k, v in parts.items() if v["before"] is not None},
                "after": {k: v["after"] for k, v in parts.items() if v["after"] is not None}}
    return {"before": before, "after": after}


def _overlaps(a_from: dt.date, a_to: dt.date | None, b_from: dt.date, b_to: dt.date | None) -> bool:
    """Explicit windows that intersect, or the same start; an open end yields to a later start."""
    if a_from == b_from:
        return True
    if a_to is not None and a_from <= b_from <= a_to:
        return True
    return b_to is not None and b_from <= a_from <= b_to


def publish_ruleset(service: Service, community: str, ruleset_id: str, version: int, *,
                    actor: str = "system") -> PublishResult:
    """Publish a draft if its tests pass, its dates overlap no published version and its bodies approved it.

    The bodies are those the community requires (``xinzhi.adoption``), approving its current text.
    Its tests run ahead of any dry-run waiting for a draft worker (``urgent``).
    """
    from xinzhi.adoption import require_adopted  # adoption reads the registry's versions: imported here, once used
    with service.db.reading() as session:
        row = stored_version(session, community, ruleset_id, version)
        if row.status == "published":
            raise ServiceError(ServiceCode.RULESET_PUBLISHED, Message.of("already_published", ref=row.ref))
        registry = RegistrySource(session, community)
        parents = _loaded(session, community, row.yaml_text, row.source_name, registry).parents
        _check_parents_published(registry, row, parents)
        text, name = row.yaml_text, row.source_name
    _check_overlap(service, community, row)
    with service.db.reading() as session:
        require_adopted(session, stored_version(session, community, ruleset_id, version))  # before the tests run
    outcome = service.drafts.run(_worker.test_draft, text, name, parents, caller=actor, urgent=True)
    if "error" in outcome:
        raise ruleset_invalid(_worker.problems(outcome))
    tests = [TestOutcomeRead.model_validate(t) for t in outcome["tests"]]
    failed = [t for t in tests if not t.passed]
    if failed:
        raise ServiceError(ServiceCode.RULESET_TESTS_FAILED,
                           Message.of("tests_failed", failed=len(failed), total=len(tests), ref=row.ref),
                           [Problem(code=ServiceCode.RULESET_TESTS_FAILED, message=f"{t.name}: {f}",
                                    path=f"tests[{i}]") for i, t in enumerate(tests) if not t.passed
                            for f in t.failures],
                           extra={"tests": [t.model_dump() for t in tests]})
    with service.db.writing() as session:
        service.db.lock_publishing(session, community)
        row = stored_version(session, community, ruleset_id, version)
        if row.status == "published" or row.yaml_text != text:
            raise ServiceError(ServiceCode.RULESET_PUBLISHED, Message.of("changed_during_tests", ref=row.ref))
        _check_overlap(service, community, row, session)
        registry = RegistrySource(session, community)
        if _loaded(session, community, row.yaml_text, row.source_name, registry).parents != parents:
            raise ServiceError(ServiceCode.RULESET_PUBLISHED, Message.of("parent_changed_during_tests", ref=row.ref))
        _check_parents_published(registry, row, parents)
        require_adopted(session, row)
        row.parents = {ref: list(found) for ref, found in parents.items()}  # frozen: what it scores never changes
        row.status, row.published_at = "published", utcnow()
        log.info("published %s of %s (effective %s – %s; %d embedded tests passed)", row.ref, community,
                 row.effective_from, row.effective_to or "open", len(tests))
        session.flush()
        return PublishResult(ruleset=summarize(row), tests=tests)


def _check_parents_published(registry: RegistrySource, row: RulesetVersion, parents: dict[str, Any]) -> None:
    """A version is published on published parents only, so what it resolves to is settled."""
    for ref in parents:
        if not registry.settled(ref):
            raise ServiceError(ServiceCode.RULESET_PARENT_UNPUBLISHED,
                               Message.of("parent_is_draft", ref=row.ref, parent=ref),
                               [Problem(code=ServiceCode.RULESET_PARENT_UNPUBLISHED, path="extends",
                                        message=f"{ref} is a draft", says="is_draft", params={"ref": ref})])


def _check_overlap(service: Service, community: str, row: RulesetVersion, session: Session | None = None) -> None:
    def check(s: Session) -> None:
        for other in published_rows(s, community):
            if other.seq != row.seq and _overlaps(row.effective_from, row.effective_to,
                                                  other.effective_from, other.effective_to):
                raise ServiceError(ServiceCode.RULESET_DATES_OVERLAP, Message.of(
                    "ruleset_overlaps", ref=row.ref, begins=row.effective_from, ends=row.effective_to or "—",
                    other=other.ref, other_begins=other.effective_from, other_ends=other.effective_to or "—"),
                    [Problem(code=ServiceCode.RULESET_DATES_OVERLAP, path="effective_from", says="overlaps",
                             params={"other": other.ref}, message=f"overlaps {other.ref}")])
    if session is not None:
        check(session)
    else:
        with service.db.reading() as s:
            check(s)


def published_rows(session: Session, community: str) -> list[RulesetVersion]:
    """Every published version of a community, in no particular order."""
    return list(session.scalars(select(RulesetVersion).where(
        RulesetVersion.community == community, RulesetVersion.status == "published")).all())


def in_force(rows: list[RulesetVersion], day: dt.date) -> RulesetVersion | None:
    """The published version in force on ``day``: the latest start not after it, unless it has ended."""
    candidates = [r for r in rows if r.effective_from <= day and (r.effective_to is None or day <= r.effective_to)]
    return max(candidates, key=lambda r: (r.effective_from, r.seq), default=None)


def shanghai_day(moment: dt.datetime) -> dt.date:
    """The Asia/Shanghai day of a moment: the day that picks the ruleset in force."""
    return moment.astimezone(SHANGHAI).date()


def compiled_for(service: Service, session: Session, row: RulesetVersion) -> CompiledRuleset:
    """The compiled form of a published version: the loader's (built once per process), by row."""
    key = (row.community, row.seq)
    compiled = service.compiled.get(key)
    if compiled is None:
        with service.compile_lock:
            compiled = service.compiled.get(key)
            if compiled is None:
                loaded = Loader(version_source(session, row)).run(row.yaml_text, row.source_name)
                try:
                    compiled = loaded.raise_problems().compiled
                except RulesetError as exc:
                    raise ruleset_invalid(exc.problems) from None
                assert compiled is not None
                service.compiled[key] = compiled
    return compiled


def community_for_ruleset(ruleset_id: str) -> str:
    """Repository rulesets name their community by id: ``yihe_2021`` belongs to ``yihe``."""
    return re.sub(r"_\d+$", "", ruleset_id) or ruleset_id


def load_repository_rulesets(service: Service, directory: Path) -> list[str]:
    """Upload, publish and share each repository ruleset not stored yet; parents before children.

    Each file goes through the loader's parse stage here, under the name it is stored with,
    so that uploading, publishing and the first scoring find it parsed already. A standard in
    the repository is meant for reuse: once published it is shared with every community, so
    another community's ``extends`` finds it in the catalogue.
    """
    from xinzhi.catalogue import ShareIn, share_standard  # the catalogue builds on the registry, not the reverse

    pending = []
    for file in sorted(Path(directory).glob("*.yaml")):
        text, name = file.read_text(encoding="utf-8"), f"rulesets/{file.name}"
        head = Loader().run(text, name, until="parse").parsed
        if head is not None:
            pending.append((text, name, head))
    pending.sort(key=lambda item: item[2].extends is not None)  # a standard that extends none first
    loaded: list[str] = []
    for _ in range(len(pending) + 1):  # repeat so a child whose parent loads later still gets in
        progress = False
        for item in list(pending):
            text, name, head = item
            community = community_for_ruleset(head.id)
            with service.db.writing() as session:
                ensure_community(session, community, head.community or community)
                status = session.scalar(select(RulesetVersion.status).where(
                    RulesetVersion.community == community, RulesetVersion.ruleset_id == head.id,
                    RulesetVersion.version == head.version))
            if status is not None:
                if status == "published":  # stored before the catalogue existed: shared now (once)
                    share_standard(service, community, head.id, head.version, ShareIn(), actor="system")
                pending.remove(item)
                continue
            try:
                upload_ruleset(service, community, text, source_name=name)
            except ServiceError:
                continue  # perhaps its parent is not loaded yet
            pending.remove(item)
            progress = True
            try:
                publish_ruleset(service, community, head.id, head.version)
                share_standard(service, community, head.id, head.version, ShareIn(), actor="system")
                loaded.append(f"{community}/{head.ref}")
            except ServiceError:
                pass  # stays a draft: a failing repository ruleset must not stop the server
        if not progress:
            break
    return loaded


def ruleset_in_force(service: Service, community: str, day: dt.date) -> RulesetVersion | None:
    """The published version in force on a day."""
    with service.db.reading() as session:
        require_community(session, community)
        return in_force(published_rows(session, community), day)


def published_spans(service: Service, session: Session, community: str,
                    as_of: dt.date) -> list[tuple[CompiledRuleset, dt.date]]:
    """The published versions from the earliest, each with the day after which it closes nothing.

    That is ``as_of``, or the next version's first day if sooner: a version without an end is in
    force until the next one starts (its own ``effective_to`` bounds it further).
    """
    versions = [compiled_for(service, session, row) for row in
                sorted(published_rows(session, community), key=lambda r: r.effective_from)]
    return [(compiled, min(as_of, later.ruleset.effective_from) if later else as_of)
            for compiled, later in zip(versions, [*versions[1:], None], strict=True)]


def standard_on(service: Service, session: Session, community: str, day: dt.date) -> Ruleset | None:
    """The ruleset that judges a standing on ``day``: the one in force, else the latest started."""
    rows = published_rows(session, community)
    started = [r for r in rows if r.effective_from <= day] or rows
    row: RulesetVersion | None = max(started, key=lambda r: (r.effective_from, r.seq), default=None)
    return compiled_for(service, session, row).ruleset if row else None


def standard_for(service: Service, community: str, day: dt.date) -> Ruleset | None:
    """``standard_on`` in a session of its own."""
    with service.db.reading() as session:
        require_community(session, community)
        return standard_on(service, session, community, day)
