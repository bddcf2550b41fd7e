"""What the browser console needs beyond the resource services: a draft's tests without storing
it, and this month's activity per category for the public lobby board (aggregates only)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

from xinzhi.communities.service import require_community
from xinzhi.db.tables import LedgerEntry
from xinzhi.ledger.reports import standard_on, today
from xinzhi.registry import drafts as _worker
from xinzhi.registry.service import ruleset_invalid
from xinzhi.registry.source import registry_loader
from xinzhi.service import Service


def run_draft_tests(service: Service, community: str, text: str, *, name: str = "draft.yaml") -> dict[str, Any]:
    """Run a ruleset text's embedded tests in a draft worker, storing nothing (``ruleset_invalid`` if it does not load)."""
    with service.db.reading() as session:
        require_community(session, community)
        parents = registry_loader(session, community).run(text, name, until="resolve").parents
    outcome = service.drafts.run(_worker.test_draft, text, name, parents)
    if "error" in outcome:
        raise ruleset_invalid(_worker.problems(outcome))
    return outcome


def category_activity(service: Service, community: str, month: str | None = None) -> dict[str, Any]:
    """Awards per category in ``month`` (default: this month, Asia/Shanghai), most entries first; no residents."""
    day = today()
    month = month or day.strftime("%Y-%m")
    with service.db.reading() as session:
        require_community(session, community)
        ruleset = standard_on(service, session, community, day)
        titles = {c.id: c.title for c in ruleset.categories} if ruleset else {}
        rows = session.execute(select(
            LedgerEntry.category, func.count(), func.sum(LedgerEntry.amount)).where(
            LedgerEntry.community == community, LedgerEntry.month == month, LedgerEntry.kind == "award",
            LedgerEntry.category.is_not(None)).group_by(LedgerEntry.category)).all()
    categories = sorted(({"category": c, "title": titles.get(c, c), "entries": n, "awarded": int(a or 0)}
                         for c, n, a in rows), key=lambda r: (-r["entries"], r["category"]))
    return {"community": community, "month": month, "categories": categories,
            "as_of": dt.date.isoformat(day)}
