"""An independent reference scorer: the documented semantics in plain Python.

It works from a resolved ruleset as a plain dict (``ruleset.model_dump(by_alias=True)``)
and from raw fact dicts, and shares no code with ``engine.conditions``,
``engine.evaluator`` or ``engine.accounting``: it is written from the semantics stated
for the language, not from the engine, so that the two can be compared.

Semantics implemented:

* facts are processed in order of (occurred_at, id); a naive ``occurred_at`` is
  Asia/Shanghai time; for each fact the enabled rules whose ``fact`` is the fact's type
  are considered in ruleset order;
* a condition is a mapping: ``field: value`` is equality, ``field: {op: v, ...}`` needs
  every op to hold (is, is_not, above, at_least, below, at_most, in, not_in, present);
  ``all`` / ``any`` / ``not`` combine conditions; a comparison on a missing field is
  false and ``present: false`` holds only when the field is missing; ``not`` is plain
  logical negation; dates compare as dates;
* the raw award is ``points``; or a field's value × ``points`` truncated toward zero;
  or a table lookup (``else`` when the value is missing or not listed, default 0); a
  raw amount of 0 gives no award;
* a limit spans a calendar day / ISO week / month / quarter / year in Asia/Shanghai time,
  or ``days`` local days ending with the fact's day; it caps awards or deductions: as
  ``applies_to`` says, else deductions when every amount its rule (or its category's
  enabled rules) can give is negative, else awards. A per-unit amount can have the
  other sign too when its field may be negative (no ``min``, or one below 0);
* an amount is cut, by size, to the least room left among the rule's limits and its
  category's limits of its sign (per resident): ``max`` minus the size already granted
  in the span, or 0 once ``times`` non-zero amounts were granted in it; what is granted
  counts against every one of them; ``limited_by`` names the limit with least room (rule
  limits before category limits, then shorter spans first — day 1, week 7, month 31,
  quarter 92, year 366 days, a calendar period before a window of equal days — first
  listed on ties), only when the amount was cut; a deduction limit's name ends in
  ``/deductions``;
* a rule with ``repeats`` counts its occurrences: the earlier awards (of any amount after
  limits, but a non-zero raw amount of the same sign) of the rule — or, with ``of:
  category``, of any rule of its category — to the same resident, earlier in (occurred_at,
  id) order and in the same calendar ``period`` or within ``days`` local days ending with
  the fact's day, one per fact (the award names the latest 10 of them); occurrence n (1 for
  the first) gives ``amounts[n-1]``, or
  the raw amount × ``multipliers[n-1]``, the last entry repeating. This happens before
  exclusive rows are chosen and before limits; the award names n and the earlier facts;
* a rule with ``after`` matches only when the same resident has an earlier fact (in
  (occurred_at, id) order) of ``after.fact`` meeting ``after.when``, at most
  ``within_days - 1`` local days before (the same day counts); the award names the latest
  such fact. With ``not_after`` it matches only when there is no such fact;
* a rule with ``reaches`` adds each fact it matches (``fact`` and ``when``; whatever
  ``after`` / ``not_after`` say) to the resident's total for the calendar ``period``: the
  exact decimal value of field ``sum``, or 1; it gives its award only for the fact whose
  total reaches ``at_least`` (the total before it was below), naming every fact counted;
* an award moves the accounts the rule names, else the ruleset's ``awards_raise`` (raw >
  0) or ``deductions_lower`` (raw < 0); points awarded expire, when the ruleset says so,
  at the end of the month ``after_months`` after the month of the award (only for a
  granted amount > 0 that goes to points);
* where ``accounts.held_by`` is household, the account is the fact's ``household`` (once per
  household): limits, repeats, sequences and balances are the household's, except a limit
  with ``per: member``, whose usage is counted per (household, member);
* a balance is ``starting_index`` plus the amounts moved into each account; the tier is
  the band ``index_from <= index < index_below`` holding the index;
* with ``accounts.resets``, when periods are closed, the account is set back at every end
  of a period of ``every`` that falls after the standard's first day and by the day closed
  to (and by the day after ``effective_to``): to ``to`` (default: the starting index, or 0
  points), plus the amounts a rule with ``carries_over`` took from that account before the
  end and that no award of a rule lifting it, dated after it and before the end, ended.
  Everything dated before the end counts before the reset.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction  # per-unit amounts: exact, then cut like a committee would
from typing import Any
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

PERIODS = ("day", "week", "month", "quarter", "year")  # shortest first
NAMED = 10  # an explanation names at most the latest 10 earlier facts
COMBINATORS = ("all", "any", "not")
ORDER_OPS = ("above", "at_least", "below", "at_most")


# ---------------------------------------------------------------- facts

def moment(value: Any) -> dt.datetime:
    """``occurred_at`` as an aware datetime in Asia/Shanghai time."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if not isinstance(value, dt.datetime):
        raise TypeError(f"occurred_at must be a datetime or an ISO string, not {value!r}")
    if value.tzinfo is None:
        return value.replace(tzinfo=SHANGHAI)
    return value.astimezone(SHANGHAI)


def fact_values(ruleset: dict, fact: dict) -> dict[str, Any]:
    """The fact's field values: missing (or None) fields left out, date strings as dates."""
    types = {t["id"]: t for t in ruleset["fact_types"]}
    specs = types[fact["type"]]["fields"]
    values = {}
    for name, value in (fact.get("fields") or {}).items():
        if value is None:
            continue
        spec = specs.get(name)
        if spec is not None and spec["type"] == "date" and isinstance(value, str):
            value = dt.date.fromisoformat(value)
        values[name] = value
    return values


def fact_order(fact: dict) -> tuple[dt.datetime, str]:
    return (moment(fact["occurred_at"]), fact["id"])


# ---------------------------------------------------------------- conditions

def _comparable(value: Any) -> Any:
    """Dates compare as dates (a datetime would be its Shanghai calendar day)."""
    if isinstance(value, dt.datetime):
        return moment(value).date()
    return value


def _same(actual: Any, expected: Any) -> bool:
    # a bool is not a number here: True must not equal 1
    if isinstance(actual, bool) != isinstance(expected, bool):
        return False
    return _comparable(actual) == _comparable(expected)


def comparison_holds(field: str, op: str, expected: Any, values: dict[str, Any]) -> bool:
    """One test of one field, in the language's words (``present: false`` for absence)."""
    if op == "present":
        return (field in values) == bool(expected)
    if field not in values:
        return False
    actual = values[field]
    if op == "is":
        return _same(actual, expected)
    if op == "is_not":
        return not _same(actual, expected)
    if op == "in":
        return any(_same(actual, item) for item in expected)
    if op == "not_in":
        return not any(_same(actual, item) for item in expected)
    a, e = _comparable(actual), _comparable(expected)
    if op == "above":
        return a > e
    if op == "at_least":
        return a >= e
    if op == "below":
        return a < e
    if op == "at_most":
        return a <= e
    raise ValueError(f"unknown comparison {op!r}")


def field_test_holds(field: str, test: Any, values: dict[str, Any]) -> bool:
    """``field: value`` (equality) or ``field: {op: v, ...}`` (every op must hold)."""
    if not isinstance(test, dict):
        return comparison_holds(field, "is", test, values)
    ops = {op: v for op, v in test.items() if v is not None}
    return all(comparison_holds(field, op, v, values) for op, v in ops.items())


def condition_holds(when: dict | None, values: dict[str, Any]) -> bool:
    """A rule's ``when``: every field test and every combinator must hold; None holds."""
    if when is None:
        return True
    for key, test in when.items():
        if test is None:  # an unset combinator in the dumped model
            continue
        if key == "all":
            ok = all(condition_holds(child, values) for child in test)
        elif key == "any":
            ok = any(condition_holds(child, values) for child in test)
        elif key == "not":
            ok = not condition_holds(test, values)
        else:
            ok = field_test_holds(key, test, values)
        if not ok:
            return False
    return True


#: the engine's explanation vocabulary → (language op, fixed expected value or None)
EXPLANATION_OPS = {"eq": ("is", None), "ne": ("is_not", None), "gt": ("above", None),
                   "ge": ("at_least", None), "lt": ("below", None), "le": ("at_most", None),
                   "in": ("in", None), "not_in": ("not_in", None), "present": ("present", True),
                   "absent": ("present", False)}


def explained_test_holds(field: str, op: str, expected: Any, values: dict[str, Any]) -> bool:
    """A single test as an explanation (``Miss``) names it: does it hold for ``values``?"""
    language_op, fixed = EXPLANATION_OPS[op]
    return comparison_holds(field, language_op, expected if fixed is None else fixed, values)


# ---------------------------------------------------------------- amounts

def raw_amount(award: dict, values: dict[str, Any], decimals: int = 0) -> Decimal:
    table = award.get("table")
    if table is not None:
        default = table.get("else") or 0
        if table["field"] not in values:
            return default
        value = values[table["field"]]
        for key, amount in table["values"].items():
            if _same(value, key):
                return amount
        return default
    points = award["points"]
    if award.get("per") is not None:
        units = values.get(award["per"], 0)
        scale = 10 ** decimals  # cut toward zero to the ruleset's decimals, in exact fractions
        if award.get("every") is not None:  # whole blocks of 'every' units
            return math.trunc(Fraction(str(units)) / Fraction(str(award["every"]))) * points
        return Decimal(math.trunc(Fraction(str(units)) * Fraction(points) * scale)) / scale
    return points


# ---------------------------------------------------------------- calendar

def period_of(period: str, when: dt.datetime) -> tuple:
    """A hashable name of the calendar period holding ``when`` (Shanghai calendar)."""
    day = moment(when).date()
    if period == "day":
        return ("day", day)
    if period == "week":
        return ("week", day - dt.timedelta(days=day.weekday()))  # the Monday
    if period == "month":
        return ("month", day.year, day.month)
    if period == "quarter":
        return ("quarter", day.year, (day.month - 1) // 3)
    if period == "year":
        return ("year", day.year)
    raise ValueError(f"unknown period {period!r}")


def end_of_month_after(when: dt.datetime, months: int) -> dt.date:
    day = moment(when).date()
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, calendar.monthrange(year, month)[1])


# ---------------------------------------------------------------- scoring

LENGTHS = {"day": 1, "week": 7, "month": 31, "quarter": 92, "year": 366}


@dataclass(frozen=True)
class RefLimit:
    scope: str  # "rule" | "category"
    owner: str
    period: str | None
    days: int | None
    max: int | None
    times: int | None
    sign: int
    per_member: bool = False  # counted per (household, member) where households hold the accounts

    @property
    def name(self) -> str:
        span = self.period or f"{self.days}d"
        return f"{self.scope}:{self.owner}/{span}" + ("/deductions" if self.sign < 0 else "") + \
            ("/member" if self.per_member else "")

    def spans(self, earlier: dt.datetime, now: dt.datetime) -> bool:
        """Whether an amount granted at ``earlier`` is in this limit's span for a fact at ``now``."""
        if self.period is not None:
            return period_of(self.period, earlier) == period_of(self.period, now)
        gap = (moment(now).date() - moment(earlier).date()).days
        return 0 <= gap < self.days


@dataclass(frozen=True)
class RefAward:
    fact_id: str
    resident: str
    occurred_at: dt.datetime
    ruleset: str
    rule_id: str
    category: str
    raw_amount: int
    amount: int
    limited_by: str | None
    accounts: tuple[str, ...]
    points_expire_on: dt.date | None
    occurrence: int | None = None
    earlier: tuple[str, ...] = ()
    after_fact: str | None = None
    reached: tuple[str, ...] = ()
    reached_total: str | None = None
    period: str | None = None
    qualified: tuple[str, ...] = ()


@dataclass
class RefResult:
    awards: list[RefAward]
    #: fact id → ids of the enabled rules (of the fact's type) whose condition holds
    matched: dict[str, list[str]]
    #: fact id → ids of the enabled rules of the fact's type whose raw amount is 0
    zero: dict[str, list[str]]


def amount_signs(ruleset: dict, rule: dict) -> set[int]:
    """The signs of the amounts a rule can give (1 award, -1 deduction)."""
    award = rule["award"]
    if award.get("table") is not None:
        amounts = [*award["table"]["values"].values(), award["table"].get("else") or 0]
    elif award.get("per") is not None:
        spec = next(t for t in ruleset["fact_types"] if t["id"] == rule["fact"])["fields"][award["per"]]
        low = spec.get("min")
        amounts = [award["points"], -award["points"] if low is None or low < 0 else 0]
    else:
        amounts = [award["points"]]
    return {(amount > 0) - (amount < 0) for amount in amounts if amount}


def rule_limits(ruleset: dict, rule: dict) -> list[RefLimit]:
    """The rule's own limits then its category's, each group shortest span first."""
    categories = {c["id"]: c for c in ruleset["categories"]}
    enabled = [r for r in ruleset["rules"] if r.get("enabled", True)]
    in_category = set().union(*(amount_signs(ruleset, r) for r in enabled if r["category"] == rule["category"]))

    def made(scope: str, owner: str, written: list, signs: set[int]) -> list[RefLimit]:
        made = []
        for lim in written or []:
            direction = lim.get("applies_to")
            sign = {"awards": 1, "deductions": -1}[direction] if direction else (-1 if signs == {-1} else 1)
            made.append(RefLimit(scope, owner, lim.get("period"), lim.get("days"), lim.get("max"), lim.get("times"),
                                 sign, lim.get("per") == "member"))
        return sorted(made, key=lambda lim: (LENGTHS[lim.period], 0) if lim.period else (lim.days, 1))

    return made("rule", rule["id"], rule.get("limits"), amount_signs(ruleset, rule)) + \
        made("category", rule["category"], categories[rule["category"]].get("limits"), in_category)


def _accounts_of(ruleset: dict) -> dict:
    accounts = ruleset.get("accounts") or {}
    return {
        "starting_index": accounts.get("starting_index") or 0,
        "awards_raise": list(accounts.get("awards_raise") or ["index", "points"]),
        "deductions_lower": list(accounts.get("deductions_lower") or ["index", "points"]),
        "points_expire": accounts.get("points_expire"),
    }


class ReferenceScorer:
    """Scores facts under one ruleset; ``used`` carries limit usage across calls."""

    def __init__(self, ruleset: dict):
        self.ruleset = ruleset
        self.ref = f"{ruleset['id']}@{ruleset['version']}"
        self.accounts = _accounts_of(ruleset)
        self.rules = [r for r in ruleset["rules"] if r.get("enabled", True)]
        self.limits = {r["id"]: rule_limits(ruleset, r) for r in self.rules}
        #: (resident, rule, period) → [(fact id, value)] counted into a threshold's total, in scoring order
        self.totals: dict[tuple, list[tuple[str, Decimal]]] = {}
        #: every fact so far with its Shanghai moment, in scoring order, for sequences
        self.seen: list[tuple[dict, dt.datetime]] = []
        #: every award so far, for repeat offences
        self.history: list[RefAward] = []
        #: (resident, limit, when, size) for every non-zero amount granted against a limit so far
        self.granted: list[tuple[str, RefLimit, dt.datetime, int]] = []

    def _room(self, resident: str | tuple, limit: RefLimit, when: dt.datetime) -> float:
        sizes = [size for who, lim, at, size in self.granted if who == resident and lim == limit
                 and limit.spans(at, when)]
        if limit.times is not None and len(sizes) >= limit.times:
            return 0
        return max(0, limit.max - sum(sizes)) if limit.max is not None else math.inf

    def score(self, facts: list[dict]) -> RefResult:
        result = RefResult(awards=[], matched={}, zero={})
        for fact in sorted(facts, key=fact_order):
            self._score_fact(fact, result)
        return result

    def _score_fact(self, fact: dict, result: RefResult) -> None:
        values = fact_values(self.ruleset, fact)
        when = moment(fact["occurred_at"])
        self._score_matching(fact, values, when, result)
        self.seen.append((fact, when))

    def _score_matching(self, fact: dict, values: dict, when: dt.datetime, result: RefResult) -> None:
        resident = fact["resident"]
        matched = result.matched.setdefault(fact["id"], [])
        zero = result.zero.setdefault(fact["id"], [])
        scoring = []
        for position, rule in enumerate(self.rules):
            if rule["fact"] != fact["type"] or not condition_holds(rule.get("when"), values):
                continue
            after_fact = self._latest_earlier(rule.get("after"), fact, when) if rule.get("after") else None
            if rule.get("after") and after_fact is None:
                if rule.get("reaches"):
                    self._reaches(rule, fact, values, when)  # counted into the total all the same
                continue
            if rule.get("not_after") and self._latest_earlier(rule["not_after"], fact, when) is not None:
                if rule.get("reaches"):
                    self._reaches(rule, fact, values, when)  # counted into the total all the same
                continue
            reached = total = None
            if rule.get("reaches"):
                reached, total = self._reaches(rule, fact, values, when)
                if reached is None:
                    continue
            matched.append(rule["id"])
            raw = raw_amount(rule["award"], values, self.ruleset["accounts"]["decimals"])
            if reached is not None and rule.get("exclusive"):  # rows of a period's total: pay the difference
                paid = self._row_paid(rule, fact, when)
                if paid >= raw > 0:
                    continue
                raw -= paid
            if raw == 0 and not rule.get("veto") and not rule.get("lifts"):
                zero.append(rule["id"])
                continue
            occurrence, earlier = None, ()
            if rule.get("repeats") and raw:
                raw, occurrence, earlier = self._repeated(rule, raw, fact, when)
            scoring.append((position, rule, raw, occurrence, earlier, after_fact, reached, total))
        # 同一事项按最高一档计分: in each exclusive group the row of the largest size wins, the earliest on a tie
        winners = {}
        for _position, rule, _raw, *_ in sorted(scoring, key=lambda item: (-abs(item[2]), item[0])):
            if rule.get("exclusive"):
                winners.setdefault(rule["exclusive"], rule["id"])
        for _, rule, raw, occurrence, earlier, after_fact, reached, total in scoring:
            if rule.get("exclusive") and winners[rule["exclusive"]] != rule["id"]:
                continue
            amount, limited_by = raw, None
            sign = 1 if raw > 0 else -1
            limits = [lim for lim in self.limits[rule["id"]] if lim.sign == sign]
            who = {lim: (resident, fact.get("member")) if lim.per_member else resident for lim in limits}
            rooms = [self._room(who[lim], lim, when) for lim in limits]
            if rooms and min(rooms) < abs(raw):
                amount = sign * min(rooms)
                limited_by = limits[rooms.index(min(rooms))].name  # first of the least room
            if amount:
                self.granted += [(who[lim], lim, when, abs(amount)) for lim in limits]
            if rule.get("accounts"):
                accounts = tuple(rule["accounts"])
            else:
                accounts = tuple(self.accounts["awards_raise" if raw > 0 else "deductions_lower"])
            expiry = self.accounts["points_expire"]
            expires = end_of_month_after(when, expiry["after_months"]) \
                if expiry and amount > 0 and "points" in accounts else None
            award = RefAward(
                fact_id=fact["id"], resident=resident, occurred_at=when, ruleset=self.ref,
                rule_id=rule["id"], category=rule["category"], raw_amount=raw, amount=amount,
                limited_by=limited_by, accounts=accounts, points_expire_on=expires, occurrence=occurrence,
                earlier=earlier, after_fact=after_fact, reached=reached or (), reached_total=total)
            result.awards.append(award)
            self.history.append(award)

    def _reaches(self, rule: dict, fact: dict, values: dict, when: dt.datetime) -> tuple[tuple | None, str | None]:
        """Count the fact into the rule's period total; (facts counted, total) if it is the one that reaches it."""
        spec = rule["reaches"]
        value = Decimal(str(values.get(spec["sum"], 0))) if spec.get("sum") else Decimal(1)
        key = (fact["resident"], rule["id"], period_of(spec["period"], when))
        counted = self.totals.setdefault(key, [])
        before = sum((v for _, v in counted), Decimal(0))
        counted.append((fact["id"], value))
        goal = Decimal(str(spec["at_least"]))
        if before < goal <= before + value:
            return tuple(f for f, _ in counted)[-NAMED:], format((before + value).normalize(), "f")
        return None, None

    def _row_paid(self, rule: dict, fact: dict, when: dt.datetime) -> Decimal:
        """The largest fixed award of the group's threshold rows whose totals reached their goal before ``fact``."""
        paid = Decimal(0)
        for row in self.rules:
            if row.get("exclusive") != rule["exclusive"] or not row.get("reaches") \
                    or row["award"].get("points") is None:
                continue
            counted = self.totals.get((fact["resident"], row["id"], period_of(row["reaches"]["period"], when)), [])
            before = sum((v for f, v in counted if f != fact["id"]), Decimal(0))
            if before >= Decimal(str(row["reaches"]["at_least"])):
                paid = max(paid, row["award"]["points"])
        return paid

    def _latest_earlier(self, spec: dict, fact: dict, when: dt.datetime) -> str | None:
        """The id of the resident's latest earlier fact of ``spec``'s type, window and condition."""
        latest = None
        for seen, seen_when in self.seen:
            if seen["resident"] == fact["resident"] and seen["type"] == spec["fact"] \
                    and (seen_when, seen["id"]) < (when, fact["id"]) \
                    and (when.date() - seen_when.date()).days < spec["within_days"] \
                    and condition_holds(spec.get("when"), fact_values(self.ruleset, seen)):
                latest = seen["id"]
        return latest

    def _repeated(self, rule: dict, raw: int, fact: dict, when: dt.datetime) -> tuple[int, int, tuple[str, ...]]:
        """The amount for this occurrence, its number, and the earlier occurrences' fact ids."""
        repeats = rule["repeats"]
        span = RefLimit("", "", repeats.get("period"), repeats.get("days"), None, None, 0)
        by_category = repeats.get("of") == "category"
        earlier = []
        for award in self.history:
            same = award.category == rule["category"] if by_category else award.rule_id == rule["id"]
            if same and award.raw_amount and award.resident == fact["resident"] \
                    and (award.raw_amount > 0) == (raw > 0) \
                    and (award.occurred_at, award.fact_id) < (when, fact["id"]) \
                    and span.spans(award.occurred_at, when) and award.fact_id not in earlier:
                earlier.append(award.fact_id)
        occurrence = len(earlier) + 1
        if repeats.get("amounts"):
            return repeats["amounts"][min(occurrence, len(repeats["amounts"])) - 1], occurrence, tuple(earlier[-NAMED:])
        multipliers = repeats["multipliers"]
        return raw * multipliers[min(occurrence, len(multipliers)) - 1], occurrence, tuple(earlier[-NAMED:])


def score(ruleset: dict, facts: list[dict], closes_until: dt.date | None = None) -> RefResult:
    """Score ``facts`` from empty limit usage; with ``closes_until``, pay period rules for the periods ended by then.

    Where households hold the accounts, a fact's account is its household's: it stands in for the resident.
    """
    if (ruleset.get("accounts") or {}).get("held_by") == "household":
        facts = [{**f, "resident": f["household"], "member": f.get("resident")} for f in facts]
    result = ReferenceScorer(ruleset).score(facts)
    if closes_until is not None:
        residents = sorted({f["resident"] for f in facts})
        result.awards += period_awards(ruleset, result.awards, residents, closes_until)
    return result


def period_name(key: tuple) -> str:
    """How the standard writes a period: 2021-05, 2021-Q2, 2021-W07, 2021-05-03, 2021."""
    kind = key[0]
    if kind == "day":
        return key[1].isoformat()
    if kind == "week":
        year, week, _ = key[1].isocalendar()
        return f"{year}-W{week:02d}"
    if kind == "month":
        return f"{key[1]}-{key[2]:02d}"
    if kind == "quarter":
        return f"{key[1]}-Q{key[2] + 1}"
    return str(key[1])


def closed_periods(ruleset: dict, period: str, until: dt.date) -> list[tuple[tuple, dt.datetime]]:
    """Each period whose every day lies in the standard's dates and before ``until``, with its last second."""
    first = dt.date.fromisoformat(str(ruleset["effective_from"]))
    last = until - dt.timedelta(days=1)
    if ruleset.get("effective_to"):
        last = min(last, dt.date.fromisoformat(str(ruleset["effective_to"])))
    days: dict[tuple, list[dt.date]] = {}
    day = first - dt.timedelta(days=400)
    while day <= last + dt.timedelta(days=400):
        days.setdefault(period_of(period, dt.datetime.combine(day, dt.time(12), SHANGHAI)), []).append(day)
        day += dt.timedelta(days=1)
    return [(key, dt.datetime.combine(max(ds), dt.time(23, 59, 59), SHANGHAI)) for key, ds in days.items()
            if min(ds) >= first and max(ds) <= last]


def period_awards(ruleset: dict, awards: list[RefAward], residents: list[str], until: dt.date) -> list[RefAward]:
    """Every period rule's awards, period by period, from the awards of facts."""
    paid: list[tuple] = []
    for rule in [r for r in ruleset.get("period_rules") or [] if r.get("enabled", True)]:
        periods = closed_periods(ruleset, rule["period"], until)
        streak = rule.get("streak") or 1
        for resident in residents:
            good, payments = [], []
            for number, (key, last) in enumerate(periods):
                mine = [a for a in awards if a.resident == resident and a.fact_id is not None
                        and period_of(rule["period"], a.occurred_at) == key]
                ok = not any(a.raw_amount and a.category in rule.get("without", []) for a in mine)
                bound = rule.get("points")
                if bound:
                    have = sum(a.amount for a in mine if a.category == bound["category"])
                    ok = ok and (bound.get("at_least") is None or have >= bound["at_least"]) \
                        and (bound.get("at_most") is None or have <= bound["at_most"])
                good.append(ok)
                run = periods[number - streak + 1:number + 1] if number + 1 >= streak else []
                if run and all(good[number - streak + 1:]) and not any(
                        n in payments for n in range(number - streak + 1, number)):
                    payments.append(number)
                    paid.append((last, resident, rule, key, tuple(period_name(k) for k, _ in run)))
    found = []
    for last, resident, rule, key, run in sorted(paid, key=lambda item: (item[0], item[1], item[2]["id"])):
        amount = rule["award"]
        accounts = tuple(rule.get("accounts") or _accounts_of(ruleset)["awards_raise" if amount > 0
                                                                         else "deductions_lower"])
        expiry = _accounts_of(ruleset)["points_expire"]
        found.append(RefAward(
            fact_id=None, resident=resident, occurred_at=last, ruleset=f"{ruleset['id']}@{ruleset['version']}",
            rule_id=rule["id"], category=rule["category"], raw_amount=amount, amount=amount, limited_by=None,
            accounts=accounts, points_expire_on=end_of_month_after(last, expiry["after_months"])
            if expiry and amount > 0 and "points" in accounts else None, period=period_name(key), qualified=run))
    return found


def tier_of(ruleset: dict, index: int) -> str:
    for tier in ruleset.get("tiers") or []:
        low, high = tier.get("index_from"), tier.get("index_below")
        if (low is None or index >= low) and (high is None or index < high):
            return tier["id"]
    raise ValueError(f"no tier holds index {index}")


def reset_ends(ruleset: dict, every: str, until: dt.date) -> list[dt.datetime]:
    """The ends (first moment after) of the periods of ``every`` that reset: after the first day, by ``until``."""
    day = dt.date.fromisoformat(str(ruleset["effective_from"]))
    last = until
    if ruleset.get("effective_to"):
        last = min(last, dt.date.fromisoformat(str(ruleset["effective_to"])) + dt.timedelta(days=1))
    ends = []
    while day < last:
        following = day + dt.timedelta(days=1)
        if period_of(every, dt.datetime.combine(day, dt.time(12), SHANGHAI)) != \
                period_of(every, dt.datetime.combine(following, dt.time(12), SHANGHAI)):
            ends.append(dt.datetime.combine(following, dt.time(), SHANGHAI))
        day = following
    return ends


def reset_amounts(ruleset: dict, awards: list[RefAward], resident: str,
                  until: dt.date) -> list[tuple[dt.datetime, str, Decimal]]:
    """Each reset of the resident's accounts as (end, account, movement), in time order."""
    accounts = ruleset.get("accounts") or {}
    rules = {r["id"]: r for r in ruleset["rules"]}
    mine = [a for a in awards if a.resident == resident]
    made: list[tuple[dt.datetime, str, Decimal]] = []
    events = [(end, spec) for spec in accounts.get("resets") or [] for end in reset_ends(ruleset, spec["every"], until)]
    for end, reset in sorted(events, key=lambda item: (item[0], item[1]["account"])):
        account = reset["account"]
        start = _accounts_of(ruleset)["starting_index"] if account == "index" else 0
        before = start + sum(a.amount for a in mine if account in a.accounts and a.occurred_at < end) \
            + sum(amount for at, moved, amount in made if moved == account)
        to = reset.get("to")
        to = (start if account == "index" else 0) if to is None else to
        for award in mine:
            rule = rules.get(award.rule_id)
            if rule is None or not rule.get("carries_over") or account not in award.accounts \
                    or award.amount >= 0 or award.occurred_at >= end:
                continue
            if not any(award.rule_id in (rules[b.rule_id].get("lifts") or []) and award.occurred_at < b.occurred_at
                       < end for b in mine if b.rule_id in rules):
                to += award.amount
        made.append((end - dt.timedelta(seconds=1), account, to - before))
    return made


def balances(ruleset: dict, awards: list[RefAward], closes_until: dt.date | None = None,
             residents: tuple[str, ...] = ()) -> dict[str, tuple[int, int, str]]:
    """resident → (index, points, tier) for ``residents`` and those awarded, after the resets up to ``closes_until``."""
    start = _accounts_of(ruleset)["starting_index"]
    totals: dict[str, list[int]] = {resident: [start, 0] for resident in residents}
    for award in awards:
        total = totals.setdefault(award.resident, [start, 0])
        if "index" in award.accounts:
            total[0] += award.amount
        if "points" in award.accounts:
            total[1] += award.amount
    if closes_until is not None:
        for resident, total in totals.items():
            for _, account, amount in reset_amounts(ruleset, awards, resident, closes_until):
                total[0 if account == "index" else 1] += amount
    last = last_moment(ruleset, awards, closes_until, tuple(totals))
    out = {}
    for resident, (index, points) in totals.items():
        set_to = [rule["veto"]["score_to"] for rule, _ in (in_force(ruleset, awards, resident, last) if last else [])
                  if rule["veto"].get("score_to") is not None]
        score = min(set_to) if set_to else index  # 当年得分记为 0: the lowest score a veto sets
        out[resident] = (score, points, vetoed_tier(ruleset, awards, resident, tier_of(ruleset, score), last))
    return out


def last_moment(ruleset: dict, awards: list[RefAward], closes_until: dt.date | None,
                residents: tuple[str, ...]) -> dt.datetime | None:
    """When balances are read: the last award, or the last reset that moved an account if later."""
    moments = [a.occurred_at for a in awards]
    if closes_until is not None:
        moments += [at for resident in residents for at, _, amount in
                    reset_amounts(ruleset, awards, resident, closes_until) if amount]
    return max(moments, default=None)


def veto_flags(ruleset: dict, awards: list[RefAward], resident: str, closes_until: dt.date | None = None,
               residents: tuple[str, ...] = ()) -> list[str]:
    """The flags of the vetoes in force when balances are read (``last_moment``)."""
    last = last_moment(ruleset, awards, closes_until, residents or (resident,))
    return sorted({rule["veto"].get("flag") for rule, _ in in_force(ruleset, awards, resident, last)} - {None})


def in_force(ruleset: dict, awards: list[RefAward], resident: str, moment) -> list[tuple[dict, RefAward]]:
    """The resident's veto awards whose span holds ``moment`` and that no later lifting award ended."""
    rules = {r["id"]: r for r in ruleset["rules"]}
    mine = [a for a in awards if a.resident == resident and a.fact_id is not None]
    found = []
    for award in mine:
        rule = rules[award.rule_id]
        veto = rule.get("veto")
        if not veto or award.occurred_at > moment:
            continue
        day = moment_day = award.occurred_at.date()
        if veto.get("until_end_of"):
            span = period_of(veto["until_end_of"], award.occurred_at)
            ended = period_of(veto["until_end_of"], moment) != span
        else:
            index = day.year * 12 + day.month - 1 + veto["months"]
            year, month = divmod(index, 12)
            last_day = calendar.monthrange(year, month + 1)[1]
            end = dt.date(year, month + 1, min(moment_day.day, last_day))
            ended = moment.date() >= end
        lifted = any(award.rule_id in (rules[b.rule_id].get("lifts") or []) and award.occurred_at < b.occurred_at
                     <= moment for b in mine)
        if not ended and not lifted:
            found.append((rule, award))
    return found


def vetoed_tier(ruleset: dict, awards: list[RefAward], resident: str, tier: str, moment) -> str:
    """The tier after the caps of the vetoes in force: the lowest of them all, tiers ranked by index_from."""
    if moment is None:
        return tier
    ranked = sorted(ruleset["tiers"], key=lambda t: -(t["index_from"] if t.get("index_from") is not None
                                                         else -10**18))
    order = [t["id"] for t in ranked]
    for rule, _ in in_force(ruleset, awards, resident, moment):
        cap = rule["veto"].get("tier_at_most")
        if cap and order.index(cap) > order.index(tier):
            tier = cap
    return tier
