"""一票否决: what a resident's vetoes do to the score, the tier and the flags at a moment, and why.

A rule with ``veto`` sets the score shown (当年得分记为 0), caps the tier and/or sets a named
flag from its fact's moment until
the end of that fact's calendar period (``until_end_of``) or for ``months``; a later fact
of a rule that ``lifts`` it ends it sooner. The engine's balances and the store's
standings (score, summary, board, reports, shop tier gates) read them here, through
``shown``: the one statement of what a resident's index shows under its vetoes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from .accounting import add_months, period_window, tier_for
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
    score_to: Decimal | None = None

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
        active.append(ActiveVeto(rule_id, rule.title, fact_id, when, until, rule.veto.tier_at_most, rule.veto.flag,
                                 rule.veto.score_to))
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


@dataclass(frozen=True, slots=True)
class Shown:
    """What a resident's index shows under the vetoes in force: the score, its tier, the flags, and why."""

    index: Decimal
    tier: Tier | None
    flags: tuple[str, ...] = ()
    capped_by: str | None = None  # the veto that set the score or capped the tier, in words


def shown(ruleset: Ruleset, index: Decimal, vetoes: Sequence[ActiveVeto] = ()) -> Shown:
    """The score shown (the lowest a veto sets, else the index), the tier it falls in after every cap, and why."""
    setting = [veto for veto in vetoes if veto.score_to is not None]
    scored_by = min(setting, key=lambda veto: (veto.score_to, veto.since)) if setting else None
    score = scored_by.score_to if scored_by is not None and scored_by.score_to is not None else index
    if not ruleset.tiers:
        return Shown(score, None, tuple(flags(vetoes)), scored_by.reason() if scored_by else None)
    tier, bound = capped_tier(ruleset, tier_for(score, ruleset.tiers), vetoes)
    why = bound or scored_by
    return Shown(score, tier, tuple(flags(vetoes)), why.reason() if why else None)
