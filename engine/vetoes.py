"""一票否决: what a resident's vetoes do to the tier and the flags at a moment, and why.

A rule with ``veto`` caps the tier and/or sets a named flag from its fact's moment until
the end of that fact's calendar period (``until_end_of``) or for ``months``; a later fact
of a rule that ``lifts`` it ends it sooner. The engine's balances and the store's
standings (score, summary, board, reports, shop tier gates) read them here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from .accounting import add_months, period_window
from .facts import SHANGHAI
from .ruleset import Ruleset, Tier, Veto


@dataclass(frozen=True, slots=True)
class ActiveVeto:
    """A veto in force: the rule and fact that set it, from when until when, and what it does."""

    rule_id: str
    title: str
    fact_id: str | None
    since: dt.datetime
    until: dt.datetime
    tier_at_most: str | None
    flag: str | None

    def reason(self) -> str:
        """Why, in the words a resident reads: 重大违法（f12，2021-05-03 起至 2021-12-31）."""
        last = (self.until - dt.timedelta(seconds=1)).astimezone(SHANGHAI).date()
        return f"{self.title}（{self.fact_id}，{self.since.astimezone(SHANGHAI).date()} 起至 {last}）"


def veto_end(veto: Veto, moment: dt.datetime) -> dt.datetime:
    """When a veto set at ``moment`` ends by itself (exclusive)."""
    if veto.until_end_of is not None:
        return period_window(veto.until_end_of, moment)[1]
    assert veto.months is not None, "Veto._what_and_how_long: until_end_of or months"
    day = add_months(moment.astimezone(SHANGHAI).date(), veto.months)
    return dt.datetime.combine(day, dt.time(), SHANGHAI)


def rules_read(ruleset: Ruleset) -> frozenset[str]:
    """The rules whose awards vetoes are made of: those that set one and those that lift one."""
    return frozenset(r.id for r in ruleset.rules if r.veto is not None or r.lifts)


def active_vetoes(ruleset: Ruleset, applied: Iterable[tuple[str, str | None, dt.datetime]],
                  moment: dt.datetime) -> list[ActiveVeto]:
    """The vetoes in force at ``moment``, from one resident's awards ``(rule, fact, when)`` of ``rules_read``."""
    rules = {r.id: r for r in ruleset.rules}
    items = sorted(applied, key=lambda item: (item[2], item[1] or ""))
    lifts = [(when, set(rules[rule_id].lifts)) for rule_id, _, when in items
             if rule_id in rules and rules[rule_id].lifts and when <= moment]
    active = []
    for rule_id, fact_id, when in items:
        rule = rules.get(rule_id)
        if rule is None or rule.veto is None or when > moment:
            continue
        until = veto_end(rule.veto, when)
        if until <= moment or any(rule_id in lifted and at > when for at, lifted in lifts):
            continue
        active.append(ActiveVeto(rule_id, rule.title, fact_id, when, until, rule.veto.tier_at_most, rule.veto.flag))
    return active


def tier_rank(ruleset: Ruleset, tier_id: str) -> int:
    """A tier's place from the best (0), by where its index range starts."""
    ranked = sorted(ruleset.tiers or [], key=lambda t: -t.index_from if t.index_from is not None else 1 << 62)
    return next(position for position, t in enumerate(ranked) if t.id == tier_id)


def capped_tier(ruleset: Ruleset, tier: Tier, vetoes: Iterable[ActiveVeto]) -> tuple[Tier, ActiveVeto | None]:
    """The tier after every cap (the worst of the tier and the caps), and the veto that bound, if any."""
    by_id = {t.id: t for t in ruleset.tiers or []}
    result, bound = tier, None
    for veto in vetoes:
        if veto.tier_at_most is not None and tier_rank(ruleset, veto.tier_at_most) > tier_rank(ruleset, result.id):
            result, bound = by_id[veto.tier_at_most], veto
    return result, bound


def flags(vetoes: Iterable[ActiveVeto]) -> list[str]:
    """The flags set, each once, in name order."""
    return sorted({veto.flag for veto in vetoes if veto.flag})
