"""年度清零 in the store: the closing job sets accounts back at the ends of periods (``engine.resets``).

Each reset is decided from the ledger as it now stands — the balance before the period's
end, and the deductions still carried — by the engine's own rule, so a dry-run, an
embedded test and the store agree. A reset already written that no longer fits (an entry
of its period arrived late) gets another ``reset`` entry for the difference: a reset's
entries sum to the movement it makes. Ends are decided in time order, each seeing the
entries the run decided before it, and nothing is written here: the caller locks the
residents once and appends every row of the run.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from sqlalchemy.orm import Session

from xinzhi.engine import SHANGHAI, CompiledRuleset
from xinzhi.engine.resets import decide, reset_events
from xinzhi.ledger.balances import Totals, carrying_awards, reset_sums, totals_by_resident
from xinzhi.ledger.entries import Row, reset_row


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
        totals = totals_by_resident(session, community, until=end)
        made = reset_sums(session, community, reset.account, period.last_moment)
        applied = carrying_awards(session, community, ruleset, end)
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
