"""The public board (公示): ranking and tiers by zone with masked names, and awards in publicity.

Readable by anyone: no resident ids, households or other personal data — only a masked
name (张*凤, or 张*家 where households hold the accounts), zone, index and tier.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from xinzhi.clock import today, utcnow
from xinzhi.communities.service import check_zone, holders_shown, require_community, zones_shown
from xinzhi.engine.amounts import to_json
from xinzhi.ledger.balances import (
    Standing,
    Totals,
    standing,
    totals_by_category,
    totals_by_resident,
    vetoes_by_resident,
)
from xinzhi.registry.service import standard_on
from xinzhi.review.models import BoardLine, BoardRead, BoardZone
from xinzhi.review.service import publicity
from xinzhi.service import Service


def public_board(service: Service, community: str, *, top: int = 20, zone: str | None = None) -> BoardRead:
    """Ranking (top ``top`` per zone) and tier counts by zone, plus the awards in publicity."""
    day = today()
    with service.db.reading() as session:
        row = check_zone(session, community, zone)
        ruleset = standard_on(service, session, community, day)
        totals = totals_by_resident(session, community)  # running sums: no entry is dated after now
        people = [h for h in holders_shown(session, community, ruleset) if not zone or h.zone == zone]
        notices = publicity(session, community, utcnow())
        vetoes = vetoes_by_resident(session, community, ruleset, utcnow())
    by_zone: dict[str, list[tuple[Standing, str]]] = defaultdict(list)
    for holder in people:
        by_zone[holder.zone].append((standing(ruleset, totals.get(holder.id, Totals()).index,
                                              vetoes.get(holder.id, ())), holder.public_name))
    zones = []
    shown = zones_shown(row, by_zone)
    for zone_id, title in shown.items():
        if zone and zone_id != zone:
            continue
        members = by_zone.get(zone_id, [])
        members.sort(key=lambda m: (-m[0].index, m[1]))
        tiers: dict[str, int] = defaultdict(int)
        lines = []
        rank = 0
        for position, (standing_, name) in enumerate(members, 1):
            if standing_.tier:
                tiers[standing_.tier] += 1
            if position == 1 or standing_.index != members[position - 2][0].index:
                rank = position
            if position <= top:
                lines.append(BoardLine(rank=rank, name=name, index=standing_.index, tier=standing_.tier,
                                       tier_title=standing_.tier_title))
        zones.append(BoardZone(zone=zone_id, title=title, residents=len(members), tiers=dict(tiers), ranking=lines))
    return BoardRead(community=community, name=row.name, as_of=day, ruleset=ruleset.ref if ruleset else None,
                     ruleset_title=f"{ruleset.title}（第 {ruleset.version} 版）" if ruleset else None, zones=zones,
                     publicity=[n for n in notices if not zone or n.zone == zone])


def category_activity(service: Service, community: str, month: str | None = None) -> dict[str, Any]:
    """Awards per category in ``month`` (default: this month, Asia/Shanghai), most entries first; no residents."""
    day = today()
    month = month or day.strftime("%Y-%m")
    with service.db.reading() as session:
        require_community(session, community)
        ruleset = standard_on(service, session, community, day)
        titles = {c.id: c.title for c in ruleset.categories} if ruleset else {}
        totals = totals_by_category(session, community, month=month, kind="award")
    ranked = sorted(((c, s) for c, s in totals.items() if c is not None), key=lambda item: (-item[1].entries, item[0]))
    categories = [{"category": c, "title": titles.get(c, c), "entries": s.entries, "awarded": to_json(s.awarded)}
                  for c, s in ranked]
    return {"community": community, "month": month, "categories": categories,
            "as_of": dt.date.isoformat(day)}
