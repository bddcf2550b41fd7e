"""Balances summed as awards come: a stream of any length holds a sum per resident, never its awards.

A ``BalanceSheet`` keeps each sum up to date one award at a time, so that ``xinzhi score`` can
score millions of facts and then show each resident's balance, one at a time, without the
awards or all the balances in memory at once; ``balances`` is the same sheet over a list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from decimal import Decimal

from .evaluator import Award, Balance
from .resets import AccountReset
from .ruleset import Ruleset
from .trusted import trusted
from .vetoes import active_vetoes, rules_read, shown

_ZERO = Decimal(0)  # shared by every resident not yet given points: a sum costs nothing until it moves


class BalanceSheet:
    """Each resident's index and points from the starting index, and the awards vetoes are made of."""

    def __init__(self, ruleset: Ruleset) -> None:
        accounts = ruleset.accounts
        assert accounts is not None, "a loaded ruleset has accounts (checks.check_ruleset)"
        self.ruleset = ruleset
        self.start = Decimal(accounts.starting_index)
        self.read = rules_read(ruleset)
        self.totals: dict[str, list[Decimal]] = {}  # resident → [index, points]
        self.applied: dict[str, list[tuple[str, str | None, dt.datetime]]] = {}  # resident → veto rules' awards
        self.last: dt.datetime | None = None  # the latest award or reset: when vetoes are read

    def name(self, resident: str) -> list[Decimal]:
        """Give the resident a balance, awarded or not (every resident a fact names has one)."""
        total = self.totals.get(resident)
        if total is None:
            total = self.totals[resident] = [self.start, _ZERO]
        return total

    def add(self, award: Award) -> None:
        """Count an award into its resident's accounts."""
        total = self.name(award.resident)
        if "index" in award.accounts:
            total[0] += award.amount
        if "points" in award.accounts:
            total[1] += award.amount
        if award.rule_id in self.read:
            self.applied.setdefault(award.resident, []).append((award.rule_id, award.fact_id, award.occurred_at))
        self.last = award.occurred_at if self.last is None else max(self.last, award.occurred_at)

    def reset(self, reset: AccountReset) -> None:
        """Count a reset (年度清零) into its resident's account."""
        self.name(reset.resident)[0 if reset.account == "index" else 1] += reset.amount
        self.last = reset.occurred_at if self.last is None else max(self.last, reset.occurred_at)

    def balances(self) -> Iterator[Balance]:
        """Every resident's balance by resident, made as it is read, under the vetoes in force after the last award."""
        for resident in sorted(self.totals):
            index, points = self.totals[resident]
            applied = self.applied.get(resident)
            vetoes = active_vetoes(self.ruleset, applied, self.last) if self.last and applied else []
            seen = shown(self.ruleset, index, vetoes)
            assert seen.tier is not None, "a loaded ruleset has tiers (checks.check_ruleset)"
            # sums of checked amounts (a city's what-if makes millions): not checked again
            yield trusted(Balance, resident=resident, index=seen.index, points=points, tier=seen.tier.id,
                          tier_title=seen.tier.title, flags=list(seen.flags), capped_by=seen.capped_by)


def balances(ruleset: Ruleset, awards: Iterable[Award], residents: Iterable[str] = (),
             resets: Iterable[AccountReset] = ()) -> dict[str, Balance]:
    """Index, points and tier per resident from their awards and resets (and the starting index), after the last.

    The index shown and its tier respect the vetoes in force then (``engine.vetoes.shown``), and say why.
    """
    sheet = BalanceSheet(ruleset)
    for resident in residents:
        sheet.name(resident)
    for award in awards:
        sheet.add(award)
    for reset in resets:
        sheet.reset(reset)
    return {balance.resident: balance for balance in sheet.balances()}
