"""The ruleset language: the pydantic models a committee's YAML is validated against.

These models are the single definition of the format: the loader validates with them,
``xinzhi schema`` turns them into the JSON Schema editors use, and the compiler reads
them. Cross-references (a rule's category, a condition's field) are checked afterwards
by ``engine.checks`` because they need the whole ruleset at once.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    StrictBool,
    StrictFloat,
    StrictInt,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .amounts import Amount, Cap, Points
from .errors import ErrorCode, Problem, Refusal
from .moments import Moment

IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
Identifier = Annotated[str, Field(pattern=IDENTIFIER.pattern, description="lower-case English id")]
MOST_VERSION = 2**31 - 1  # the store's and the API's bound


def _stored_version(ref: str) -> str:
    """A version the store can hold after the ``@`` (found by attack: ``@9223372036854775808`` was a 500)."""
    if int(ref.rpartition("@")[2]) > MOST_VERSION:
        raise Refusal(f"the version after '@' is at most {MOST_VERSION}", "input.version_too_large", most=MOST_VERSION)
    return ref


RulesetRef = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,62}@[1-9][0-9]{0,18}$", description="id@version"),
                       AfterValidator(_stored_version)]
Account = Literal["index", "points"]
Holder = Literal["resident", "household"]
Period = Literal["day", "week", "month", "quarter", "year"]
FieldType = Literal["int", "number", "string", "bool", "enum", "date"]
# Strict: a quoted '3' in a ruleset is text, not a number (facts are coerced; rules are not).
Number = StrictInt | StrictFloat
Scalar = StrictInt | StrictFloat | str | StrictBool | dt.date

#: Names a fact field may not take: they are the fact's own keys, the engine's message
#: keys, or the condition combinators.
RESERVED_FIELD_NAMES = frozenset({"id", "sid", "type", "resident", "household", "occurred_at", "all", "any", "not"})


class Node(BaseModel):
    """Base of every ruleset part: forbids unknown keys and remembers where it was written."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    _origin: Any = PrivateAttr(default=None)  # (Source, path) set by the loader

    def problem(self, code: ErrorCode, message: str, *subpath: str | int, says: str | None = None,
                **params: Any) -> Problem:
        """A problem located at this node (or one of its keys) in the file it came from."""
        if self._origin is None:
            return Problem(code=code, message=message, says=says, params=params)
        source, path = self._origin
        return source.problem(code, message, path + tuple(subpath), says, **params)


class Limit(Node):
    """每月限 1 次 / 每人每月最多加 2 分: a cap per resident on points (``max``), applications (``times``) or both.

    The span is a calendar ``period`` (Asia/Shanghai) or a rolling window of ``days`` (the
    fact's own day and the days before it). A limit caps the awards, or the deductions, of
    the rules it covers: those of one sign, named by ``applies_to`` where a rule or a
    category could go both ways (``engine.checks`` refuses a limit that would cap nothing).
    """

    period: Period | None = None
    days: StrictInt | None = Field(default=None, ge=1, le=3660, description="a rolling window of this many days")
    max: Cap | None = Field(default=None, description="at most this many points (a deduction: its size)")
    times: StrictInt | None = Field(default=None, gt=0, description="at most this many applications")
    applies_to: Literal["awards", "deductions"] | None = Field(
        default=None, description="which amounts are capped; by default those the rules covered give "
                                  "(awards where they give both)")
    per: Literal["account", "member"] | None = Field(default=None, description="whose usage counts: the account "
                                                     "holder's (by default), or (where households hold the "
                                                     "accounts) each member's")

    @model_validator(mode="after")
    def _one_span_and_a_cap(self) -> Limit:
        if (self.period is None) == (self.days is None):
            raise Refusal("a limit needs either 'period' (day … year) or 'days' (a rolling window), not both",
                          "limit.span")
        if self.max is None and self.times is None:
            raise Refusal("a limit needs 'max' (points), 'times' (applications), or both", "limit.cap")
        return self

    @property
    def span(self) -> str:
        """The period's name, or ``30d`` for a rolling window of 30 days."""
        return self.period if self.period is not None else f"{self.days}d"


class Repeats(Node):
    """一年内第二次起加倍扣分: the amount by occurrence of the rule (or its category) within a span.

    Occurrence n (1 for the first in the span) gives ``amounts[n-1]`` in place of the
    rule's points, or the rule's amount × ``multipliers[n-1]``; the last entry repeats.
    """

    period: Period | None = None
    days: StrictInt | None = Field(default=None, ge=1, le=3660, description="a rolling window of this many days")
    of: Literal["rule", "category"] = Field(default="rule", description="count this rule's occurrences, or any "
                                                                          "rule's of its category")
    amounts: list[Points] | None = Field(default=None, min_length=1, max_length=50)
    multipliers: list[Annotated[StrictInt, Field(ge=1, le=1000)]] | None = Field(default=None, min_length=1,
                                                                                  max_length=50)

    @model_validator(mode="after")
    def _one_span_and_one_scale(self) -> Repeats:
        if (self.period is None) == (self.days is None):
            raise Refusal("repeats need either 'period' (day … year) or 'days' (a rolling window), not both",
                          "repeats.span")
        if (self.amounts is None) == (self.multipliers is None):
            raise Refusal("repeats need either 'amounts' (by occurrence) or 'multipliers' (of the rule's "
                          "amount), not both", "repeats.scale")
        return self


class PointsExpiry(Node):
    """Unspent points expire ``after_months`` months after the award, at that month's end."""

    after_months: int = Field(ge=1, le=240)


class Reset(Node):
    """年度清零: at the end of every ``every`` period the ``account`` is set to ``to``; without one it carries over.

    The reset happens after everything in the period (its period rules' awards too) and
    moves the account by the difference, as a ledger entry that says from what to what.
    Deductions of rules with ``carries_over`` not yet lifted are carried into the next
    period (未整改的带入下一年).
    """

    account: Account
    every: Period
    to: Points | None = Field(default=None, description="the value the account starts the next period with; "
                                                        "by default the starting index (index) or 0 (points)")


def _both_accounts() -> list[Account]:
    """Both accounts: what awards raise and deductions lower unless a ruleset says otherwise."""
    return ["index", "points"]


class Accounts(Node):
    """What a resident starts with and which accounts awards and deductions move."""

    held_by: Holder = Field(default="resident", description="who holds the accounts: each resident, or each "
                            "household (户), which every member's facts credit and which starts once at "
                            "starting_index")
    starting_index: Points = Field(default=Decimal(0))
    decimals: StrictInt = Field(default=0, ge=0, le=2, description="decimal places amounts may have "
                                "(捐款每 100 元计 0.1 分: 1); per-unit awards are cut to them")
    awards_raise: list[Account] = Field(default_factory=_both_accounts, min_length=1)
    deductions_lower: list[Account] = Field(default_factory=_both_accounts, min_length=1)
    points_expire: PointsExpiry | None = None
    spending_floor: Points = Field(default=Decimal(0), ge=0, description="points a redemption may not take the "
                                   "account below (only the points above it are spendable)")
    resets: list[Reset] = Field(default_factory=list, max_length=2, description="年度清零: accounts set back at "
                                "each period's end; an account not listed carries over (逐年累计)")

    def reset_to(self, reset: Reset) -> Decimal:
        """What ``reset`` sets its account to: its ``to``, else the starting index (index) or nothing (points)."""
        if reset.to is not None:
            return reset.to
        return self.starting_index if reset.account == "index" else Decimal(0)


class Tier(Node):
    """A band of the integrity index: ``index_from`` inclusive up to ``index_below`` exclusive."""

    id: Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_+-]{0,15}$")]
    title: str
    index_from: StrictInt | None = None
    index_below: StrictInt | None = None


class Category(Node):
    """A group of rules (社区活动, 志愿服务…); its ``limits`` cap the awards of all its rules together."""

    id: Identifier
    title: str
    description: str | None = None
    limits: list[Limit] = Field(default_factory=list)


class FieldSpec(Node):
    """One typed field of a fact type; ``min``/``max`` bound numbers, ``values`` list an enum."""

    type: FieldType
    title: str | None = None
    required: bool = True
    min: Annotated[float, Field(allow_inf_nan=False)] | None = None
    max: Annotated[float, Field(allow_inf_nan=False)] | None = None
    values: list[str] | None = None
    titles: dict[str, str] | None = Field(default=None, description="an enum's values by title (passed: 合格): an "
                                          "office's sheet may write either")
    max_length: int = Field(default=200, ge=1, le=10_000)

    @model_validator(mode="after")
    def _enum_has_values(self) -> FieldSpec:
        if self.type == "enum" and not self.values:
            raise Refusal("an enum field needs a non-empty 'values' list", "field.enum_values")
        if self.type != "enum" and self.values is not None:
            raise Refusal("'values' is only for enum fields", "field.values_not_enum")
        if self.titles is not None:
            self._check_titles(self.titles, self.values or [])
        if self.min is not None and self.max is not None and self.min > self.max:  # no value could be recorded
            raise Refusal(f"'min' ({self.min:g}) is above 'max' ({self.max:g}): no value fits",
                          "field.min_above_max", min=f"{self.min:g}", max=f"{self.max:g}")
        return self

    @staticmethod
    def _check_titles(titles: dict[str, str], values: list[str]) -> None:
        """Each title names one of the values, and reads as no other value: a sheet's cell must mean one thing."""
        unknown = [value for value in titles if value not in values]
        if unknown:
            raise Refusal(f"'titles' names {unknown[0]!r}, which is not one of the values ({', '.join(values)})",
                          "field.title_unknown_value", value=unknown[0], values="、".join(values))
        written = [title.strip() for title in titles.values()]
        clash = next((title for title in written if not title or written.count(title) > 1 or title in values), None)
        if clash is not None:
            raise Refusal(f"'titles': {clash!r} is empty, given twice, or another value's id: a cell would not say "
                          "which value it means", "field.title_ambiguous", title=clash)


class FactType(Node):
    """A kind of fact the community office records (参加社区活动, 志愿服务…), with its typed fields."""

    id: Identifier
    title: str
    names: Holder = Field(default="resident", description="who a fact of this type is about: a resident, or a "
                          "household as a whole (a courtyard inspection), which names no member")
    charged_to_role: Identifier | None = Field(default=None, description="where residents hold the accounts: a "
                                               "household fact names no resident and is charged to the household's "
                                               "member with this community role (e.g. head: 户主)")
    fields: dict[Identifier, FieldSpec] = Field(default_factory=dict, max_length=200)


class Comparison(Node):
    """Tests on one field; several keys in one comparison must all hold."""

    is_: Scalar | None = Field(default=None, alias="is")
    is_not: Scalar | None = None
    above: Number | dt.date | None = None
    at_least: Number | dt.date | None = None
    below: Number | dt.date | None = None
    at_most: Number | dt.date | None = None
    in_: list[Scalar] | None = Field(default=None, alias="in", min_length=1)
    not_in: list[Scalar] | None = Field(default=None, min_length=1)
    present: bool | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> Comparison:
        if not self.model_fields_set:
            raise Refusal("a comparison needs at least one of: is, is_not, above, at_least, "
                          "below, at_most, in, not_in, present", "comparison.empty")
        return self


def _field_test_kind(value: Any) -> str:
    return "comparison" if isinstance(value, (dict, Comparison)) else "value"


FieldTest = Annotated[
    Annotated[Scalar, Tag("value")] | Annotated[Comparison, Tag("comparison")],
    Discriminator(_field_test_kind),
]


class Condition(Node):
    """``field: value`` pairs (all must hold), plus ``all`` / ``any`` / ``not`` groups.

    A bare value means equality (``result: passed``); a mapping is a ``Comparison``
    (``hours: {at_least: 1}``).
    """

    model_config = ConfigDict(extra="allow", populate_by_name=True)
    __pydantic_extra__: dict[str, FieldTest] = Field(init=False)

    all_: list[Condition] | None = Field(default=None, alias="all", min_length=1)
    any_: list[Condition] | None = Field(default=None, alias="any", min_length=1)
    not_: Condition | None = Field(default=None, alias="not")

    @model_validator(mode="after")
    def _not_empty(self) -> Condition:
        if not self.model_fields_set and not self.model_extra:
            raise Refusal("an empty condition tests nothing; name a field, or use all / any / not", "condition.empty")
        return self


class AwardTable(Node):
    """Look a field's value up: e.g. satisfaction 5→5, 4→3, 3→1, anything else → ``else``."""

    field: Identifier
    values: dict[int | str, Points] = Field(min_length=1)
    else_: Points = Field(default=Decimal(0), alias="else")


class AwardSpec(Node):
    """Exactly one form: ``points`` (fixed), ``points`` + ``per`` (per unit), or ``table``.

    Negative points are deductions. Per-unit amounts are cut toward zero to the ruleset's decimals;
    with ``every`` only whole blocks count (捐款每 100 元计 0.1 分: 250 元 is two blocks, 0.2).
    """

    points: Points | None = None
    per: Identifier | None = None
    every: Annotated[StrictInt | StrictFloat, Field(gt=0, le=1_000_000_000)] | None = Field(
        default=None, description="with 'per': points for every this many units, whole blocks only")
    table: AwardTable | None = None

    @model_validator(mode="after")
    def _one_form(self) -> AwardSpec:
        if (self.table is None) == (self.points is None):
            raise Refusal("an award needs either 'points' (optionally with 'per') or 'table', not both",
                          "award.one_form")
        if self.per is not None and self.points is None:
            raise Refusal("'per' needs 'points' (points per unit)", "award.per_without_points")
        if self.every is not None and self.per is None:
            raise Refusal("'every' needs 'per' (the field whose units it counts in blocks)", "award.every_without_per")
        return self


class Reaches(Node):
    """全年累计志愿服务满 50 小时加 20 分: the rule pays once per period, on the fact whose total reaches ``at_least``.

    The total is the sum of field ``sum`` (or, without it, the number of facts) over the
    resident's facts in the calendar ``period`` that the rule's ``fact`` and ``when`` match.
    """

    period: Period
    sum: Identifier | None = Field(default=None, description="a numeric field to add up; without it, facts count")
    at_least: StrictInt | StrictFloat = Field(gt=0, le=1_000_000_000)


class Earlier(Node):
    """调解后再次…: an earlier fact of the same resident, of type ``fact`` meeting ``when``, within ``within_days``.

    Earlier means before in (occurred_at, id) order, on one of the ``within_days`` local
    days ending with the scored fact's day.
    """

    fact: Identifier = Field(description="the earlier fact's type")
    when: Condition | None = None
    within_days: StrictInt = Field(ge=1, le=3660)


class Veto(Node):
    """一票否决: the fact caps the tier, sets the score and/or sets a named flag, until a period ends or for N months.

    A later fact of a rule that ``lifts`` this one ends it (its own award is what the veto
    converts into, e.g. −60 after rectification with a written pledge).
    """

    tier_at_most: str | None = Field(default=None, description="the best tier the resident may have meanwhile")
    score_to: Points | None = Field(default=None, description="the index the resident is shown meanwhile "
                                                              "(当年得分记为 0: 0), and the tier follows it")
    flag: Identifier | None = Field(default=None, description="a named flag, e.g. commendation_ineligible")
    until_end_of: Period | None = Field(default=None, description="until the end of the calendar period of the fact")
    months: StrictInt | None = Field(default=None, ge=1, le=120, description="or for this many months from the fact")

    @model_validator(mode="after")
    def _what_and_how_long(self) -> Veto:
        if self.tier_at_most is None and self.flag is None and self.score_to is None:
            raise Refusal("a veto caps the tier ('tier_at_most'), sets the score ('score_to') and/or sets a 'flag'",
                          "veto.does_nothing")
        if (self.until_end_of is None) == (self.months is None):
            raise Refusal("say how long: 'until_end_of' (a period) or 'months', one of them", "veto.how_long")
        return self


class Rule(Node):
    """One scoring rule: a fact of type ``fact`` that meets ``when`` earns (or loses) ``award``, within ``limits``."""

    id: Identifier
    title: str
    category: Identifier
    fact: Identifier = Field(description="the fact type this rule scores")
    when: Condition | None = None
    award: AwardSpec
    limits: list[Limit] = Field(default_factory=list)
    repeats: Repeats | None = Field(default=None, description="repeat offences: the amount by occurrence")
    reaches: Reaches | None = Field(default=None, description="a threshold on the period's total: paid once")
    after: Earlier | None = Field(default=None, description="counts only after such an earlier fact")
    not_after: Earlier | None = Field(default=None, description="counts only if there is no such earlier fact")
    accounts: list[Account] | None = Field(default=None, min_length=1,
                                           description="override the ruleset's accounts for this rule")
    enabled: bool = True
    note: str | None = Field(default=None, description="where the value comes from; say if illustrative")
    review: Literal["committee"] | None = Field(
        default=None, description="'committee': awards are pending (not spendable, not in the index) until approved")
    exclusive: Identifier | None = Field(
        default=None, description="rows of one item (同一事项按最高一档计分): of the rules sharing this name that "
                                  "match one fact, only the largest award (or deduction) counts")
    veto: Veto | None = Field(default=None, description="一票否决: cap the tier or set a flag for a while")
    lifts: list[Identifier] = Field(default_factory=list, max_length=50,
                                    description="rules whose vetoes (and carried deductions) a fact of this rule "
                                                "ends (e.g. rectification)")
    carries_over: StrictBool = Field(default=False, description="未整改的带入下一年: at a reset of its accounts the "
                                     "deduction is carried into the next period until a fact of a rule that lifts it")


class PeriodPoints(Node):
    """A period's points of one category: at least and/or at most this many."""

    category: Identifier
    at_least: Points | None = None
    at_most: Points | None = None

    @model_validator(mode="after")
    def _a_bound(self) -> PeriodPoints:
        if self.at_least is None and self.at_most is None:
            raise Refusal("say 'at_least' or 'at_most' (or both)", "period_points.bound")
        return self


class PeriodRule(Node):
    """连续 12 个月无违规加 10 分: paid when a period closes, from the awards of the resident's facts in it.

    ``without`` lists categories of which the period held no award or deduction; ``points``
    bounds a category's points. ``streak: N`` asks that of N consecutive periods and pays on
    every Nth of a run.
    """

    id: Identifier
    title: str
    category: Identifier
    period: Period
    without: list[Identifier] = Field(default_factory=list, max_length=50,
                                      description="categories with no award or deduction in the period")
    points: PeriodPoints | None = Field(default=None, description="a category's points in the period")
    streak: StrictInt = Field(default=1, ge=1, le=120, description="consecutive periods that must qualify")
    award: Points = Field(description="the points paid for a qualifying period (negative: a deduction)")
    accounts: list[Account] | None = Field(default=None, min_length=1,
                                           description="override the ruleset's accounts for this rule")
    enabled: bool = True
    note: str | None = Field(default=None, description="where the value comes from; say if illustrative")

    @model_validator(mode="after")
    def _a_condition(self) -> PeriodRule:
        if not self.without and self.points is None:
            raise Refusal("a period rule needs 'without' (categories) or 'points' (a category's bound)",
                          "period_rule.condition")
        if not self.award:
            raise Refusal("'award' of 0 pays nothing", "period_rule.zero")
        return self


class RuleOverride(Node):
    """Changes a parent's rule in an extending ruleset; unset keys keep the parent's value."""

    rule: Identifier
    title: str | None = None
    when: Condition | None = None
    award: AwardSpec | None = None
    limits: list[Limit] | None = None
    repeats: Repeats | None = None
    reaches: Reaches | None = None
    after: Earlier | None = None
    not_after: Earlier | None = None
    veto: Veto | None = None
    lifts: list[Identifier] | None = None
    carries_over: StrictBool | None = None
    enabled: bool | None = None
    note: str | None = None


class ExpectedAward(Node):
    """An award the test expects: fact (or closed period), rule, amount after limits (and the limit that cut it)."""

    fact: str | None = None
    period: str | None = Field(default=None, description="a period rule's period, e.g. '2021-12'")
    rule: Identifier
    amount: Amount
    limited_by: str | None = Field(default=None, description="e.g. 'rule:garbage_sorting/month'")

    @model_validator(mode="after")
    def _fact_or_period(self) -> ExpectedAward:
        if (self.fact is None) == (self.period is None):
            raise Refusal("an expected award names either its 'fact' or its 'period'", "expected.fact_or_period")
        return self


class ExpectedBalance(Node):
    """A resident's balance the test expects after its facts; the parts left out are not checked."""

    index: Amount | None = None
    points: Amount | None = None
    tier: str | None = None
    flags: list[str] | None = Field(default=None, description="the vetoes' flags in force after the facts")


class Expectation(Node):
    """What the test expects: exactly these awards, and/or these residents' balances."""

    awards: list[ExpectedAward] | None = None
    balances: dict[str, ExpectedBalance] | None = None


def someone_named(resident: str | None, info: ValidationInfo) -> str | None:
    """A fact is about someone: its resident, or (a household fact) its household; the problem is at ``resident``."""
    if resident is None and info.data.get("household") is None:
        raise Refusal("a fact names its resident (or, for a household fact, its household)", "fact.nobody")
    return resident


class FactIn(Node):
    """A fact as written in a ruleset test or a facts file."""

    id: Annotated[str, Field(min_length=1, max_length=128)]
    type: Identifier
    household: Annotated[str, Field(min_length=1, max_length=128)] | None = None
    resident: Annotated[str, Field(min_length=1, max_length=128)] | None = Field(default=None, validate_default=True)
    occurred_at: Moment
    fields: dict[str, Any] = Field(default_factory=dict)

    _someone = field_validator("resident")(classmethod(lambda cls, resident, info: someone_named(resident, info)))


class RulesetTest(Node):
    """A test that must pass before publication: its facts, scored from empty accounts, give what ``expect`` says."""

    name: str
    facts: list[FactIn] = Field(min_length=1)
    closes_until: dt.date | None = Field(default=None, description="close the periods that end by this day "
                                                                   "(period rules pay for them)")
    expect: Expectation


class Ruleset(Node):
    """A committee's scoring standard (评定标准), as written or as resolved after ``extends``."""

    id: Identifier
    version: StrictInt = Field(ge=1, le=MOST_VERSION)
    title: str
    community: str
    effective_from: dt.date
    effective_to: dt.date | None = None
    description: str | None = None
    extends: RulesetRef | None = None
    accounts: Accounts | None = None
    tiers: list[Tier] | None = None
    categories: list[Category] = Field(default_factory=list)
    fact_types: list[FactType] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)
    period_rules: list[PeriodRule] = Field(default_factory=list,
                                           description="rules paid when a period closes (streaks, absences)")
    overrides: list[RuleOverride] = Field(default_factory=list)
    tests: list[RulesetTest] = Field(default_factory=list)
    publicity_days: int | None = Field(default=None, ge=0, le=90,
                                       description="days an approved reviewed award stays on the public board for "
                                                   "objections")
    unknown_fact_types: Literal["refuse", "ignore"] | None = Field(
        default=None, description="a fact of a type this standard does not define: refused (the default), or "
                                  "ignored and counted (a call may also ask to ignore)")

    _lineage: tuple[str, ...] = PrivateAttr(default=())

    @property
    def ref(self) -> str:
        """``id@version``: how ``extends``, the registry and every award name this ruleset."""
        return f"{self.id}@{self.version}"

    @property
    def lineage(self) -> tuple[str, ...]:
        """This ruleset's ref followed by each ancestor it was resolved from."""
        return self._lineage or (self.ref,)
