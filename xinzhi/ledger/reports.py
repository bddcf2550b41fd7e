"""Reading the ledger: a resident's score and explained ledger, household and community views, CSV exports.

Every figure is a sum of ledger entries, nothing else.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterator
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from xinzhi.clock import end_of, today
from xinzhi.communities.service import (
    account_of,
    get_resident,
    holders_shown,
    household_name,
    require_community,
    zones_shown,
)
from xinzhi.db.tables import LedgerEntry, Resident
from xinzhi.engine import SHANGHAI, Ruleset
from xinzhi.errors import NotFound, ServiceCode
from xinzhi.ledger.balances import (
    Totals,
    community_months,
    facts_counted,
    standing,
    totals_by_category,
    totals_by_resident,
    vetoes_by_resident,
)
from xinzhi.ledger.entries import read_entry
from xinzhi.ledger.expiry import expiry_as_of
from xinzhi.ledger.models import (
    CategoryTotal,
    CommunitySummary,
    HouseholdRead,
    LedgerPage,
    MemberContribution,
    MonthTotal,
    ScoreRead,
    ZoneTotal,
)
from xinzhi.messages import Message
from xinzhi.registry.service import standard_on
from xinzhi.service import Service
from xinzhi.spreadsheets import csv_chunks, csv_text, titled

#: Entries no rule's category holds: the shop's, and expiry, resets and committee adjustments.
LEDGER_CATEGORY_TITLES: dict[str | None, str] = {"shop": "信用超市", None: "到期、清零与调整"}


def _categories(ruleset: Ruleset | None, totals: dict[str | None, Totals]) -> list[CategoryTotal]:
    titles: dict[str | None, str] = {**LEDGER_CATEGORY_TITLES,
                                     **({c.id: c.title for c in ruleset.categories} if ruleset else {})}
    return [CategoryTotal(category=c or "(none)", title=titles.get(c), index=s.index, points=s.points,
                          entries=s.entries)
            for c, s in sorted(totals.items(), key=lambda item: item[0] or "")]


def _score(session: Session, resident: Resident, day: dt.date, ruleset: Ruleset | None) -> ScoreRead:
    totals = totals_by_category(session, resident.community, resident=resident.id, until=end_of(day))
    due, expiring = expiry_as_of(session, resident.community, resident.id, day)
    if due:  # expired before the day, not yet written by the job: shown as its entry will be (no category)
        totals[None] = totals.get(None, Totals()) + Totals(points=Decimal(-due))
    categories = _categories(ruleset, totals)
    vetoes = vetoes_by_resident(session, resident.community, ruleset, end_of(day), resident=resident.id)
    standing_ = standing(ruleset, sum((c.index for c in categories), Decimal(0)), vetoes.get(resident.id, ()))
    return ScoreRead(community=resident.community, resident=resident.id, name=resident.name, zone=resident.zone,
                     household=resident.household, as_of=day, ruleset=ruleset.ref if ruleset else None,
                     index=standing_.index, points=sum(c.points for c in categories), tier=standing_.tier,
                     tier_title=standing_.tier_title, flags=list(standing_.flags), tier_capped_by=standing_.capped_by,
                     categories=categories,
                     expiring=expiring,
                     entries=sum(c.entries for c in categories))


def resident_score(service: Service, community: str, resident: str, as_of: dt.date | None = None) -> ScoreRead:
    """Index, points, tier and per-category totals as of the end of a day (default today).

    Where households hold the accounts, a member's score is their household's account.
    """
    day = as_of or today()
    with service.db.reading() as session:
        row = get_resident(session, community, resident)
        ruleset = standard_on(service, session, community, day)
        holder = account_of(ruleset, row)
        if holder == row.id:
            return _score(session, row, day, ruleset)
        account = Resident(community=community, id=holder, name=row.name, zone=row.zone, household=row.household)
        return _score(session, account, day, ruleset).model_copy(update={"resident": row.id})  # the household's


def resident_ledger(service: Service, community: str, resident: str, *, offset: int = 0, limit: int = 50,
                    kind: str | None = None, newest_first: bool = False) -> LedgerPage:
    """A resident's ledger (or their household's) in the order it was written (or newest first), each explained."""
    with service.db.reading() as session:
        row = get_resident(session, community, resident)
        holder = account_of(standard_on(service, session, community, today()), row)  # or the household's account
        where = [LedgerEntry.community == community, LedgerEntry.resident == holder]
        if kind:
            where.append(LedgerEntry.kind == kind)
        total = session.scalar(select(func.count()).select_from(LedgerEntry).where(*where)) or 0
        order = LedgerEntry.seq.desc() if newest_first else LedgerEntry.seq
        rows = session.scalars(select(LedgerEntry).where(*where).order_by(order).offset(offset).limit(limit)).all()
        return LedgerPage(resident=resident, total=total, offset=offset, limit=limit,
                          entries=[read_entry(r) for r in rows])


def household_view(service: Service, community: str, household: str, as_of: dt.date | None = None) -> HouseholdRead:
    """The members of a household with their scores, and the household's totals."""
    day = as_of or today()
    with service.db.reading() as session:
        require_community(session, community)
        members = session.scalars(select(Resident).where(Resident.community == community,
                                                         Resident.household == household).order_by(Resident.id)).all()
        if not members:
            raise NotFound(ServiceCode.RESIDENT_NOT_FOUND, Message.of("no_household", community=community,
                                                                      household=household))
        ruleset = standard_on(service, session, community, day)
        if ruleset is not None and ruleset.accounts is not None and ruleset.accounts.held_by == "household":
            return _household_account(session, community, household, list(members), day, ruleset)
        scores = [_score(session, m, day, ruleset) for m in members]
    total = sum(s.index for s in scores)
    return HouseholdRead(community=community, household=household, as_of=day, members=scores, index_total=total,
                         index_average=round(total / len(scores), 2), points_total=sum(s.points for s in scores))


def _household_account(session: Session, community: str, household: str, members: list[Resident], day: dt.date,
                       ruleset: Ruleset) -> HouseholdRead:
    """A household that holds its account: its standing, and what each member's facts moved in it."""
    holder = Resident(community=community, id=household, name=household_name(members), zone=members[0].zone,
                      household=household)  # not stored: the account holder as a score reads it
    account = _score(session, holder, day, ruleset)
    names = {m.id: m.name for m in members}
    moved = {member: (index, points, entries) for member, index, points, entries in session.execute(
        select(LedgerEntry.member, func.sum(LedgerEntry.index_delta), func.sum(LedgerEntry.points_delta), func.count())
        .where(LedgerEntry.community == community, LedgerEntry.resident == household,
               LedgerEntry.occurred_at < end_of(day))
        .group_by(LedgerEntry.member))}
    nothing = (Decimal(0), Decimal(0), 0)
    due = sum((points for _, points, _ in moved.values()), Decimal(0)) - account.points
    if due:  # expired before the day, not yet written by the job: the household's own, as its entry will be
        index, points, entries = moved.get(None, nothing)
        moved[None] = (index, points - due, entries)
    gone = sorted(m for m in moved.keys() - names.keys() if m is not None)  # members who have moved out since
    if gone:
        names |= dict(session.execute(select(Resident.id, Resident.name).where(
            Resident.community == community, Resident.id.in_(gone))).all())
    # every member registered now (one who has done nothing yet, at 0: found by use, a new member was missing),
    # then members who have moved out; the household's own entries (no member) first
    contributions = []
    for member in sorted(moved.keys() | {m.id for m in members}, key=lambda m: (m is not None, m or "")):
        index, points, entries = moved.get(member, nothing)
        contributions.append(MemberContribution(resident=member, name=names.get(member) if member else None,
                                                index=index, points=points, entries=entries))
    return HouseholdRead(community=community, household=household, as_of=day, held_by="household", members=[],
                         account=account, contributions=contributions, index_total=account.index,
                         index_average=float(account.index), points_total=account.points)


def community_summary(service: Service, community: str, as_of: dt.date | None = None) -> CommunitySummary:
    """Totals per zone, per category and per month, and how many residents hold each tier."""
    day = as_of or today()
    past = day if day < today() else None  # today's standing counts every entry: none is dated after now
    with service.db.reading() as session:
        row = require_community(session, community)
        ruleset = standard_on(service, session, community, day)
        residents = [(h.id, h.zone) for h in holders_shown(session, community, ruleset)]  # or households
        balances = totals_by_resident(session, community, until=end_of(past) if past else None)
        vetoes = vetoes_by_resident(session, community, ruleset, end_of(day))
        zones: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 5)  # residents, then amounts
        tiers: Counter[str] = Counter()
        for resident, zone in residents:
            totals = balances.get(resident, Totals())
            standing_ = standing(ruleset, totals.index, vetoes.get(resident, ()))
            z = zones[zone]
            z[0] += 1
            z[1] += standing_.index
            z[2] += totals.points
            z[3] += totals.awarded
            z[4] += totals.deducted
            if standing_.tier:
                tiers[standing_.tier] += 1
        zone_totals = [ZoneTotal(zone=zone, title=title, residents=int(n), index_total=i,
                                 index_average=round(i / n, 2) if n else 0, points_total=p, awarded=a, deducted=d)
                       for zone, title in zones_shown(row, zones).items()
                       for n, i, p, a, d in [zones.get(zone, (0, 0, 0, 0, 0))]]
        months = community_months(session, community, day=past)
        facts = facts_counted(session, community, day=past)
    by_category: dict[str | None, Totals] = defaultdict(Totals)
    by_month: dict[str, Totals] = defaultdict(Totals)
    for (month, category), totals in months.items():
        by_category[category] += totals
        by_month[month] += totals
    month_totals = [MonthTotal(month=m, awarded=s.awarded, deducted=s.deducted, entries=s.entries)
                    for m, s in sorted(by_month.items())]
    order = [t.id for t in ruleset.tiers] if ruleset and ruleset.tiers else sorted(tiers)
    return CommunitySummary(community=community, as_of=day, residents=len(residents), facts=facts, zones=zone_totals,
                            categories=_categories(ruleset, by_category), months=month_totals,
                            tiers={t: tiers.get(t, 0) for t in order})


LEDGER_COLUMNS = (("seq", "序号"), ("resident", "账户"), ("kind", "类别"), ("amount", "分值"),
                  ("raw_amount", "上限前分值"), ("index_delta", "诚信指数变化"), ("points_delta", "积分变化"),
                  ("accounts", "计入账户"), ("category", "分类"), ("rule_id", "规则"), ("ruleset", "标准版本"),
                  ("fact_id", "事实编号"), ("limited_by", "受限于"), ("occurred_at", "发生时间"),
                  ("points_expire_on", "积分到期日"), ("explanation", "说明"), ("member", "成员"))
SCORES_COLUMNS = (("resident", "居民"), ("name", "姓名"), ("zone", "分区"), ("household", "家庭"),
                  ("as_of", "截至"), ("index", "诚信指数"), ("points", "积分"), ("tier", "等级"),
                  ("tier_title", "等级名称"), ("flags", "标记"), ("tier_capped_by", "等级受限原因"))


def ledger_rows(service: Service, community: str, resident: str | None = None) -> Iterator[list]:
    """The ledger as rows, the titled header first (one row per entry, with its explanation), read in pages.

    A resident's is their account's: their household's, where households hold the accounts.
    """
    with service.db.reading() as session:
        if resident:
            resident = account_of(standard_on(service, session, community, today()),
                                  get_resident(session, community, resident))
        else:
            require_community(session, community)
    yield titled(LEDGER_COLUMNS)
    # Core rows of the columns shown, the summary read out of the explanation by the database: the whole
    # entry as an object, its explanation parsed, took most of an export's time
    columns = (LedgerEntry.seq, LedgerEntry.resident, LedgerEntry.kind, LedgerEntry.amount, LedgerEntry.raw_amount,
               LedgerEntry.index_delta, LedgerEntry.points_delta, LedgerEntry.accounts, LedgerEntry.category,
               LedgerEntry.rule_id, LedgerEntry.ruleset, LedgerEntry.fact_id, LedgerEntry.limited_by,
               LedgerEntry.occurred_at, LedgerEntry.points_expire_on,
               LedgerEntry.explanation["summary"].as_string(), LedgerEntry.member)
    last = 0
    while True:
        with service.db.reading() as session:
            query = select(*columns).where(LedgerEntry.community == community, LedgerEntry.seq > last)
            if resident:
                query = query.where(LedgerEntry.resident == resident)
            rows = session.execute(query.order_by(LedgerEntry.seq).limit(2000)).all()
        if not rows:
            return
        for (seq, holder, kind, amount, raw, index, points, accounts, category, rule, ruleset, fact, limited,
             occurred, expires, summary, member) in rows:
            yield [seq, holder, kind, amount, raw, index, points, accounts.replace(",", "+"), category or "",
                   rule or "", ruleset or "", fact or "", limited or "", occurred.astimezone(SHANGHAI).isoformat(),
                   expires or "", summary or "", member or ""]
        last = rows[-1].seq


def export_ledger_csv(service: Service, community: str, resident: str | None = None) -> Iterator[str]:
    """The ledger as CSV (Excel-ready), streamed in chunks."""
    return csv_chunks(ledger_rows(service, community, resident))


def scores_rows(service: Service, community: str, as_of: dt.date | None = None) -> list[list]:
    """Every account's index, points and tier as rows, the titled header first."""
    day = as_of or today()
    with service.db.reading() as session:
        require_community(session, community)
        ruleset = standard_on(service, session, community, day)
        balances = totals_by_resident(session, community, until=None if day >= today() else end_of(day))
        vetoes = vetoes_by_resident(session, community, ruleset, end_of(day))
        residents = holders_shown(session, community, ruleset)  # or households, where they hold the accounts
    rows: list[list] = [titled(SCORES_COLUMNS)]
    for r in residents:  # each account: a resident, or a household with its members' names
        totals = balances.get(r.id, Totals())
        standing_ = standing(ruleset, totals.index, vetoes.get(r.id, ()))
        rows.append([r.id, r.name, r.zone, r.household or "", day, standing_.index, totals.points,
                     standing_.tier or "", standing_.tier_title or "", " ".join(standing_.flags),
                     standing_.capped_by or ""])
    return rows


def export_scores_csv(service: Service, community: str, as_of: dt.date | None = None) -> str:
    """Every account's index, points and tier as CSV (Excel-ready)."""
    return csv_text(scores_rows(service, community, as_of))
