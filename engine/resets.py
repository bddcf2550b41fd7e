"""年度清零 / 逐年累计 / 未整改的带入下一年: what an account is set to when a period ends, and why.

``accounts.resets`` sets an account (the index, or the points) back at the end of every
period of a kind: after everything dated in the period (its period rules' awards too),
the account moves by the difference to ``to``. An account not listed carries over.

A deduction of a rule with ``carries_over`` that no later fact of a rule that ``lifts`` it
has ended is carried into the next period: the account starts from ``to`` plus the
deduction. Once lifted it is not carried again (整改后不再带入); what it took in the period
it was carried into stays taken, as every other entry of that period does.

The engine (dry-runs, embedded tests, simulations: ``due``) and the store's closing job
(from the ledger: ``decide``) reach every reset here, so both agree.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .accounting import period_keys, period_window
from .amounts import signed, to_json
from .amounts import text as written
from .facts import SHANGHAI
from .periods import ClosedPeriod
from .ruleset import Account, Reset, Ruleset

ACCOUNT_TITLES = {"index": "诚信指数", "points": "积分"}
_PERIOD_TITLES = {"day": "每日", "week": "每周", "month": "月度", "quarter": "季度", "year": "年度"}


@dataclass(frozen=True, slots=True)
class Carried:
    """An unrectified deduction carried into the next period: its rule, its fact, what it took from the account."""

    rule_id: str
    rule_title: str
    fact_id: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class AccountReset:
    """One resident's account set back at one period's end: from ``before`` to ``to`` plus what is carried."""

    resident: str
    account: Account
    every: str
    period: ClosedPeriod
    ruleset: str
    before: Decimal
    to: Decimal
    carried: tuple[Carried, ...] = ()

    @property
    def after(self) -> Decimal:
        """What the account holds once reset: ``to`` plus the carried deductions."""
        return self.to + sum((c.amount for c in self.carried), Decimal(0))

    @property
    def amount(self) -> Decimal:
        """The movement that makes the reset: after less before."""
        return self.after - self.before

    @property
    def occurred_at(self) -> dt.datetime:
        """The period's last second, as a period rule's award (the reset follows them)."""
        return self.period.last_moment

    def reason(self) -> str:
        """The sentence a resident reads: 年度清零（2021）：诚信指数 137 → 90（重置为 100，带入未整改的扣分 −10：…）."""
        text = f"{_PERIOD_TITLES[self.every]}清零（{self.period.key}）：{ACCOUNT_TITLES[self.account]} " \
               f"{written(self.before)} → {written(self.after)}"
        if self.carried:
            deductions = "，".join(f"{c.rule_title} {signed(c.amount)}（{c.fact_id}）" for c in self.carried)
            text += f"（重置为 {written(self.to)}，带入未整改的扣分：{deductions}）"
        return text

    def as_json(self) -> dict[str, Any]:
        """The reset as JSON-ready values, its sentence included."""
        return {"resident": self.resident, "account": self.account, "period": self.period.key,
                "occurred_at": self.occurred_at.isoformat(), "ruleset": self.ruleset,
                "before": to_json(self.before), "to": to_json(self.to), "after": to_json(self.after),
                "amount": to_json(self.amount), "summary": self.reason(),
                "carried": [{"rule_id": c.rule_id, "rule_title": c.rule_title, "fact_id": c.fact_id,
                             "amount": to_json(c.amount)} for c in self.carried]}


@dataclass(frozen=True, slots=True)
class Moved:
    """An award (of a fact or a period) as resets read it: whose, which rule, when, and what it moved."""

    resident: str
    rule_id: str
    fact_id: str | None
    occurred_at: dt.datetime
    index: Decimal
    points: Decimal

    def of(self, account: Account) -> Decimal:
        """What the award moved in ``account``."""
        return self.index if account == "index" else self.points


def reset_periods(ruleset: Ruleset, reset: Reset, first: dt.date, until: dt.date) -> list[ClosedPeriod]:
    """The periods whose end resets ``reset``'s account: ending after ``first``, by ``until``, in the version's dates.

    A period that began before the standard did still ends under it, and resets then.
    """
    first = max(first, ruleset.effective_from)
    high = until if ruleset.effective_to is None else min(until, ruleset.effective_to + dt.timedelta(days=1))
    found: list[ClosedPeriod] = []
    moment = dt.datetime.combine(first, dt.time(), SHANGHAI)
    while True:
        low, end = period_window(reset.every, moment)
        if end.date() > high:
            return found
        found.append(ClosedPeriod(period_keys(low.date())[reset.every], low.date(), end.date()))
        moment = end


def reset_events(ruleset: Ruleset, first: dt.date, until: dt.date) -> list[tuple[ClosedPeriod, Reset]]:
    """Every reset a version makes from ``first`` to ``until``, in time order (the index before the points)."""
    resets = ruleset.accounts.resets if ruleset.accounts else []
    events = [(period, reset) for reset in resets for period in reset_periods(ruleset, reset, first, until)]
    return sorted(events, key=lambda event: (event[0].end, event[1].account))


def rules_read(ruleset: Ruleset) -> frozenset[str]:
    """The rules whose awards decide what is carried: those that carry over and those that lift them."""
    carrying = {r.id for r in ruleset.rules if r.carries_over}
    return frozenset(carrying | {r.id for r in ruleset.rules if carrying.intersection(r.lifts)})


def carried(ruleset: Ruleset, account: Account, applied: Iterable[Moved], end: dt.datetime) -> tuple[Carried, ...]:
    """The deductions of ``account`` carried over at ``end``: of rules that carry over, before it, not yet lifted.

    ``applied`` holds one resident's awards of ``rules_read`` (a deduction's entries summed).
    """
    rules = {r.id: r for r in ruleset.rules}
    items = sorted((m for m in applied if m.occurred_at < end and m.rule_id in rules),
                   key=lambda m: (m.occurred_at, m.fact_id or ""))
    lifts = [(m.occurred_at, set(rules[m.rule_id].lifts)) for m in items if rules[m.rule_id].lifts]
    return tuple(Carried(m.rule_id, rules[m.rule_id].title, m.fact_id or "", m.of(account)) for m in items
                 if rules[m.rule_id].carries_over and m.of(account) < 0
                 and not any(m.rule_id in lifted and at > m.occurred_at for at, lifted in lifts))


def decide(ruleset: Ruleset, reset: Reset, period: ClosedPeriod, resident: str, before: Decimal,
           applied: Iterable[Moved]) -> AccountReset:
    """The reset of one resident's account at ``period``'s end, given its balance then and its carrying awards."""
    accounts = ruleset.accounts
    assert accounts is not None, "a loaded ruleset has accounts (checks.check_ruleset)"
    end = dt.datetime.combine(period.end, dt.time(), SHANGHAI)
    return AccountReset(resident=resident, account=reset.account, every=reset.every, period=period,
                        ruleset=ruleset.ref, before=before, to=accounts.reset_to(reset),
                        carried=carried(ruleset, reset.account, applied, end))


def due(ruleset: Ruleset, moved: Iterable[Moved], residents: Iterable[str], first: dt.date,
        until: dt.date, *, moving_only: bool = True) -> list[AccountReset]:
    """Every reset that moves something (or every one), for the residents' awards from empty accounts, in time order."""
    events = reset_events(ruleset, first, until)
    if not events:
        return []
    accounts = ruleset.accounts
    assert accounts is not None, "a loaded ruleset has accounts (checks.check_ruleset)"
    by_resident: dict[str, list[Moved]] = defaultdict(list)
    for item in moved:
        by_resident[item.resident].append(item)
    read = rules_read(ruleset)
    found = []
    for resident in sorted(set(residents) | by_resident.keys()):
        mine: Sequence[Moved] = sorted(by_resident.get(resident, ()), key=lambda m: m.occurred_at)
        applied = [m for m in mine if m.rule_id in read]
        balance = {"index": accounts.starting_index, "points": Decimal(0)}
        position = 0
        for period, reset in events:
            end = dt.datetime.combine(period.end, dt.time(), SHANGHAI)
            while position < len(mine) and mine[position].occurred_at < end:
                balance["index"] += mine[position].index
                balance["points"] += mine[position].points
                position += 1
            made = decide(ruleset, reset, period, resident, balance[reset.account], applied)
            balance[reset.account] += made.amount
            if made.amount or not moving_only:
                found.append(made)
    return sorted(found, key=lambda r: (r.period.end, r.resident, r.account))
