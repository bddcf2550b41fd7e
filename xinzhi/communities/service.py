"""Communities and their residents (with zone, household and roles)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from xinzhi.clock import utcnow
from xinzhi.communities.models import CommunityCreate, CommunityRead, ResidentCreate, ResidentRead
from xinzhi.db.queries import community_rows
from xinzhi.db.tables import Community, Resident
from xinzhi.errors import NotFound, ServiceCode
from xinzhi.service import Service


def mask_name(name: str) -> str:
    """A name as the public board shows it: 张三凤 → 张*凤, 张三 → 张*."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def require_community(session: Session, community: str) -> Community:
    """The community's row, or ``NotFound`` with ``community_not_found``."""
    row = session.get(Community, community)
    if row is None:
        raise NotFound(ServiceCode.COMMUNITY_NOT_FOUND, f"there is no community '{community}'")
    return row


def ensure_community(session: Session, community: str, name: str) -> Community:
    """The community, created if it does not exist yet."""
    row = session.get(Community, community)
    if row is None:
        row = Community(id=community, name=name, created_at=utcnow())
        session.add(row)
        session.flush()
    return row


def create_community(service: Service, data: CommunityCreate) -> CommunityRead:
    """Create a community, or rename it if it exists."""
    with service.db.writing() as session:
        row = ensure_community(session, data.id, data.name)
        row.name = data.name
        return CommunityRead(id=row.id, name=row.name, residents=_count(session, row.id))


def open_community(service: Service, community: str, name: str) -> CommunityRead:
    """The community as it is, created with ``name`` if it does not exist yet."""
    with service.db.writing() as session:
        row = ensure_community(session, community, name)
        return CommunityRead(id=row.id, name=row.name, residents=_count(session, row.id))


def _count(session: Session, community: str) -> int:
    return session.scalar(select(func.count()).select_from(Resident).where(Resident.community == community)) or 0


def list_communities(service: Service) -> list[CommunityRead]:
    """Every community with its resident count."""
    with service.db.reading() as session:
        counts = dict(session.execute(select(Resident.community, func.count()).group_by(Resident.community)).all())
        return [CommunityRead(id=c.id, name=c.name, residents=counts.get(c.id, 0))
                for c in session.scalars(select(Community).order_by(Community.id))]


def read_resident(row: Resident) -> ResidentRead:
    """A resident's row as the service returns it, with the masked name."""
    return ResidentRead(community=row.community, id=row.id, name=row.name, zone=row.zone,
                        household=row.household, roles=row.roles, masked_name=mask_name(row.name))


def register_residents(service: Service, community: str, residents: list[ResidentCreate]) -> list[ResidentRead]:
    """Add residents, or update name, zone, household and roles of known ones."""
    with service.db.writing() as session:
        require_community(session, community)
        known = {r.id: r for r in session.scalars(select(Resident).where(
            Resident.community == community, Resident.id.in_([r.id for r in residents])))}
        out = []
        for data in residents:
            row = known.get(data.id)
            if row is None:
                row = Resident(community=community, id=data.id, created_at=utcnow())
                session.add(row)
                known[data.id] = row
            row.name, row.zone, row.household, row.roles = data.name, data.zone, data.household, list(data.roles)
            out.append(row)
        session.flush()
        return [read_resident(r) for r in out]


def get_resident(session: Session, community: str, resident: str) -> Resident:
    """The resident's row, or ``NotFound`` saying whether the community or the resident is missing."""
    require_community(session, community)
    row = session.get(Resident, (community, resident))
    if row is None:
        raise NotFound(ServiceCode.RESIDENT_NOT_FOUND, f"community '{community}' has no resident '{resident}'")
    return row


def list_residents(service: Service, community: str, *, zone: str | None = None, household: str | None = None,
                   offset: int = 0, limit: int | None = 100) -> list[ResidentRead]:
    """Residents of a community by id, optionally of one zone or household (``limit=None``: all)."""
    with service.db.reading() as session:
        require_community(session, community)
        rows = community_rows(session, Resident, community, zone=zone or None, household=household or None,
                              order_by=(Resident.id,), offset=offset, limit=limit)
        return [read_resident(r) for r in rows]
