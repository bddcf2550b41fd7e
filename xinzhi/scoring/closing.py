"""Closing periods: period rules (连续 12 个月无违规加 10 分) pay when a period has ended.

Meant to run daily (``xinzhi close-periods``, or ``POST …/jobs/close-periods`` by the
committee). For every published version's period rules, each period that ended by
``as_of`` and began on or after ``since`` (a year back by default) is decided from the
ledger — the awards of the residents' facts, as restated — by the engine's own rule
(``engine.period_awards``), so a dry-run, an embedded test and the store agree. What is
due and not yet written is written, dated at the period's last second; what was paid and
is no longer due (a fact of the period arrived late) is restated; run again, it writes
nothing. Then each account a version resets (年度清零) is set back at the ends of its periods
(``resetting``), after the period awards. Two runs of one community never overlap
(``lock_closing``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from xinzhi.clock import today
from xinzhi.communities.service import account_holders, held_by, moved_in_days, require_community
from xinzhi.db.tables import LedgerEntry
from xinzhi.engine import (
    SHANGHAI,
    CompiledRuleset,
    ErrorCode,
    Granted,
    Problem,
    lookback_start,
    period_awards,
    period_key,
    period_window,
)
from xinzhi.engine.periods import closings
from xinzhi.engine.resets import reset_events
from xinzhi.errors import ServiceCode, ServiceError
from xinzhi.ledger.balances import GRANTED
from xinzhi.ledger.entries import Row, append_all, award_row, restatement_row
from xinzhi.messages import Message
from xinzhi.registry.service import published_spans
from xinzhi.scoring.resetting import reset_rows, withdrawn_resets
from xinzhi.service import Service

log = logging.getLogger("xinzhi.scoring")

_SUMMED = ("amount", "raw_amount", "index_delta", "points_delta")

#: At most this many (resident, period) decisions when the caller picks ``since`` (about half
#: a minute here, under the closing lock): ``since=2000-01-01`` on a daily rule is a quarter
#: of a million decisions per hundred residents. The default year back is never refused.
MAX_CHOSEN_CLOSINGS = 5_000_000
#: What one reset's period end costs on top of its decisions, counted as decisions: a few queries
#: over the community's ledger (found by attack: daily resets since 2000 for one resident took 43 s).
_PER_RESET_END = 1_000


class ClosingRun(BaseModel):
    """What one run of the closing job wrote: period awards due, restatements of ones that changed, resets."""

    community: str
    as_of: dt.date
    since: dt.date
    awards_written: int
    restated: int
    resets_written: int = 0  # accounts set back at a period's end (年度清零), or resets brought up to date


def close_periods(service: Service, community: str, as_of: dt.date, since: dt.date | None = None) -> ClosingRun:
    """Pay every period rule for the periods from ``since`` that ended by ``as_of``; write only what differs.

    ``as_of`` is today at the latest: a period that has not ended yet has no record to decide
    it by, and paying it now (无违规, as a month with no facts is) would be paying the future.
    """
    if as_of > today():
        raise ServiceError.at(ServiceCode.AS_OF_IN_FUTURE, "as_of", "as_of_after_today", as_of=as_of, today=today())
    if since is not None and since > as_of:
        raise ServiceError(ServiceCode.REQUEST_INVALID, Message.of("closes_nothing", since=since, as_of=as_of),
                           [Problem(code=ServiceCode.REQUEST_INVALID, path="since", says="since_after_as_of",
                                    params={"since": str(since), "as_of": str(as_of)},
                                    message=f"{since} is after as_of {as_of}: no period lies between")])
    chosen, since = since is not None, since or as_of - dt.timedelta(days=366)
    written = restated = 0
    with service.db.writing() as session:
        require_community(session, community)
        service.db.lock_closing(session, community)
        spans = published_spans(service, session, community, as_of)
        kinds = {held_by(c) for c, _ in spans}
        holders = {kind: account_holders(session, community, kind) for kind in kinds}
        moved_in = {kind: moved_in_days(session, community, kind) for kind in kinds}
        cost = sum(closings(c.ruleset, len(holders[held_by(c)]), max(since, c.ruleset.effective_from), until)
                   + len(reset_events(c.ruleset, since, until)) * _PER_RESET_END for c, until in spans)
        if chosen and cost > MAX_CHOSEN_CLOSINGS:
            raise ServiceError(ServiceCode.REQUEST_INVALID,
                               Message.of("closing_too_many", since=since, cost=cost, most=MAX_CHOSEN_CLOSINGS),
                               [Problem(code=ErrorCode.CLOSING_TOO_LARGE, path="since", message=(
                                   f"closing from {since} for {max(map(len, holders.values()), default=0)} "
                                   f"account(s) decides about {cost:,} periods, more than "
                                   f"{MAX_CHOSEN_CLOSINGS:,}: choose a later day"), says="closing_from_too_large",
                                   params={"since": str(since), "cost": f"{cost:,}",
                                           "most": f"{MAX_CHOSEN_CLOSINGS:,}"})])
        rows: list[Row] = []
        for compiled, until in spans:
            rows += _due(session, community, compiled, holders[held_by(compiled)],
                         max(since, compiled.ruleset.effective_from), until, as_of, moved_in[held_by(compiled)])
        for compiled, until in spans:
            rows += reset_rows(session, community, compiled, holders[held_by(compiled)], since, until, rows,
                               as_of=as_of)
        rows += withdrawn_resets(session, community, spans, since, as_of)
        service.db.lock_residents(session, community, sorted({row["resident"] for row in rows}))
        append_all(session, rows)
        resets = sum(row["kind"] == "reset" for row in rows)
        restated = sum(row["kind"] == "restatement" for row in rows)
        written = len(rows) - resets - restated
    log.info("closed the periods of %s up to %s: %d period award(s), %d restated, %d reset(s)", community, as_of,
             written, restated, resets)
    return ClosingRun(community=community, as_of=as_of, since=since, awards_written=written, restated=restated,
                      resets_written=resets)


def _due(session: Session, community: str, compiled: CompiledRuleset, residents: list[str], first: dt.date,
         until: dt.date, as_of: dt.date, moved_in: dict[str, dt.date]) -> list[Row]:
    """The entries that bring one version's period awards from ``first`` to ``until`` to what the ledger says.

    An account pays for no period that began before it moved in (``moved_in``): what a period
    rule once paid for one, before its day was registered, is restated to nothing.
    """
    rules = {rule.id: rule for rule in compiled.ruleset.period_rules if rule.enabled}
    if not rules or first >= until:
        return []
    last = until if compiled.ruleset.effective_to is None else \
        min(until, compiled.ruleset.effective_to + dt.timedelta(days=1))
    start = _moment(min(lookback_start(rule, first) for rule in rules.values()))
    begin, end = _moment(first), _moment(last)
    granted: dict[tuple, list] = {}  # (resident, fact, rule) → [category, when, amount, raw]: awards of facts
    paid: dict[tuple[str, str, dt.datetime], Row] = {}  # (resident, period rule, when) → its entries' sums
    for entry in session.execute(select(
            LedgerEntry.resident, LedgerEntry.fact_id, LedgerEntry.rule_id, LedgerEntry.category,
            LedgerEntry.occurred_at, LedgerEntry.accounts, LedgerEntry.ruleset, LedgerEntry.amount,
            LedgerEntry.raw_amount, LedgerEntry.index_delta, LedgerEntry.points_delta).where(
            LedgerEntry.community == community, LedgerEntry.occurred_at >= start, LedgerEntry.occurred_at < end,
            LedgerEntry.kind.in_(GRANTED))):
        if entry.fact_id is not None:
            sums = granted.setdefault((entry.resident, entry.fact_id, entry.rule_id),
                                      [entry.category, entry.occurred_at, 0, 0])
            sums[2] += entry.amount
            sums[3] += entry.raw_amount
        elif entry.rule_id in rules:
            held = paid.setdefault((entry.resident, entry.rule_id, entry.occurred_at), {
                "community": community, "resident": entry.resident, "fact_id": None, "rule_id": entry.rule_id,
                "category": entry.category, "ruleset": entry.ruleset, "accounts": entry.accounts,
                "occurred_at": entry.occurred_at, **dict.fromkeys(_SUMMED, 0)})
            for column in _SUMMED:
                held[column] += getattr(entry, column)
    # A payment belongs to the periods decided here when its period began on or after ``first``
    # (as ``periods_between`` counts them); one whose period began before, though it ended after
    # ``first`` (a ``since`` inside a month), is only read, never restated.
    decided = {key for key in paid if period_window(rules[key[1]].period, key[2])[0] >= begin}
    paid_before: dict[tuple[str, str], set[str]] = defaultdict(set)
    for (resident, rule_id, when), held in paid.items():
        if (resident, rule_id, when) not in decided and held["amount"]:
            paid_before[(resident, rule_id)].add(period_key(rules[rule_id].period, when))
    awards = period_awards(compiled, [Granted(resident, category, when, amount, raw)
                                      for (resident, _, _), (category, when, amount, raw) in granted.items()],
                           residents, first, last, paid_before, moved_in=moved_in)
    due = {(a.resident, a.rule_id, a.occurred_at): a for a in awards}
    rows = []
    for resident, rule_id, when in sorted(due.keys() | decided):
        award, was = due.get((resident, rule_id, when)), paid.get((resident, rule_id, when))
        if was is None:
            assert award is not None
            rows.append(award_row(community, award, None))
        elif (award.amount if award else 0) != was["amount"]:  # the explained row only where one is written
            period = period_key(rules[rule_id].period, when)
            now = award_row(community, award, None) if award else None
            rows.append(restatement_row(was, now, rule_title=rules[rule_id].title,
                                        reason=f"{as_of} 重新结算 {period}（期内的记录有变动）",
                                        because={"closing": as_of.isoformat(), "period": period}))
    return rows


def _moment(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), SHANGHAI)

