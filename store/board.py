"""The public board (公示): ranking and tiers by zone with masked names, and awards in publicity.

Readable by anyone: no resident ids, households or other personal data — only a masked
name (张*凤), zone, index and tier.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from pydantic import BaseModel
from sqlalchemy import func, select

from ._store import Store
from .communities import mask_name, require_community
from .models import LedgerEntry, Resident, utcnow
from .review import publicity


class BoardLine(BaseModel):
    rank: int
    name: str
    index: int
    tier: str | None
    tier_title: str | None


class BoardZone(BaseModel):
    zone: str
    residents: int
    tiers: dict[str, int]
    ranking: list[BoardLine]


class BoardRead(BaseModel):
    community: str
    name: str
    as_of: dt.date
    ruleset: str | None
    zones: list[BoardZone]
    publicity: list[dict]


def public_board(store: Store, community: str, *, top: int = 20, zone: str | None = None) -> BoardRead:
    """Ranking (top ``top`` per zone) and tier counts by zone, plus the awards in publicity."""
    from engine import tier_for

    from .reports import end_of, standard_on, today
    day = today()
    with store.db.reading() as session:
        row = require_community(session, community)
        ruleset = standard_on(store, session, community, day)
        start = ruleset.accounts.starting_index if ruleset and ruleset.accounts else 0
        sums = dict(session.execute(select(LedgerEntry.resident, func.sum(LedgerEntry.index_delta)).where(
            LedgerEntry.community == community, LedgerEntry.occurred_at < end_of(day))
            .group_by(LedgerEntry.resident)).all())
        query = select(Resident.id, Resident.name, Resident.zone).where(Resident.community == community)
        if zone:
            query = query.where(Resident.zone == zone)
        people = session.execute(query).all()
        notices = publicity(session, community, utcnow())
    by_zone: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for resident, name, resident_zone in people:
        by_zone[resident_zone].append((start + int(sums.get(resident) or 0), name))
    zones = []
    for zone_id, members in sorted(by_zone.items()):
        members.sort(key=lambda m: (-m[0], m[1]))
        tiers: dict[str, int] = defaultdict(int)
        lines = []
        rank = 0
        for position, (index, name) in enumerate(members, 1):
            tier = tier_for(index, ruleset.tiers) if ruleset and ruleset.tiers else None
            if tier:
                tiers[tier.id] += 1
            if position == 1 or index != members[position - 2][0]:
                rank = position
            if position <= top:
                lines.append(BoardLine(rank=rank, name=mask_name(name), index=index, tier=tier.id if tier else None,
                                       tier_title=tier.title if tier else None))
        zones.append(BoardZone(zone=zone_id, residents=len(members), tiers=dict(tiers), ranking=lines))
    return BoardRead(community=community, name=row.name, as_of=day, ruleset=ruleset.ref if ruleset else None,
                     zones=zones, publicity=[n for n in notices if not zone or n["zone"] == zone])
