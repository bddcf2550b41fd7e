"""What a newer version of a shared parent would do to a standard derived from it, and adopting it.

A child is pinned to ``parent@n``; when the catalogue holds ``parent@m`` (m > n) the preview
re-resolves the child's own text with only its ``extends`` line moved to ``@m``. What comes
out is what adopting would give: the rule-by-rule diff against the child as it is now, each
of the child's overrides — still applying, overriding something the parent itself changed,
or pointing at a rule the parent removed — and the problems the moved text has, at their
lines in the child's own file. Adopting writes that text as the child's next draft, to be
tested, what-if'd and published like any draft; nothing published changes.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from xinzhi.catalogue.models import OverrideStatus, UpstreamPreview
from xinzhi.communities.service import require_community
from xinzhi.db.tables import CatalogueEntry, RulesetVersion
from xinzhi.engine import Loader, Ruleset
from xinzhi.errors import ServiceCode, ServiceError
from xinzhi.messages import Message
from xinzhi.registry import RulesetSummary, summarize, upload_ruleset
from xinzhi.registry.service import diff_resolved, dump, dump_resolved, stored_version
from xinzhi.registry.source import RegistrySource, shared_with
from xinzhi.service import Service

_EXTENDS_LINE = re.compile(r"^extends:[^\n]*$", re.MULTILINE)


def moved_to(text: str, ref: str) -> str:
    """The child's text with its ``extends`` line (the top-level one) naming ``ref``; every other line as it was."""
    moved, count = _EXTENDS_LINE.subn(f"extends: {ref}", text, count=1)
    if count != 1:
        raise ServiceError(ServiceCode.REQUEST_INVALID, Message.of("no_extends_line"))
    return moved


def _newer(session: Any, community: str, parent_id: str, pinned: int) -> list[int]:
    entries = session.scalars(select(CatalogueEntry).where(CatalogueEntry.catalogue_id == parent_id,
                                                           CatalogueEntry.version > pinned)).all()
    return sorted(e.version for e in entries if shared_with(e, community))


def _parent(session: Any, community: str, ref: str) -> dict[str, Any]:
    """A parent as the child finds it, resolved and dumped as the diff compares it (empty if it does not load)."""
    source = RegistrySource(session, community)
    found = source.find(ref)
    if found is None:
        return {}
    loaded = Loader(source).run(*found, until="check")  # its own parents as the child would find them
    return dump(loaded.ruleset) if loaded.ruleset is not None else {}


def _override_statuses(written: Ruleset, old_parent: dict[str, Any],
                       new_parent: dict[str, Any]) -> list[OverrideStatus]:
    before = {r["id"]: r for r in old_parent.get("rules", [])}
    after = {r["id"]: r for r in new_parent.get("rules", [])}
    statuses = []
    for override in written.overrides:
        keys = sorted(k for k in override.model_fields_set if k != "rule")
        if override.rule not in after:
            statuses.append(OverrideStatus(rule=override.rule, status="rule_removed", keys=keys))
            continue
        moved = [k for k in keys if before.get(override.rule, {}).get(k) != after[override.rule].get(k)]
        statuses.append(OverrideStatus(rule=override.rule, status="parent_changed" if moved else "applies",
                                       keys=keys, parent_changed=moved,
                                       parent_before={k: before.get(override.rule, {}).get(k) for k in moved},
                                       parent_after={k: after[override.rule].get(k) for k in moved}))
    return statuses


def upstream_preview(service: Service, community: str, ruleset_id: str, version: int,
                     to: int | None = None) -> UpstreamPreview:
    """What moving this version onto a newer catalogue version of its parent would change (nothing is stored)."""
    with service.db.reading() as session:
        require_community(session, community)
        row = stored_version(session, community, ruleset_id, version)
        written = Loader().run(row.yaml_text, row.source_name, until="parse").parsed
        if written is None or written.extends is None:
            return UpstreamPreview(ruleset=row.ref, extends=None, newer=[])
        parent_id, _, pinned = written.extends.partition("@")
        newer = _newer(session, community, parent_id, int(pinned))
        target = to if to is not None else (newer[-1] if newer else None)
        if target is None:
            return UpstreamPreview(ruleset=row.ref, extends=written.extends, newer=[])
        if target not in newer:
            raise ServiceError(ServiceCode.CATALOGUE_NOT_FOUND, Message.of(
                "no_newer_parent", ref=f"{parent_id}@{target}", extends=written.extends, community=community))
        target_ref = f"{parent_id}@{target}"
        text = moved_to(row.yaml_text, target_ref)
        moved = Loader(RegistrySource(session, community)).run(text, row.source_name, until="check")
        diff = diff_resolved(dump_resolved(session, row), dump(moved.ruleset), ruleset_id, row.ref,
                             f"{row.ref} → {target_ref}") if moved.ruleset is not None else None
        old_parent, new_parent = _parent(session, community, written.extends), _parent(session, community, target_ref)
        return UpstreamPreview(ruleset=row.ref, extends=written.extends, newer=newer, target=target_ref,
                               problems=list(moved.problems), diff=diff,
                               parent_diff=diff_resolved(old_parent, new_parent, parent_id, written.extends,
                                                         target_ref),
                               overrides=_override_statuses(written, old_parent, new_parent), yaml=text)


def adopt_upstream(service: Service, community: str, ruleset_id: str, version: int, to: int) -> RulesetSummary:
    """The child's next draft: its text moved onto ``parent@to`` (and its ``version`` line to the next number).

    A text that does not load cannot be stored (no draft can), so it is refused as any upload
    is, with its located problems — the overrides the parent's new version left dangling — and
    the moved text itself (``yaml``), for the committee to fix and save as the draft.
    """
    preview = upstream_preview(service, community, ruleset_id, version, to)
    if preview.yaml is None:
        raise ServiceError(ServiceCode.CATALOGUE_NOT_FOUND, Message.of("nothing_to_move_to", ref=preview.ruleset))
    with service.db.reading() as session:
        rows = session.scalars(select(RulesetVersion).where(
            RulesetVersion.community == community, RulesetVersion.ruleset_id == ruleset_id)).all()
        for row in rows:  # adopted already (a retry, a second click): that draft, not another copy
            if row.version > version and row.status == "draft" and row.extends == preview.target:
                return summarize(row)
    next_version = max(r.version for r in rows) + 1
    text = re.sub(r"^version:[^\n]*$", f"version: {next_version}", preview.yaml, count=1, flags=re.MULTILINE)
    try:
        return upload_ruleset(service, community, text, source_name=f"{ruleset_id}.yaml")
    except ServiceError as exc:
        exc.extra = {**exc.extra, "yaml": text}
        raise
