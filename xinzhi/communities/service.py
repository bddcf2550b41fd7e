"""Communities and their residents (with zone, household and roles)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from xinzhi.clock import utcnow
from xinzhi.communities.models import CommunityCreate, CommunityRead, ResidentCreate, ResidentRead
from xinzhi.db.queries import any_of, community_rows
from xinzhi.db.tables import AccountTotal, Community, CouncilCase, Resident
from xinzhi.engine import CompiledRuleset, Problem, Ruleset
from xinzhi.engine.ruleset import Holder
from xinzhi.errors import NotFound, ServiceCode, ServiceError
from xinzhi.messages import Message, problem_text
from xinzhi.service import Service


def mask_name(name: str) -> str:
    """A name as the public board shows it: 张三凤 → 张*凤, 张三 → 张*, 王 → * (found by attack: shown whole).

    At most two stars: a long name's length is part of who it is (found by attack: 28 stars).
    """
    name = name.strip()  # as registered before names were trimmed
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * min(len(name) - 2, 2) + name[-1]


def household_name(members: Sequence[Any]) -> str:
    """How a household is called where it is shown: its first member's family name, masked as 张*家."""
    return f"{members[0].name.strip()[:1]}*家" if members else "*家"


def require_community(session: Session, community: str) -> Community:
    """The community's row, or ``NotFound`` with ``community_not_found``."""
    row = session.get(Community, community)
    if row is None:
        raise NotFound(ServiceCode.COMMUNITY_NOT_FOUND, Message.of("no_community", community=community))
    return row


def held_by(compiled: CompiledRuleset) -> Holder:
    """Who holds the accounts under a version: each resident, or each household (户)."""
    return compiled.ruleset.accounts.held_by if compiled.ruleset.accounts else "resident"


def account_holders(session: Session, community: str, holder: Holder) -> list[str]:
    """Every account a job decides for (closing, resets): the residents' ids, or their households'.

    A household whose members all left still holds what it earned: its account is one too.
    """
    column = Resident.id if holder == "resident" else Resident.household
    registered: set[str] = {held for held in session.scalars(select(column).distinct().where(
        Resident.community == community, column.is_not(None))) if held is not None}
    if holder == "household":
        residents = select(Resident.id).where(Resident.community == community)
        registered |= set(session.scalars(select(AccountTotal.resident).where(
            AccountTotal.community == community, AccountTotal.resident.not_in(residents))))
    return sorted(registered)


def moved_in_days(session: Session, community: str, holder: Holder) -> dict[str, dt.date]:
    """Each account's first day in the community, where its residents' registrations say (``moved_in``).

    A household's is its first member's, when every member's is known: one member there
    all along makes the household's every period one it lived here.
    """
    days: dict[str, dt.date | None] = {}
    for resident, household, moved_in in session.execute(select(Resident.id, Resident.household, Resident.moved_in)
                                                         .where(Resident.community == community)):
        held = resident if holder == "resident" else household
        if held is not None:
            earlier = days.get(held, moved_in)
            days[held] = None if moved_in is None or earlier is None else min(moved_in, earlier)
    return {held: day for held, day in days.items() if day is not None}


def account_of(ruleset: Ruleset | None, resident: Resident) -> str:
    """Whose account a resident spends from: their own, or the household's where households hold the accounts."""
    if ruleset is None or ruleset.accounts is None or ruleset.accounts.held_by != "household":
        return resident.id
    if resident.household is None:
        raise ServiceError(ServiceCode.RESIDENT_WITHOUT_HOUSEHOLD,
                           Message.of("account_needs_household", ref=ruleset.ref, resident=resident.id),
                           [Problem(code=ServiceCode.RESIDENT_WITHOUT_HOUSEHOLD, path="household",
                                    message=f"resident '{resident.id}' has no household",
                                    says="resident_no_household", params={"resident": resident.id})])
    return resident.household


@dataclass(frozen=True)
class ShownAccount:
    """An account as reports list it: a resident, or a household (where households hold the accounts)."""

    id: str
    name: str  # the resident's name, or the members' names (张三、张小四)
    public_name: str  # as the public board shows it: 张*凤, or 张*家
    zone: str  # the resident's, or the household's first member's
    household: str | None


def holders_shown(session: Session, community: str, ruleset: Ruleset | None) -> list[ShownAccount]:
    """Every account of the community by id, as the board, the summary and the scores CSV list them."""
    held_by = ruleset.accounts.held_by if ruleset is not None and ruleset.accounts is not None else "resident"
    return _shown(_residents(session, community), held_by)


def shown_by_id(session: Session, community: str) -> dict[str, ShownAccount]:
    """Any account by its id, a resident's or a household's (a review item names either)."""
    residents = _residents(session, community)
    return {a.id: a for held_by in ("household", "resident") for a in _shown(residents, held_by)}


def _residents(session: Session, community: str) -> Sequence[Any]:
    """Id, name, zone and household of every resident: columns, not objects, for a city has a million."""
    return session.execute(select(Resident.id, Resident.name, Resident.zone, Resident.household).where(
        Resident.community == community).order_by(Resident.id)).all()


def _shown(residents: Sequence[Any], held_by: Holder) -> list[ShownAccount]:
    if held_by == "resident":
        return [ShownAccount(r.id, r.name, mask_name(r.name), r.zone, r.household) for r in residents]
    members: dict[str, list[Any]] = defaultdict(list)
    for resident in residents:
        if resident.household is not None:
            members[resident.household].append(resident)
    return [ShownAccount(household, "、".join(m.name for m in people), household_name(people), people[0].zone,
                         household) for household, people in sorted(members.items())]


def ensure_community(session: Session, community: str, name: str) -> Community:
    """The community, created if it does not exist yet."""
    row = session.get(Community, community)
    if row is None:
        row = Community(id=community, name=name, created_at=utcnow())
        session.add(row)
        session.flush()
    return row


def _read(session: Session, row: Community, residents: int | None = None) -> CommunityRead:
    return CommunityRead(id=row.id, name=row.name, zones=row.zones, roles=row.roles, bodies=row.bodies,
                         residents=_count(session, row.id) if residents is None else residents)


def create_community(service: Service, data: CommunityCreate) -> CommunityRead:
    """Create a community, or rename it and change its zones or roles (a list left out stays as it is).

    A zone or role still held by a resident (or a council case) cannot be dropped.
    """
    with service.db.writing() as session:
        row = ensure_community(session, data.id, data.name)
        row.name = data.name
        if data.zones is not None:
            _check_still_declared(session, row.id, "zones", {z.id for z in data.zones})
            row.zones = [z.model_dump() for z in data.zones]
        if data.roles is not None:
            _check_still_declared(session, row.id, "roles", {r.id for r in data.roles})
            row.roles = [r.model_dump() for r in data.roles]
        if data.bodies is not None:
            row.bodies = [b.model_dump() for b in data.bodies]
        session.flush()
        return _read(session, row)


def _check_still_declared(session: Session, community: str, kind: str, declared: set[str]) -> None:
    if kind == "zones":
        used = set(session.scalars(select(Resident.zone).where(Resident.community == community).distinct()))
        used |= set(session.scalars(select(CouncilCase.zone).where(CouncilCase.community == community).distinct()))
    else:
        used = {role for roles in session.scalars(select(Resident.roles).where(Resident.community == community))
                for role in roles or ()}
    dropped = sorted(used - declared)
    if dropped:
        raise ServiceError(ServiceCode.CONFIGURATION_IN_USE, Message.of(
            "still_in_use", kind=Message.of(f"configured_{kind}"), ids=", ".join(dropped[:20]),
            more=Message.of("and_more", n=len(dropped) - 20) if len(dropped) > 20 else Message.of("nothing")),
            [Problem(code=ServiceCode.CONFIGURATION_IN_USE, message=f"'{i}' is in use", path=kind, says="in_use",
                     params={"value": i}) for i in dropped])


def open_community(service: Service, community: str, name: str) -> CommunityRead:
    """The community as it is, created with ``name`` if it does not exist yet."""
    with service.db.writing() as session:
        return _read(session, ensure_community(session, community, name))


def get_community(service: Service, community: str) -> CommunityRead:
    """One community: name, zones, roles, how many residents."""
    with service.db.reading() as session:
        return _read(session, require_community(session, community))


def titles(labels: list[Any] | None) -> dict[str, str]:
    """Id → title of declared zones or roles, in their declared order (empty if none were declared)."""
    return {label["id"]: label["title"] for label in labels or ()}


def zones_shown(row: Community, present: Iterable[str]) -> dict[str, str]:
    """The zones a report shows, each with its title: the declared ones in their order, then any other by id."""
    declared = titles(row.zones)
    return {**declared, **{zone: zone for zone in sorted(set(present) - set(declared))}}


def _count(session: Session, community: str) -> int:
    return session.scalar(select(func.count()).select_from(Resident).where(Resident.community == community)) or 0


def list_communities(service: Service) -> list[CommunityRead]:
    """Every community with its resident count."""
    with service.db.reading() as session:
        counts = dict(session.execute(select(Resident.community, func.count()).group_by(Resident.community)).all())
        return [_read(session, c, counts.get(c.id, 0))
                for c in session.scalars(select(Community).order_by(Community.id))]


def read_resident(row: Resident) -> ResidentRead:
    """A resident's row as the service returns it, with the masked name."""
    return ResidentRead(community=row.community, id=row.id, name=row.name, zone=row.zone,
                        household=row.household, roles=row.roles, moved_in=row.moved_in,
                        masked_name=mask_name(row.name))


def register_residents(service: Service, community: str, residents: list[ResidentCreate]) -> list[ResidentRead]:
    """Add residents, or update name, zone, household, roles and moving-in day of known ones.

    One id twice in a list must say the same twice: which of two registrations was meant
    cannot be told, and the later one silently won.
    """
    return register_counting(service, community, residents)[0]


def register_counting(service: Service, community: str,
                      residents: list[ResidentCreate]) -> tuple[list[ResidentRead], int]:
    """``register_residents``, and how many of them it added (counted in its own transaction).

    Two registrations of one new resident at once both insert it; on PostgreSQL the later one's
    insert fails the unique key, and it is tried again, finding the resident there.
    """
    attempt = 1
    while True:
        try:
            return _register(service, community, residents)
        except IntegrityError:
            if attempt == 3:
                raise
            attempt += 1


def _register(service: Service, community: str, residents: list[ResidentCreate]) -> tuple[list[ResidentRead], int]:
    first: dict[str, tuple[int, ResidentCreate]] = {}
    conflicts = []
    for i, resident in enumerate(residents):
        j, earlier = first.setdefault(resident.id, (i, resident))
        if earlier != resident:
            conflicts.append(Problem(code=ServiceCode.REQUEST_INVALID, path=f"[{i}].id", message=(
                f"resident '{resident.id}' is given twice with different details (also at [{j}])"),
                says="resident_given_twice", params={"resident": resident.id, "at": f"[{j}]"}))
    if conflicts:
        raise ServiceError(ServiceCode.REQUEST_INVALID, Message.of("residents_twice", n=len(conflicts)), conflicts)
    with service.db.writing() as session:
        _check_declared(require_community(session, community),
                        [(f"[{i}].zone", r.zone) for i, r in enumerate(residents)],
                        [(f"[{i}].roles[{j}]", role) for i, r in enumerate(residents)
                         for j, role in enumerate(r.roles)])
        known = {r.id: r for r in session.scalars(select(Resident).where(
            Resident.community == community, any_of(session, Resident.id, {r.id for r in residents})))}
        out, added = [], 0
        for data in residents:
            row = known.get(data.id)
            if row is None:
                added += 1
                row = Resident(community=community, id=data.id, created_at=utcnow())
                session.add(row)
                known[data.id] = row
            row.name, row.zone, row.household, row.roles = data.name, data.zone, data.household, list(data.roles)
            row.moved_in = data.moved_in
            out.append(row)
        session.flush()
        return [read_resident(r) for r in out], added


def check_zone(session: Session, community: str, zone: str | None) -> Community:
    """The community's row; a zone given that it has not declared is refused (any goes if it declared none).

    Also for a filter: a zone mistyped in a list's query would otherwise read as an empty zone.
    """
    row = require_community(session, community)
    if zone:
        _check_declared(row, [("zone", zone)], [])
    return row


def _check_declared(row: Community, zones: list[tuple[str, str]], roles: list[tuple[str, str]]) -> None:
    problems = []
    for kind, declared, given, code in (("zone", row.zones, zones, ServiceCode.ZONE_NOT_DECLARED),
                                        ("role", row.roles, roles, ServiceCode.ROLE_NOT_DECLARED)):
        if declared is None:
            continue
        known = titles(declared)
        named = [key if title == key else f"{key}（{title}）" for key, title in known.items()]  # ids are typed
        problems += [Problem(code=code, path=path, message=f"'{value}' is not one of the community's {kind}s "
                                                            f"({', '.join(named) or 'none declared'})",
                             says="not_declared", params={"value": value, "kind": kind,
                                                          "choices": "、".join(named) or "—"})
                     for path, value in given if value not in known]
    if problems:
        # in Chinese, one problem is said as itself (the value and the choices), several are counted
        why = problem_text(problems[0], "zh") if len(problems) == 1 else Message.of("problems_listed", n=len(problems))
        raise ServiceError(ServiceCode(problems[0].code), Message.of("undeclared_ids", n=len(problems), why=why),
                           problems)


def get_resident(session: Session, community: str, resident: str) -> Resident:
    """The resident's row, or ``NotFound`` saying whether the community or the resident is missing."""
    require_community(session, community)
    row = session.get(Resident, (community, resident))
    if row is None:
        raise NotFound(ServiceCode.RESIDENT_NOT_FOUND, Message.of("no_resident", community=community,
                                                                  resident=resident))
    return row


def list_residents(service: Service, community: str, *, zone: str | None = None, household: str | None = None,
                   offset: int = 0, limit: int | None = 100) -> list[ResidentRead]:
    """Residents of a community by id, optionally of one zone or household (``limit=None``: all)."""
    with service.db.reading() as session:
        check_zone(session, community, zone)
        rows = community_rows(session, Resident, community, zone=zone or None, household=household or None,
                              order_by=(Resident.id,), offset=offset, limit=limit)
        return [read_resident(r) for r in rows]
