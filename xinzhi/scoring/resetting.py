"""年度清零 in the store: the closing job sets accounts back at the ends of periods (``engine.resets``).

Each reset is decided from the ledger as it now stands — the balance before the period's
end, and the deductions still carried — by the engine's own rule, so a dry-run, an
embedded test and the store agree. A reset already written that no longer fits (an entry
of its period arrived late) gets another ``reset`` entry for the difference: a reset's
entries sum to the movement it makes. Ends are decided in time order, each seeing the
entries the run decided before it, and nothing is written here: the caller locks the
residents once and appends every row of the run.

Between closings, scoring a late fact and redeeming points settle the resets of the accounts
they touch in their own transaction (``settle_resets``), as expiry is settled: a reset due
since a period ended, or changed by the late fact, is never a balance someone can spend.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from sqlalchemy.orm import Session

from xinzhi.clock import today
from xinzhi.engine import SHANGHAI, CompiledRuleset
from xinzhi.engine.resets import decide, reset_events
from xinzhi.ledger.balances import (
    Totals,
    carrying_awards,
    latest_reset,
    reset_sums,
    reset_totals,
    totals_by_resident,
)
from xinzhi.ledger.entries import Row, reset_row, reset_withdrawal_row
from xinzhi.registry.service import published_spans
from xinzhi.service import Service


def settle_resets(service: Service, session: Session, community: str,
                  since: dict[str, dt.datetime | None]) -> list[Row]:
    """Bring these account holders' resets up to date before anything is spent or after late facts, as expiry is.

    From the earliest holder's moment (a late fact's), or, with None, from the holder's latest
    reset (a redemption: the periods ended since may not be closed yet): a reset that is due is
    written, one a late fact changed is brought up to date. The caller holds the holders' locks.
    """
    as_of = today()
    spans = [(compiled, until) for compiled, until in published_spans(service, session, community, as_of)
             if compiled.ruleset.accounts and compiled.ruleset.accounts.resets]
    starts = [moment or latest_reset(session, community, holder) for holder, moment in since.items()] if spans else []
    known = [start for start in starts if start is not None]
    if not known:
        return []
    first = min(known).astimezone(SHANGHAI).date()
    rows: list[Row] = []
    for compiled, until in spans:
        rows += reset_rows(session, community, compiled, sorted(since), max(first, compiled.ruleset.effective_from),
                           until, rows, as_of=as_of)
    return rows


_FEW = 50  # holders whose sums are read one by one, not the community's at once


def withdrawn_resets(session: Session, community: str, spans: list[tuple[CompiledRuleset, dt.date]],
                     since: dt.date, as_of: dt.date) -> list[Row]:
    """The entries that take back resets no version makes any more (a later version, published since, ends there).

    A reset stands where a version in force resets that account at that moment (``reset_rows``
    keeps it up to date); one written at any other period end from ``since`` up to the spans' last
    day is withdrawn. One after it is not this run's to judge: found by attack, a run as of a past
    day took back the resets of every later year, and the next run at today wrote them again.
    """
    made = {(period.last_moment, reset.account) for compiled, until in spans
            for period, reset in reset_events(compiled.ruleset, since, until)}
    start = dt.datetime.combine(since, dt.time(), SHANGHAI)
    horizon = dt.datetime.combine(max((until for _, until in spans), default=since), dt.time(), SHANGHAI)
    return [reset_withdrawal_row(community, resident, account, moment, amount, as_of=as_of)
            for resident, account, moment, amount in reset_totals(session, community, start)
            if amount and moment < horizon and (moment.astimezone(SHANGHAI), account) not in made]


def reset_rows(session: Session, community: str, compiled: CompiledRuleset, residents: list[str], first: dt.date,
               until: dt.date, pending: list[Row], *, as_of: dt.date) -> list[Row]:
    """The entries that bring one version's resets from ``first`` to ``until`` to what the ledger now says.

    ``pending`` are the rows this run will write before them (period awards, earlier resets);
    ``as_of`` is the day the run closes to, as a restated reset says.
    """
    ruleset = compiled.ruleset
    accounts = ruleset.accounts
    assert accounts is not None, "a loaded ruleset has accounts (checks.check_ruleset)"
    rows: list[Row] = []
    for period, reset in reset_events(ruleset, first, until):
        end = dt.datetime.combine(period.end, dt.time(), SHANGHAI)
        column = "index_delta" if reset.account == "index" else "points_delta"
        unwritten: dict[str, Decimal] = defaultdict(Decimal)
        for row in (*pending, *rows):
            if row["occurred_at"] < end:
                unwritten[row["resident"]] += row[column]
        few = residents if len(residents) <= _FEW else None  # a holder's own: by the resident index
        totals = totals_by_resident(session, community, until=end, residents=few)
        made = reset_sums(session, community, reset.account, period.last_moment, residents=few)
        applied = carrying_awards(session, community, ruleset, end, residents=few)
        start = accounts.starting_index if reset.account == "index" else Decimal(0)
        for resident in residents:
            sums = totals.get(resident, Totals())
            was = made.get(resident)
            before = start + (sums.index if reset.account == "index" else sums.points) + unwritten[resident] \
                - (was or 0)
            due = decide(ruleset, reset, period, resident, before, applied.get(resident, ()))
            if due.amount != (was or 0):
                rows.append(reset_row(community, due, was, as_of=as_of))
    return rows
