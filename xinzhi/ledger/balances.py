"""Balances are what the ledger sums to; every sum of it is taken here, limits' usage included.

``until`` is the first moment not counted (the end of a day for a standing "as of" that
day); ``None`` counts every entry. A standing adds the ruleset's starting index and reads
the tier off the result.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session, aliased

from xinzhi.clock import end_of, month_of, start_of_month
from xinzhi.db.queries import each_from
from xinzhi.db.tables import RUNNING_SUMS, AccountTotal, Appeal, LedgerEntry, MonthFacts, MonthTotal
from xinzhi.db.tables import Fact as FactRow
from xinzhi.engine import SHANGHAI, CompiledRuleset, History, LimitRef, RepeatRef, Ruleset
from xinzhi.engine.resets import Moved
from xinzhi.engine.resets import rules_read as carrying_rules
from xinzhi.engine.vetoes import ActiveVeto, active_vetoes, flags, rules_read, shown


@dataclass(frozen=True)
class Totals:
    """Sums of a group of entries: the index change, points, awards and deductions, how many."""

    index: Decimal = Decimal(0)
    points: Decimal = Decimal(0)
    awarded: Decimal = Decimal(0)
    deducted: Decimal = Decimal(0)
    entries: int = 0

    def __add__(self, other: Totals) -> Totals:
        return Totals(self.index + other.index, self.points + other.points, self.awarded + other.awarded,
                      self.deducted + other.deducted, self.entries + other.entries)

    @classmethod
    def of(cls, sums: Sequence[Any]) -> Totals:
        """Totals from the five sums a query selected (``_SUMS``, or a running sums row): four amounts, a count."""
        index, points, awarded, deducted, entries = sums
        return cls(Decimal(index), Decimal(points), Decimal(awarded), Decimal(deducted), int(entries))

    def __sub__(self, other: Totals) -> Totals:
        return Totals(self.index - other.index, self.points - other.points, self.awarded - other.awarded,
                      self.deducted - other.deducted, self.entries - other.entries)


_SUMS = tuple(RUNNING_SUMS.values())  # in ``Totals.of``'s order


def _where(community: str, resident: str | None, until: dt.datetime | None, month: str | None = None,
           kind: str | None = None) -> list[ColumnElement[bool]]:
    where = [LedgerEntry.community == community]
    if resident is not None:
        where.append(LedgerEntry.resident == resident)
    if until is not None:
        where.append(LedgerEntry.occurred_at < until)
    if month is not None:
        where.append(LedgerEntry.month == month)
    if kind is not None:
        where.append(LedgerEntry.kind == kind)
    return where


def resident_totals(session: Session, community: str, resident: str, *, until: dt.datetime | None = None) -> Totals:
    """One resident's sums."""
    return Totals.of(session.execute(select(*_SUMS).where(*_where(community, resident, until))).one())


def totals_by_resident(session: Session, community: str, *, until: dt.datetime | None = None,
                       residents: Sequence[str] | None = None) -> dict[str, Totals]:
    """Every resident's sums, or those of ``residents`` (one with no entry is absent).

    They start from the running sums kept as entries are appended (``account_totals``: one row
    per resident, however long the ledger). With ``until`` the entries on the shorter side of
    it are summed from the ledger, by month: those before it, or those after it taken away
    from the running sums. A standing as of last month reads a month of entries, not all.
    """
    if residents is not None:
        return {resident: sums for resident in residents
                if (sums := resident_totals(session, community, resident, until=until)).entries}
    kept = {r[0]: Totals.of(r[1:]) for r in session.execute(
        select(AccountTotal.resident, AccountTotal.index_total, AccountTotal.points_total, AccountTotal.awarded,
               AccountTotal.deducted, AccountTotal.entries).where(AccountTotal.community == community))}
    if until is None:
        return kept
    boundary = month_of(until)
    per_month = session.execute(select(MonthTotal.month, func.sum(MonthTotal.entries)).where(
        MonthTotal.community == community).group_by(MonthTotal.month)).all()
    before = sum(int(n) for month, n in per_month if month < boundary)
    if before <= sum(int(n) for _, n in per_month) - before:
        rows = session.execute(select(LedgerEntry.resident, *_SUMS).where(
            *_where(community, None, until), LedgerEntry.month <= boundary).group_by(LedgerEntry.resident))
        return {r[0]: Totals.of(r[1:]) for r in rows}
    later = {r[0]: Totals.of(r[1:]) for r in session.execute(
        select(LedgerEntry.resident, *_SUMS).where(LedgerEntry.community == community, LedgerEntry.month >= boundary,
                                                   LedgerEntry.occurred_at >= until).group_by(LedgerEntry.resident))}
    totals = {resident: sums - later.get(resident, Totals()) for resident, sums in kept.items()}
    return {resident: sums for resident, sums in totals.items() if sums.entries}


def totals_by_category(session: Session, community: str, *, resident: str | None = None,
                       until: dt.datetime | None = None, month: str | None = None,
                       kind: str | None = None) -> dict[str | None, Totals]:
    """Sums per category (``None``: entries of no category), of one resident or the whole community.

    ``month`` (``2021-05``, Asia/Shanghai) and ``kind`` (e.g. ``award``) narrow the entries summed.
    """
    rows = session.execute(select(LedgerEntry.category, *_SUMS).where(*_where(community, resident, until, month,
                                                                             kind))
                           .group_by(LedgerEntry.category)).all()
    return {r[0]: Totals.of(r[1:]) for r in rows}


def community_months(session: Session, community: str, *,
                     day: dt.date | None = None) -> dict[tuple[str, str | None], Totals]:
    """The whole community's sums per (month, category) up to the end of ``day`` (``None``: every entry).

    Months before ``day``'s come from the running sums kept at commit (``month_totals``); only
    the entries of ``day``'s own month are summed from the ledger, so the cost follows a
    month's entries, not the whole ledger's.
    """
    kept = select(MonthTotal.month, MonthTotal.category, MonthTotal.index_total, MonthTotal.points_total,
                  MonthTotal.awarded, MonthTotal.deducted, MonthTotal.entries).where(MonthTotal.community == community)
    if day is None:
        rows = list(session.execute(kept))
    else:
        month = day.strftime("%Y-%m")
        rows = list(session.execute(kept.where(MonthTotal.month < month)))
        rows += session.execute(select(LedgerEntry.month, LedgerEntry.category, *_SUMS).where(
            *_where(community, None, end_of(day), month)).group_by(LedgerEntry.month, LedgerEntry.category)).all()
    return {(r[0], r[1] or None): Totals.of(r[2:]) for r in rows}


def facts_counted(session: Session, community: str, *, day: dt.date | None = None) -> int:
    """How many facts the community stored that happened up to the end of ``day`` (``None``: all), as above."""
    kept = select(func.coalesce(func.sum(MonthFacts.facts), 0)).where(MonthFacts.community == community)
    if day is None:
        return int(session.scalar(kept) or 0)
    counted = session.scalar(kept.where(MonthFacts.month < day.strftime("%Y-%m"))) or 0
    return int(counted) + (session.scalar(select(func.count()).select_from(FactRow).where(
        FactRow.community == community, FactRow.occurred_at >= start_of_month(day),
        FactRow.occurred_at < end_of(day))) or 0)


GRANTED = ("award", "deduction", "restatement")  # what scoring granted: an award, as restated since


@dataclass(frozen=True)
class _Reads:
    """What a holder's history reads from the ledger under some versions: limits, repeat counts, their spans."""

    limits: frozenset[LimitRef]
    counted: frozenset[tuple[str, str]]
    spans: tuple[LimitRef | RepeatRef, ...]
    keep_days: int

    @classmethod
    def of(cls, versions: Collection[CompiledRuleset]) -> _Reads:
        rules = [rule for compiled in versions for rule in compiled.rules.values()]
        limits = frozenset(limit for rule in rules for limit in (*rule.limits, *rule.deduction_limits))
        return cls(limits, frozenset().union(*(compiled.counted for compiled in versions)),
                   (*limits, *(rule.repeat for rule in rules if rule.repeat is not None)),
                   max(compiled.lookback_days for compiled in versions))


def scoring_history(session: Session, community: str,
                    spans: Mapping[str, tuple[Collection[CompiledRuleset], dt.datetime, dt.datetime]], *,
                    before: Mapping[str, tuple[dt.datetime, str]] | None = None,
                    since: Mapping[str, tuple[History, tuple[dt.datetime, str]]] | None = None) -> dict[str, History]:
    """What the ledger says of each account holder's limits and repeats: the room used, the earlier occurrences.

    ``spans`` gives per holder the versions that score it and its first and last moment scored.
    What counts is the engine's rule (``History.record``), applied to each fact's amount under
    each rule as restated since (``GRANTED`` summed), for every limit and repeat of those
    versions, not only the facts' own rules': the history stays true for whatever the holder
    does next (``xinzhi.scoring.histories`` keeps it between batches). One query reads every
    holder's spans; for a holder in ``before``, only the facts that sort before its key (the
    rest are being scored again). A holder in ``since`` has a history kept from an earlier
    batch (``xinzhi.scoring.histories``): only the facts sorting after its key are recorded,
    into that history, bringing it up to date with what another process scored since.
    """
    since = since or {}
    histories: dict[str, History] = {}
    limits: dict[str, frozenset[LimitRef]] = {}
    counted: dict[str, frozenset[tuple[str, str]]] = {}
    windows: dict[str, tuple[dt.datetime, dt.datetime]] = {}
    read: dict[tuple[str, ...], _Reads] = {}  # holders scored by the same versions read the same limits and spans
    edges: dict[tuple[tuple[str, ...], dt.date, dt.date], tuple[dt.datetime, dt.datetime]] = {}  # spans' by days
    for holder, (versions, first, last) in spans.items():
        names = tuple(compiled.name for compiled in versions)
        if names not in read:
            read[names] = _Reads.of(versions)
        reads = read[names]
        limits[holder], counted[holder] = reads.limits, reads.counted
        histories[holder] = since[holder][0] if holder in since else History(keep_days=reads.keep_days)
        if reads.spans:
            days = names, first.astimezone(SHANGHAI).date(), last.astimezone(SHANGHAI).date()  # a span's edges
            if days not in edges:
                edges[days] = (min(span.window(first)[0] for span in reads.spans),
                               max(span.window(last)[1] for span in reads.spans))
            start, end = edges[days]
            windows[holder] = max(start, since[holder][1][0]) if holder in since else start, end
    if not windows:
        return histories
    cutoffs = before or {}
    granted: dict[tuple[str, str | None, str | None], list[Any]] = {}  # (holder, fact, rule) → [category, when, sums]
    for resident, rule_id, category, occurred_at, fact_id, amount, raw_amount, member in session.execute(each_from(
            session, (LedgerEntry.resident, LedgerEntry.rule_id, LedgerEntry.category, LedgerEntry.occurred_at,
                      LedgerEntry.fact_id, LedgerEntry.amount, LedgerEntry.raw_amount, LedgerEntry.member),
            LedgerEntry, community, {holder: start for holder, (start, _) in windows.items()},
            LedgerEntry.occurred_at < max(end for _, end in windows.values()), LedgerEntry.kind.in_(GRANTED),
            LedgerEntry.fact_id.is_not(None))):  # a period rule's award takes no limit's room, as in the engine
        start, end = windows[resident]
        cutoff = cutoffs.get(resident)
        if not start <= occurred_at < end or cutoff is not None and (occurred_at, fact_id) >= cutoff or \
                resident in since and (occurred_at, fact_id) <= since[resident][1]:
            continue
        sums = granted.setdefault((resident, fact_id, rule_id), [category, occurred_at, 0, 0, None])
        sums[2] += amount
        sums[3] += raw_amount
        sums[4] = sums[4] or member  # a restatement names the member as its award does
    for (resident, fact_id, rule_id), (category, occurred_at, amount, raw_amount, member) in granted.items():
        histories[resident].record(resident, limits=limits[resident], counted=counted[resident], rule_id=rule_id,
                                   category=category, moment=occurred_at, fact_id=fact_id, amount=amount,
                                   raw_amount=raw_amount, member=member)
    return histories


def lowest_points_from(session: Session, community: str, resident: str, moment: dt.datetime) -> Decimal:
    """The fewest points the resident holds at any time from ``moment`` on: what may be spent at ``moment``.

    Spending then lowers every later balance, so each must cover it (the resident's own
    entries since ``moment``: a few, unless it lies far back).
    """
    points = lowest = resident_totals(session, community, resident, until=moment).points
    for delta in session.scalars(select(LedgerEntry.points_delta).where(
            LedgerEntry.community == community, LedgerEntry.resident == resident, LedgerEntry.occurred_at >= moment)
            .order_by(LedgerEntry.occurred_at, LedgerEntry.seq)):
        points += delta
        lowest = min(lowest, points)
    return lowest


def account_span(session: Session, community: str, resident: str) -> tuple[dt.datetime | None, dt.datetime | None]:
    """When the resident's first entry happened, and their points' last expiry (``None``: none yet)."""
    first, expired = session.execute(select(
        func.min(LedgerEntry.occurred_at),
        func.max(case((LedgerEntry.kind == "expiry", LedgerEntry.occurred_at)))).where(
        LedgerEntry.community == community, LedgerEntry.resident == resident)).one()
    return first, expired


@dataclass(frozen=True)
class Standing:
    """The score shown (starting index plus the ledger's changes, unless a veto sets it), its tier, the flags."""

    index: Decimal
    tier: str | None
    tier_title: str | None
    flags: tuple[str, ...] = ()
    capped_by: str | None = None  # the veto that set the score or capped the tier, in words


def standing(ruleset: Ruleset | None, index_change: Decimal, vetoes: Sequence[ActiveVeto] = ()) -> Standing:
    """The standing a ruleset gives to an index change, under the vetoes in force (``vetoes_by_resident``)."""
    start = ruleset.accounts.starting_index if ruleset and ruleset.accounts else Decimal(0)
    if ruleset is None:
        return Standing(start + index_change, None, None, tuple(flags(vetoes)))
    seen = shown(ruleset, start + index_change, vetoes)
    tier = seen.tier
    return Standing(seen.index, tier.id if tier else None, tier.title if tier else None, seen.flags, seen.capped_by)


def vetoes_by_resident(session: Session, community: str, ruleset: Ruleset | None, until: dt.datetime, *,
                       resident: str | None = None) -> dict[str, list[ActiveVeto]]:
    """The vetoes in force just before ``until`` (一票否决), per resident (of one, if given), by the ruleset's rules.

    Reads only the awards of the rules that set or lift a veto, over the longest span one lasts.
    An award the committee reversed (an appeal, an upheld objection) neither vetoes nor lifts
    from the reversal on: a veto's award is often 0, so what undid it is the reversal, not the sum.
    """
    read = rules_read(ruleset) if ruleset else frozenset()
    if ruleset is None or not read:
        return {}
    longest = max((366 if v.until_end_of else 31 * (v.months or 0)) for r in ruleset.rules if (v := r.veto)) \
        if any(r.veto for r in ruleset.rules) else 0
    where = [LedgerEntry.community == community, LedgerEntry.rule_id.in_(sorted(read)),
             LedgerEntry.kind.in_(GRANTED), LedgerEntry.occurred_at < until,
             LedgerEntry.occurred_at >= until - dt.timedelta(days=longest + 1)]
    if resident is not None:
        where.append(LedgerEntry.resident == resident)
    undone = _reversed_awards(session, community, read, resident, until)
    applied: dict[str, list[tuple[str, str | None, dt.datetime]]] = defaultdict(list)
    for (who, fact_id, rule_id), occurred_at in standing_awards(session.execute(select(
            LedgerEntry.resident, LedgerEntry.fact_id, LedgerEntry.rule_id, LedgerEntry.occurred_at, LedgerEntry.seq,
            LedgerEntry.kind, LedgerEntry.explanation).where(*where))).items():
        if (fact_id, rule_id) not in undone:
            applied[who].append((rule_id or "", fact_id, occurred_at))  # rule_id is one of ``read``
    moment = until - dt.timedelta(microseconds=1)
    found = {who: active_vetoes(ruleset, items, moment) for who, items in applied.items()}
    return {who: vetoes for who, vetoes in found.items() if vetoes}


def carrying_awards(session: Session, community: str, ruleset: Ruleset, until: dt.datetime, *,
                    residents: Sequence[str] | None = None) -> dict[str, list[Moved]]:
    """The awards a reset reads to carry deductions over (未整改的带入), per resident, as they stood before ``until``.

    They are the awards of the rules that carry over and of those that lift them: a
    deduction moved what its entries before ``until`` sum to (restated, corrected on
    appeal); an award counts while it stands and no reversal before ``until`` undid it.
    """
    read = carrying_rules(ruleset)
    if not read:
        return {}
    rows = session.execute(select(
        LedgerEntry.resident, LedgerEntry.fact_id, LedgerEntry.rule_id, LedgerEntry.occurred_at, LedgerEntry.seq,
        LedgerEntry.kind, LedgerEntry.explanation, LedgerEntry.index_delta, LedgerEntry.points_delta).where(
        LedgerEntry.community == community, LedgerEntry.rule_id.in_(sorted(read)), LedgerEntry.fact_id.is_not(None),
        LedgerEntry.kind.in_((*GRANTED, "adjustment")), LedgerEntry.occurred_at < until,
        *([LedgerEntry.resident.in_(residents)] if residents is not None else []))).all()
    moved: dict[tuple[str, str | None, str | None], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for row in rows:
        sums = moved[(row.resident, row.fact_id, row.rule_id)]
        sums[0] += row.index_delta
        sums[1] += row.points_delta
    undone = _reversed_awards(session, community, read, None, until)
    found: dict[str, list[Moved]] = defaultdict(list)
    for (resident, fact_id, rule_id), when in standing_awards(r for r in rows if r.kind in GRANTED).items():
        if (fact_id, rule_id) not in undone:
            index, points = moved[(resident, fact_id, rule_id)]
            found[resident].append(Moved(resident, rule_id or "", fact_id, when, index, points))
    return found


def reset_sums(session: Session, community: str, account: str, moment: dt.datetime, *,
               residents: Sequence[str] | None = None) -> dict[str, Decimal]:
    """What the resets of ``account`` at ``moment`` (a period's last second) moved so far, per resident."""
    return {resident: Decimal(amount) for resident, amount in session.execute(
        select(LedgerEntry.resident, func.sum(LedgerEntry.amount)).where(
            LedgerEntry.community == community, LedgerEntry.kind == "reset", LedgerEntry.accounts == account,
            LedgerEntry.occurred_at == moment,
            *([LedgerEntry.resident.in_(residents)] if residents is not None else [])).group_by(LedgerEntry.resident))}


def reset_totals(session: Session, community: str, since: dt.datetime) -> list[tuple[str, str, dt.datetime, Decimal]]:
    """Every reset from ``since`` on: (holder, account, moment, what its entries moved)."""
    return [(resident, account, moment, Decimal(amount)) for resident, account, moment, amount in session.execute(
        select(LedgerEntry.resident, LedgerEntry.accounts, LedgerEntry.occurred_at, func.sum(LedgerEntry.amount))
        .where(LedgerEntry.community == community, LedgerEntry.kind == "reset", LedgerEntry.occurred_at >= since)
        .group_by(LedgerEntry.resident, LedgerEntry.accounts, LedgerEntry.occurred_at))]


def latest_reset(session: Session, community: str, resident: str) -> dt.datetime | None:
    """Where a holder's resets may be out of date from: its latest reset, else its first entry (None: no entries)."""
    reset, first = session.execute(select(
        func.max(case((LedgerEntry.kind == "reset", LedgerEntry.occurred_at))), func.min(LedgerEntry.occurred_at))
        .where(LedgerEntry.community == community, LedgerEntry.resident == resident)).one()
    return reset or first


def standing_awards(entries: Iterable[Any]) -> dict[tuple[str, str | None, str | None], dt.datetime]:
    """The awards that stand, by (resident, fact, rule), with their moment, from their granted entries.

    Entries are rows of resident, fact_id, rule_id, occurred_at, seq, kind and explanation.
    An award stands unless its latest entry is a restatement to nothing (a late fact made
    the rule stop matching): for a veto, whose award is often 0, the sum cannot say so.
    """
    latest: dict[tuple[str, str | None, str | None], tuple[int, bool, dt.datetime]] = {}
    for entry in entries:
        key = (entry.resident, entry.fact_id, entry.rule_id)
        if key not in latest or entry.seq > latest[key][0]:
            withdrawn = entry.kind == "restatement" and entry.explanation.get("after") is None
            latest[key] = (entry.seq, not withdrawn, entry.occurred_at)
    return {key: when for key, (_, stands, when) in latest.items() if stands}


def _reversed_awards(session: Session, community: str, rules: frozenset[str], resident: str | None,
                     until: dt.datetime) -> set[tuple[str | None, str | None]]:
    """The (fact, rule) awards of ``rules`` that reversals before ``until`` undid and none reinstated.

    A reversal counts from its own moment, as its change of the index does; it can itself
    be reversed (an appeal on the correction), so a chain of reversals that starts at an
    award undoes it when an odd number of them happened before ``until``.
    """
    target, reversal = aliased(LedgerEntry), aliased(LedgerEntry)
    where = [Appeal.community == community, Appeal.action == "reverse", target.rule_id.in_(sorted(rules)),
             reversal.occurred_at < until]
    if resident is not None:
        where.append(Appeal.resident == resident)
    rows = session.execute(
        select(Appeal.target_seq, Appeal.ledger_seq, target.fact_id, target.rule_id)
        .join(target, (target.community == Appeal.community) & (target.seq == Appeal.target_seq))
        .join(reversal, (reversal.community == Appeal.community) & (reversal.seq == Appeal.ledger_seq))
        .where(*where)).all()
    by_target = {row.target_seq: row.ledger_seq for row in rows}
    reversals = set(by_target.values())
    undone = set()
    for row in rows:
        if row.target_seq in reversals:  # reverses a reversal: counted in the chain of the award it started from
            continue
        depth, seq = 1, row.ledger_seq
        while seq in by_target:
            depth, seq = depth + 1, by_target[seq]
        if depth % 2:
            undone.add((row.fact_id, row.rule_id))
    return undone
