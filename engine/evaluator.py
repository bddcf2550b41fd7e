"""Evaluating facts: durable-rules decides which rules match, plain Python does the sums.

Order is fixed so results never depend on input order or process: facts by
(occurred_at, id), then rules in the order the ruleset lists them. Limits are applied
in that order, so the earlier fact of a period gets the room first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Any

from pydantic import BaseModel, TypeAdapter

from . import conditions
from ._matcher import MATCHER, RuleMatcher
from .accounting import expiry_date, period_key
from .amounts import Amount, exact, round_down, signed
from .amounts import text as written
from .compiler import CompiledRule, CompiledRuleset
from .errors import ErrorCode, FactError, Problem
from .facts import SHANGHAI, Fact
from .history import History, apply_limits
from .patterns import AFTER, NOT_AFTER
from .periods import MAX_CLOSINGS, Earned, closings, payments
from .resets import AccountReset, Moved
from .resets import due as resets_due
from .resets import rules_read as resets_read
from .ruleset import Account, FactIn, Reaches, Ruleset

#: How many earlier facts an explanation names at most (the latest): a count of thousands says it all,
#: and naming them all would make every later entry's explanation grow with the resident's history.
NAMED = 10


def _latest(names: tuple[str, ...], total: int) -> str:
    """The facts named, and how many there were when only the latest are named."""
    return ", ".join(names) + (f" — the latest {len(names)} of {total}" if total > len(names) else "")


@dataclass(slots=True, kw_only=True, unsafe_hash=True)
class Award:
    """One rule's award (or deduction) for one fact, explained.

    Computed by the engine, never parsed from input, so a plain slotted dataclass (one per
    award keeps garbage-collector work low); ``as_json`` serialises it through pydantic.
    Not frozen, though nothing assigns to one once made: a frozen dataclass sets each of its
    25 fields through ``object.__setattr__``, which made an award four times as costly to
    build, and a city's what-if builds tens of millions. Hashed by value, as a frozen one is.
    """

    fact_id: str | None  # None: a period rule's award, for ``period``
    resident: str  # whose account: the resident, or the household where households hold the accounts
    occurred_at: dt.datetime
    ruleset: str
    rule_id: str
    rule_title: str
    category: str
    raw_amount: Amount
    amount: Amount
    limited_by: str | None = None
    limit_max: Amount | None = None  # the points cap that bound, or
    limit_times: int | None = None  # the count of applications that bound
    accounts: tuple[Account, ...]
    points_expire_on: dt.date | None = None
    occurrence: int | None = None  # of a rule with repeats: 1 for the first in its span
    earlier: tuple[str, ...] = ()  # the latest (at most NAMED) facts of the earlier occurrences it counted
    repeat_span: str | None = None  # 'the year', '365 days'
    after_fact: str | None = None  # of a rule with ``after``: the earlier fact it followed
    reached: tuple[str, ...] = ()  # of a rule with ``reaches``: the latest (at most NAMED) facts counted
    reached_total: str | None = None  # that total, exactly (a decimal as text)
    period: str | None = None  # of a period rule: the closed period it pays for ('2021-12')
    qualified: tuple[str, ...] = ()  # of a period rule: the run of periods that earned it
    member: str | None = None  # the resident whose fact earned it (a member, where households hold the accounts)

    def as_json(self) -> dict[str, Any]:
        """The award as JSON-ready values (times and dates as ISO text, ``accounts`` as a list)."""
        return _AWARD_JSON.dump_python(self, mode="json")

    def summary(self) -> str:
        """The sentence a resident reads: rule, amount, the limit that cut it, the accounts moved."""
        text = f"{self.rule_title} ({self.rule_id}, {self.ruleset}): {signed(self.amount)}"
        if self.member is not None and self.member != self.resident:
            text += f" by member {self.member}"
        if self.limited_by:
            cap = f"max {written(self.limit_max)}" if self.limit_max is not None \
                else f"at most {self.limit_times} times"
            text += f", cut from {signed(self.raw_amount)} by limit {self.limited_by} ({cap})"
        if self.after_fact is not None:
            text += f", after fact {self.after_fact}"
        if self.reached_total is not None:
            text += f", total {self.reached_total} reached with facts {', '.join(self.reached)}"
            text += " (the latest of them)" if len(self.reached) == NAMED else ""
        if self.period is not None:
            text += f", for {self.period}" + (f" ({len(self.qualified)} periods in a row from {self.qualified[0]})"
                                              if len(self.qualified) > 1 else "")
        if self.occurrence is not None:
            text += f", occurrence {self.occurrence} within {self.repeat_span}"
            text += f" (earlier: {_latest(self.earlier, self.occurrence - 1)})" if self.earlier else ""
        return text + f" → {' + '.join(self.accounts)}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Miss:
    """Why a rule for this fact type gave nothing."""

    fact_id: str
    rule_id: str
    reason: str
    field: str | None = None
    op: str | None = None
    expected: Any = None
    actual: Any = None

    def as_json(self) -> dict[str, Any]:
        """The miss as JSON-ready values (a date ``expected`` as ISO text)."""
        return _MISS_JSON.dump_python(self, mode="json")


_AWARD_JSON = TypeAdapter(Award)
_MISS_JSON = TypeAdapter(Miss)


class Evaluation(BaseModel):
    """What ``evaluate`` found: the awards in scoring order, and the misses when explanations were asked for."""

    awards: list[Award]
    misses: list[Miss] = []
    residents: list[str] = []  # everyone the facts named, with or without awards: each has a balance
    ignored: int = 0  # facts of types the ruleset does not define, when it (or the call) says to ignore them
    resets: list[AccountReset] = []  # accounts set back at the ends of the periods closed (年度清零)

    def balances(self, ruleset: Ruleset) -> dict[str, Balance]:
        """Every resident the facts named, from the starting index (``sheet.balances``)."""
        from .sheet import balances  # the sheet sums this module's awards: imported when first asked
        return balances(ruleset, self.awards, self.residents, self.resets)

    def as_json(self) -> dict[str, Any]:
        """The lists, each item through its own ``as_json``."""
        return {"awards": [a.as_json() for a in self.awards], "misses": [m.as_json() for m in self.misses],
                "resets": [r.as_json() for r in self.resets]}


class Balance(BaseModel):
    """A resident's integrity index (诚信指数分), spendable points and the tier the index falls in."""

    resident: str
    index: Amount
    points: Amount
    tier: str
    tier_title: str
    flags: list[str] = []  # set by vetoes in force (一票否决), e.g. commendation_ineligible
    capped_by: str | None = None  # the veto that capped the tier, in words


def to_message(fact: Fact) -> dict[str, Any]:
    """The fact as durable-rules gets it: coerced values only, dates as integers."""
    message: dict[str, Any] = {"type": fact.type}
    for key, value in fact.fields.items():
        message[key] = conditions.engine_value(value) if type(value) is dt.date else value
    return message


def validate_facts(compiled: CompiledRuleset, facts: Iterable[FactIn | dict | Fact], *,
                   label: str | None = None) -> list[Fact]:
    """Every fact validated once, or one ``FactError`` listing the problems of all of them.

    An id given again is the same fact: the first stands, as in the store; the same id with
    other content is a ``fact_id_conflict``. A problem's path starts at the fact
    (``fields.hours``); with ``label`` it starts at the list the facts came in
    (``facts[3].fields.hours``), as a batch posted to the service.
    """
    return _validated(compiled, enumerate(facts), label)


def _validated(compiled: CompiledRuleset, facts: Iterable[tuple[int, FactIn | dict | Fact]],
               label: str | None) -> list[Fact]:
    valid: dict[str, Fact] = {}
    problems: list[Problem] = []
    for position, raw in facts:
        try:
            fact = raw if isinstance(raw, Fact) else compiled.validator.validate(raw)
        except FactError as exc:
            problems += [p.under(f"{label}[{position}]") if label else p for p in exc.problems]
            continue
        first = valid.setdefault(fact.id, fact)  # the same id again: the first wins, as in the store
        if first is not fact and not first.same_as(fact):
            conflict = fact.conflict("given earlier in the same input")
            problems.append(conflict.under(f"{label}[{position}]") if label else conflict)
    if problems:
        raise FactError(problems)
    return list(valid.values())


def evaluate(compiled: CompiledRuleset, facts: Iterable[FactIn | dict | Fact], *,
             history: History | None = None, explain: bool = False, label: str | None = None,
             matcher: RuleMatcher = MATCHER, ignore_unknown_types: bool = False,
             closes_until: dt.date | None = None) -> Evaluation:
    """Score facts: validated first (all or nothing, see ``validate_facts``), then matched, amounted and limited.

    A fact of a type the ruleset does not define is refused, unless the ruleset
    (``unknown_fact_types: ignore``) or the call says to ignore it; then it is counted.
    With ``closes_until``, the periods that end by that day are closed: period rules pay
    the residents the facts named for them (``period_awards``).
    """
    given = list(facts)
    ignore = ignore_unknown_types or ignores_unknown_types(compiled)
    kept = [(position, f) for position, f in enumerate(given) if not ignore or compiled.validator.knows(f)]
    ignored = len(given) - len(kept)
    ordered = sorted(_validated(compiled, kept, label), key=lambda f: f.sort_key)
    residents = sorted({f.resident for f in ordered})
    if closes_until is not None:
        _check_closing(compiled, ordered, len(residents), closes_until)
    history = history if history is not None else History(keep_days=compiled.lookback_days)  # forgets soonest
    awards: list[Award] = []
    misses: list[Miss] = []
    for fact in ordered:
        fact_awards, fact_misses = score_fact(compiled, fact, history, explain=explain, matcher=matcher)
        awards += fact_awards
        misses += fact_misses
    resets: list[AccountReset] = []
    if closes_until is not None:
        awards += closing_awards(compiled, awards, residents, compiled.ruleset.effective_from, closes_until)
        resets = closing_resets(compiled, awards, residents, compiled.ruleset.effective_from, closes_until)
    return Evaluation.model_construct(awards=awards, misses=misses,  # each award made above, not parsed
                                      residents=residents, ignored=ignored, resets=resets)


def _check_closing(compiled: CompiledRuleset, facts: list[Fact], residents: int, until: dt.date) -> None:
    """Refuse, before any work, a ``closes_until`` that would close more periods than ``MAX_CLOSINGS``."""
    read = resets_read(compiled.ruleset)
    kinds = {rule.fact for rule in compiled.ruleset.rules if rule.id in read}
    carrying = sum(1 for fact in facts if fact.type in kinds)
    cost = closings(compiled.ruleset, residents, compiled.ruleset.effective_from, until, carrying)
    if cost > MAX_CLOSINGS:
        raise FactError([Problem(
            code=ErrorCode.CLOSING_TOO_LARGE, path="closes_until",
            message=f"closing the periods up to {until} for {residents} resident(s) decides about {cost:,} periods, "
                    f"more than {MAX_CLOSINGS:,}: close up to an earlier day, or with fewer residents",
            says="closing_too_large", params={"until": str(until), "residents": residents, "cost": f"{cost:,}",
                                              "most": f"{MAX_CLOSINGS:,}"})])


def closing_awards(compiled: CompiledRuleset, awards: Iterable[Award], residents: Iterable[str], first: dt.date,
                   until: dt.date) -> list[Award]:
    """What period rules pay ``residents`` for the periods from ``first`` that end by ``until``, given their awards.

    ``first`` is where the facts begin: the standard's first day for a dry-run or a test, the
    first replayed month for a simulation; no period before it is read (it has no facts for
    want of them, not for want of offences).
    """
    return period_awards(compiled, (a for a in awards if a.fact_id is not None), residents, first, until,
                         known_from=first)


def closing_resets(compiled: CompiledRuleset, awards: Iterable[Award], residents: Iterable[str], first: dt.date,
                   until: dt.date, *, moving_only: bool = True) -> list[AccountReset]:
    """The resets (年度清零) at the ends of the periods from ``first`` to ``until``, after ``awards`` (period ones).

    Only those that move an account, unless ``moving_only`` is false (a simulated shop needs
    every one: spending can leave a balance the reset moves, where the awards alone did not).
    """
    return resets_due(compiled.ruleset, (Moved(a.resident, a.rule_id, a.fact_id, a.occurred_at,  # none without resets
                                               a.amount if "index" in a.accounts else Decimal(0),
                                               a.amount if "points" in a.accounts else Decimal(0)) for a in awards),
                      residents, first, until, moving_only=moving_only)


def period_awards(compiled: CompiledRuleset, granted: Iterable[Earned], residents: Iterable[str], first: dt.date,
                  until: dt.date, paid_before: Mapping[tuple[str, str], set[str]] | None = None, *,
                  known_from: dt.date | None = None, moved_in: Mapping[str, dt.date] | None = None) -> list[Award]:
    """The awards of period rules for the periods from ``first`` that end by ``until`` (``periods.payments``)."""
    awards = []
    expire_after = compiled.points_expire_after_months
    accounts = compiled.ruleset.accounts
    assert accounts is not None, "a loaded ruleset has accounts (checks.check_ruleset)"
    for paid in payments(compiled.ruleset, granted, residents, first, until, paid_before, known_from=known_from,
                         moved_in=moved_in):
        rule, moment = paid.rule, paid.period.last_moment
        moved = tuple(rule.accounts or (accounts.awards_raise if rule.award > 0 else accounts.deductions_lower))
        awards.append(Award(
            fact_id=None, resident=paid.resident, occurred_at=moment, ruleset=compiled.ref, rule_id=rule.id,
            rule_title=rule.title, category=rule.category, raw_amount=rule.award, amount=rule.award, accounts=moved,
            points_expire_on=expiry_date(moment, expire_after)
            if expire_after and rule.award > 0 and "points" in moved else None,
            period=paid.period.key, qualified=paid.qualified))
    return awards


@dataclass(frozen=True, slots=True)
class _Candidate:
    """A matching rule's amount for one fact, after repeats, before exclusive rows and limits."""

    compiled_rule: CompiledRule
    raw: Decimal
    occurrence: int | None = None
    earlier: tuple[str, ...] = ()
    after_fact: str | None = None
    reached: tuple[str, ...] = ()
    reached_total: str | None = None


def _largest_of_each_group(candidates: list[_Candidate]) -> dict[str, _Candidate]:
    """Per exclusive group, the matching rule with the largest amount (by size; the first listed on a tie)."""
    chosen: dict[str, _Candidate] = {}
    for candidate in candidates:
        group = candidate.compiled_rule.rule.exclusive
        if group and (group not in chosen or abs(candidate.raw) > abs(chosen[group].raw)):
            chosen[group] = candidate
    return chosen


def ignores_unknown_types(compiled: CompiledRuleset) -> bool:
    """Whether the ruleset says to ignore (and count) facts of types it does not define."""
    return compiled.ruleset.unknown_fact_types == "ignore"


def score_fact(compiled: CompiledRuleset, fact: Fact, history: History, *, explain: bool = False,
               matcher: RuleMatcher = MATCHER) -> tuple[list[Award], list[Miss]]:
    """Awards for one validated fact, read from and counted into ``history``.

    ``matcher`` decides which rules match: durable-rules, the matcher of record, unless a
    caller passes another (a simulation's Python matcher, checked against it by a test).
    """
    message = to_message(fact)
    matched = matcher.match(compiled.name, compiled.definition, message)  # a rule id or two: a list will do
    day = 0
    if compiled.lookback_days:
        day = fact.occurred_at.astimezone(SHANGHAI).toordinal()
        history.forget_before(fact.resident, day - max(compiled.lookback_days, history.keep_days))
    awards, misses = [], []
    candidates: list[_Candidate] = []
    for compiled_rule in compiled.by_fact_type.get(fact.type, ()):
        rule_id = compiled_rule.rule.id
        if rule_id not in matched:
            if explain:
                misses.append(_miss(fact, compiled_rule, message))
            continue
        after_fact, unmet = _sequence(compiled.name, compiled_rule, fact, day, history)
        reached: tuple[str, ...] = ()
        total: Decimal | None = None
        if compiled_rule.rule.reaches is not None:  # the fact counts into the total whatever else holds
            reached, total, short = _threshold(compiled.name, compiled_rule, fact, history)
            unmet = unmet or short
        if unmet is not None:
            if explain:
                misses.append(unmet)
            continue
        raw = raw_amount(compiled_rule, fact, compiled.decimals)
        if total is not None and compiled_rule.rule.exclusive:  # 同一事项按最高一档: rows of a period's total
            paid = _row_paid(compiled, compiled_rule, fact, history)
            if paid >= raw > 0:
                if explain:
                    misses.append(Miss(fact_id=fact.id, rule_id=rule_id, op="exclusive", reason=(
                        f"only the highest row of '{compiled_rule.rule.exclusive}' reached in the period counts, "
                        f"and a row of {signed(paid)} was paid already")))
                continue
            raw -= paid  # the difference: the highest row reached is what the period earns
        if raw == 0 and compiled_rule.rule.veto is None and not compiled_rule.rule.lifts:  # a veto applies at 0
            if explain:
                misses.append(Miss(fact_id=fact.id, rule_id=rule_id, reason="the award for this fact is 0"))
            continue
        repeat = compiled_rule.repeat
        reached_total = None if total is None else f"{total.normalize():f}"  # 55, not 55.0
        if repeat is None or raw == 0:  # nothing (a veto's fact) is no occurrence
            candidates.append(_Candidate(compiled_rule, raw, after_fact=after_fact, reached=reached,
                                         reached_total=reached_total))
        else:  # 一年内第二次起加倍: the amount of this occurrence
            count, latest = history.earlier(fact.resident, repeat, raw > 0, fact.occurred_at, fact.id, NAMED)
            candidates.append(_Candidate(compiled_rule, repeat.amount(raw, count + 1), count + 1, latest, after_fact,
                                         reached, reached_total))
    chosen = _largest_of_each_group(candidates)
    for candidate in candidates:
        rule = candidate.compiled_rule.rule
        best = chosen.get(rule.exclusive) if rule.exclusive else None
        if best is not None and best is not candidate:
            if explain:
                reason = (f"only the largest row of '{rule.exclusive}' counts: {best.compiled_rule.rule.id} "
                          f"({signed(best.raw)}) instead of {signed(candidate.raw)}")
                misses.append(Miss(fact_id=fact.id, rule_id=rule.id, reason=reason, op="exclusive",
                                   expected=best.compiled_rule.rule.id))
            continue
        awards.append(_award(compiled, fact, candidate, history))
    _remember(compiled, fact, matched, history)
    if explain:
        for rule in compiled.ruleset.rules:
            if not rule.enabled and rule.fact == fact.type:
                misses.append(Miss(fact_id=fact.id, rule_id=rule.id, reason="the rule is switched off"))
    return awards, misses


def _award(compiled: CompiledRuleset, fact: Fact, candidate: _Candidate, history: History) -> Award:
    """The candidate's award after limits, counted into ``history`` (its limits' room, its occurrence)."""
    compiled_rule, raw = candidate.compiled_rule, candidate.raw
    rule = compiled_rule.rule
    limits = compiled_rule.limits if raw > 0 else compiled_rule.deduction_limits
    amount, bound, cap = apply_limits(raw, fact.resident, fact.occurred_at, limits, history, fact.member)
    for scope, owner in (("rule", rule.id), ("category", rule.category)):
        if raw and (scope, owner) in compiled.counted:
            history.occur(fact.resident, scope, owner, raw > 0, fact.occurred_at, fact.id)
    accounts = compiled_rule.award_accounts if raw > 0 else compiled_rule.deduction_accounts
    expire_after = compiled.points_expire_after_months
    repeat = compiled_rule.repeat
    return Award(
        fact_id=fact.id, resident=fact.resident, occurred_at=fact.occurred_at, ruleset=compiled.ref,
        rule_id=rule.id, rule_title=rule.title, category=rule.category, raw_amount=raw, amount=amount,
        limited_by=str(bound) if bound else None, limit_max=bound.max if bound and cap == "max" else None,
        limit_times=bound.times if bound and cap == "times" else None, accounts=accounts,
        points_expire_on=expiry_date(fact.occurred_at, expire_after)
        if expire_after and amount > 0 and "points" in accounts else None,
        occurrence=candidate.occurrence, earlier=candidate.earlier, after_fact=candidate.after_fact,
        reached=candidate.reached, reached_total=candidate.reached_total,
        repeat_span=repeat.describe() if repeat is not None else None, member=fact.member,
    )


def raw_amount(compiled_rule: CompiledRule, fact: Fact, decimals: int) -> Decimal:
    """The award before limits: fixed, per unit (cut toward zero to ``decimals`` places), or looked up in a table."""
    award = compiled_rule.rule.award
    points = award.points
    if points is None:  # then a table: AwardSpec takes exactly one of 'points' and 'table'
        table = award.table
        assert table is not None, "AwardSpec._one_form: no 'points' means a 'table'"
        value = fact.fields.get(table.field)
        return table.values.get(value, table.else_) if value is not None else table.else_
    if award.per is not None:
        units = Decimal(str(fact.fields.get(award.per, 0)))  # decimal: 0.57 h × 100 is 57, not 56.999…
        if award.every is not None:  # 每 100 元: whole blocks of units only
            units = (units / exact(award.every)).to_integral_value(ROUND_DOWN)
        return round_down(units * points, decimals)  # toward zero: never over-award
    return points


def recall(compiled: CompiledRuleset, facts: Iterable[Fact], history: History, *,
           matcher: RuleMatcher = MATCHER) -> None:
    """Keep in ``history`` the facts scored before (e.g. stored) that sequences and thresholds look back to."""
    for fact in facts:
        if fact.type in compiled.remembered or fact.type in compiled.tallied:
            _recall_one(compiled, fact, matcher.match(compiled.name, compiled.definition, to_message(fact)), history)


def _recall_one(compiled: CompiledRuleset, fact: Fact, matched: list[str], history: History) -> None:
    """A fact scored before: its marks for sequences, its values in the thresholds whose rules it matched."""
    _remember(compiled, fact, matched, history)
    for compiled_rule in compiled.by_fact_type.get(fact.type, ()):
        reaches = compiled_rule.rule.reaches
        if reaches is not None and compiled_rule.rule.id in matched:
            history.tally(compiled.name, fact, compiled_rule.rule.id, period_key(reaches.period, fact.occurred_at),
                          threshold_value(reaches, fact))


def _remember(compiled: CompiledRuleset, fact: Fact, matched: list[str], history: History) -> None:
    """Keep the fact for later sequences if it met the pattern of an earlier fact one looks for."""
    if fact.type in compiled.remembered:
        marks = frozenset(mark for mark in matched if mark.endswith((AFTER, NOT_AFTER)))
        if marks:
            history.remember(compiled.name, fact, marks, fact.occurred_at.astimezone(SHANGHAI).toordinal())


def _threshold(ruleset: str, compiled_rule: CompiledRule, fact: Fact,
               history: History) -> tuple[tuple[str, ...], Decimal | None, Miss | None]:
    """For a rule with ``reaches``: count the fact into its period's total; pay only on the fact that reaches it."""
    reaches = compiled_rule.rule.reaches
    assert reaches is not None
    value = threshold_value(reaches, fact)
    before, counted = history.tally(ruleset, fact, compiled_rule.rule.id, period_key(reaches.period, fact.occurred_at),
                                    value)
    total = before + value
    goal = Decimal(str(reaches.at_least))
    if before < goal <= total:
        return tuple(counted[-NAMED:]), total, None
    said = "was reached before this fact" if before >= goal else f"is {total}, short of {goal}"
    return (), None, Miss(fact_id=fact.id, rule_id=compiled_rule.rule.id, op="reaches", expected=reaches.at_least,
                          actual=str(total), reason=f"pays once per {reaches.period}, on the fact whose total "
                                                    f"reaches {goal}; the total {said}")


def _row_paid(compiled: CompiledRuleset, compiled_rule: CompiledRule, fact: Fact, history: History) -> Decimal:
    """What the other threshold rows of the rule's exclusive group paid in this period before the fact.

    The highest row whose own total reached its goal before the fact: rows of a period's
    total pay the difference as the total climbs, so the period earns its highest row.
    """
    rule = compiled_rule.rule
    paid = Decimal(0)
    for other in compiled.by_fact_type.get(rule.fact, ()):
        row = other.rule
        if row.exclusive != rule.exclusive or row.reaches is None or row.award.points is None:
            continue
        before = history.total_before(compiled.name, fact, row.id, period_key(row.reaches.period, fact.occurred_at))
        if before >= exact(row.reaches.at_least):
            paid = max(paid, row.award.points)
    return paid


def threshold_value(reaches: Reaches, fact: Fact) -> Decimal:
    """What one fact adds to a threshold's total: its field's value (exactly), or 1."""
    if reaches.sum is None:
        return Decimal(1)
    value = fact.fields.get(reaches.sum)
    return Decimal(str(value)) if value is not None else Decimal(0)


def _sequence(ruleset: str, compiled_rule: CompiledRule, fact: Fact, day: int,
              history: History) -> tuple[str | None, Miss | None]:
    """For a rule with ``after`` / ``not_after``: the earlier fact it follows, or why it does not count."""
    after, not_after = compiled_rule.after, compiled_rule.not_after
    found = history.latest(ruleset, fact, day, after) if after is not None else None
    rule_id = compiled_rule.rule.id
    if after is not None and found is None:
        return None, Miss(fact_id=fact.id, rule_id=rule_id, op="after", expected=after.fact,
                          reason=f"counts only after a '{after.fact}' that meets its condition within "
                                 f"{after.within_days} days")
    blocking = history.latest(ruleset, fact, day, not_after) if not_after is not None else None
    if not_after is not None and blocking is not None:
        return None, Miss(fact_id=fact.id, rule_id=rule_id, op="not_after", expected=not_after.fact,
                          actual=blocking, reason=f"does not count after a '{not_after.fact}' within "
                                                  f"{not_after.within_days} days (fact {blocking})")
    return found, None


def _miss(fact: Fact, compiled_rule: CompiledRule, message: dict) -> Miss:
    failure = conditions.first_failure(compiled_rule.condition, message)
    if failure is None:  # cannot happen while explanation and engine agree; tests check they do
        return Miss(fact_id=fact.id, rule_id=compiled_rule.rule.id, reason="the engine did not match")
    return Miss(fact_id=fact.id, rule_id=compiled_rule.rule.id, reason=failure.describe(),
                field=failure.field, op=failure.op, expected=failure.expected,
                actual=None if failure.missing else failure.actual)
