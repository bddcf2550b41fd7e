"""Replaying one chunk of households' facts under one ruleset: what a what-if worker does.

Work is partitioned by household (limits, tiers and redemptions are per account holder, a
resident or a household, so the partition is exact whichever holds the accounts); a
resident of no household is a household of one. A chunk's outcome does not depend on which
worker scored it or alongside what (``simulations.shards`` runs the chunks and adds up their
summaries).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import cast

import xinzhi.rulesets
from xinzhi.clock import month_of
from xinzhi.engine import (
    MATCHER,
    SHANGHAI,
    AccountReset,
    Award,
    CompiledRuleset,
    DirectorySource,
    Fact,
    FactError,
    Loader,
    MemorySource,
    RuleMatcher,
    Ruleset,
    RulesetSource,
    add_months,
    balances,
    closing_awards,
    closing_resets,
    evaluate,
)

from .population import (
    Scenario,
    Shop,
)

REPO_RULESETS = Path(xinzhi.rulesets.__file__).resolve().parent
CHUNK_SIZE = 200
MATCHER_NAME = "durable-rules"

#: The columns of a month's tally (``ChunkOutcome.monthly``): points issued, deducted, redeemed in the
#: shop, outstanding at the month's end (positive balances), expired at its end, and the awards (count
#: and points) of rules under committee review.
ISSUED, DEDUCTED, REDEEMED, OUTSTANDING, EXPIRED, HELD, HELD_POINTS = range(7)
MONTH_COLUMNS = 7

Progress = Callable[[str, int, int], None]
_ZERO = Decimal(0)

#: What scores a chunk's valid facts: ``evaluate``'s awards through a matcher, or the bulk path's (``shards``).
AwardsOf = Callable[[CompiledRuleset, list[Fact]], list[Award]]


def engine_awards(compiled: CompiledRuleset, facts: list[Fact], matcher: RuleMatcher = MATCHER) -> list[Award]:
    """The engine's awards for the facts, matched by ``matcher``."""
    return evaluate(compiled, facts, matcher=matcher).awards


# ---------------------------------------------------------------- rulesets

@dataclass(frozen=True)
class ReplayRuleset:
    """One side's ruleset: its text, the name its problems are reported under, and its ``extends`` parents.

    The parents are found in a directory for a file, in memory for a registry version.
    The ruleset travels to every worker process, which compiles it there through the engine's loader;
    nothing is written to disk for a worker to read back.
    """

    name: str
    text: str
    parents: RulesetSource = field(default_factory=MemorySource)

    @classmethod
    def from_file(cls, path: str | Path, search: Iterable[str | Path] = ()) -> ReplayRuleset:
        """A ruleset file; parents beside it, then in ``search``, then among the repository's rulesets."""
        path = Path(path)
        dirs = [str(path.resolve().parent), *(str(Path(d).resolve()) for d in search), str(REPO_RULESETS)]
        return cls(name=str(path), text=path.read_text(encoding="utf-8"),
                   parents=DirectorySource(*dict.fromkeys(dirs)))

    @property
    def digest(self) -> str:
        """SHA-256 of the text: the report names exactly what was run."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def portable(self) -> ReplayRuleset:
        """The same ruleset with its parents' texts in memory: what a worker on any machine can compile."""
        if isinstance(self.parents, MemorySource):
            return self
        resolved = Loader(self.parents).run(self.text, self.name, until="resolve")
        return ReplayRuleset(name=self.name, text=self.text, parents=MemorySource(dict(resolved.parents)))

    def load(self) -> Ruleset:
        """Load, resolve and check (raises ``RulesetError`` with every problem). Registers nothing."""
        return Loader(self.parents).load(self.text, self.name)

    def compile(self) -> CompiledRuleset:
        """Compiled once per process (each worker compiles its side once)."""
        return Loader(self.parents).compile(self.text, self.name)


# ---------------------------------------------------------------- what a chunk returns

@dataclass
class ResidentOutcome:
    """One resident's end state under one ruleset."""

    index: Decimal
    points: Decimal
    tier: str
    earned: Decimal = Decimal(0)    # positive points awarded
    deducted: Decimal = Decimal(0)  # points taken by deductions (positive number)
    redeemed: Decimal = Decimal(0)  # points spent in the shop
    expired: Decimal = Decimal(0)   # unspent points that expired (accounts.points_expire) within the months
    redeemed_yuan: Decimal = Decimal(0)  # what the shop's redemptions cost it, exactly
    redemptions: int = 0
    facts: int = 0
    rule_amounts: dict[str, Decimal] = field(default_factory=dict)  # rule -> net amount
    rule_awards: dict[str, int] = field(default_factory=dict)    # rule -> number of awards
    rule_paid: dict[str, int] = field(default_factory=dict)      # rule -> awards with a non-zero amount
    rule_bound: dict[str, int] = field(default_factory=dict)     # rule -> awards cut by a limit
    rule_cut: dict[str, Decimal] = field(default_factory=dict)   # rule -> points cut by limits
    limits_bound: dict[str, int] = field(default_factory=dict)   # 'rule:x/month' -> times it bound

    @property
    def balance(self) -> Decimal:
        """Points still held at the end: after redemptions and expiry."""
        return self.points - self.redeemed - self.expired


@dataclass
class ChunkOutcome:
    """What a worker sends back for one chunk of residents; chunks are merged in chunk order.

    ``residents`` has every resident of the chunk. Where households hold the accounts, a
    member's outcome is what their own facts earned, with the household's index and tier,
    and ``households`` has the accounts themselves (and the shop's visits).
    """

    residents: dict[str, ResidentOutcome]
    households: dict[str, ResidentOutcome]
    monthly: dict[str, list[Decimal]]   # month -> its tally, MONTH_COLUMNS long (ISSUED … HELD_POINTS)
    facts: int
    awards: int
    rejected: dict[str, int]
    fact_types: dict[str, int]  # facts scored, by type: a rule whose type never came is one nothing tested


@dataclass
class ResidentInfo:
    """What the report groups a resident by, known before any fact is scored."""

    zone: str
    origin: str
    roles: tuple[str, ...]
    household: str | None = None


# ---------------------------------------------------------------- sources of facts

@dataclass(frozen=True)
class ScenarioSource:
    """Synthetic facts: each worker regenerates them, so only resident ids cross processes."""

    scenario: Scenario
    seed: int


@dataclass(frozen=True)
class FactsSource:
    """Recorded facts; ``residents`` (zones, roles) and ``months`` when known (e.g. from the store)."""

    facts: tuple[dict, ...]
    name: str
    residents: dict[str, ResidentInfo] | None = None
    months: tuple[str, ...] | None = None


def household_types(ruleset: Ruleset) -> frozenset[str]:
    """The fact types a standard keeping accounts per household says are the household's own."""
    if not _held_by_household(ruleset):
        return frozenset()
    return frozenset(t.id for t in ruleset.fact_types if t.names == "household")


def as_household_fact(fact: dict, own: frozenset[str], households: dict[str, str]) -> dict:
    """A synthetic fact of a type that is the household's own names the household, no member.

    The population draws such facts for the head of each household (an activity ``per: household``).
    """
    if fact["type"] not in own:
        return fact
    named = {k: v for k, v in fact.items() if k != "resident"}
    return {**named, "household": households[fact["resident"]]}


def _held_by_household(ruleset: Ruleset) -> bool:
    return ruleset.accounts is not None and ruleset.accounts.held_by == "household"


def _with_household(fact: dict, households: dict[str, str]) -> dict:
    """A member's fact names the household the member is registered in, unless it names one itself."""
    resident = fact.get("resident")
    if fact.get("household") or not isinstance(resident, str) or resident not in households:
        return fact
    return {**fact, "household": households[resident]}


class Readings:
    """The facts of a chunk as the first standard read them, kept for the second where both read a type alike.

    The two standards of a what-if mostly define the same fact types, and reading (validating)
    each fact twice was a third of a bulk run's time. A type is read alike where both define it
    equally and keep their accounts alike; readings are kept by position in the chunk's list,
    which both sides are given in the same order.
    """

    def __init__(self, alike: frozenset[str], size: int) -> None:
        self.alike = alike  # ``read_alike``: worked out once a run, not once a chunk
        self.read: list[Fact | FactError | None] = [None] * size


def read_alike(first: Ruleset, second: Ruleset) -> frozenset[str]:
    """The fact types two standards define equally, where they also keep their accounts alike."""
    if _held_by_household(first) != _held_by_household(second):
        return frozenset()
    theirs = {t.id: t.model_dump() for t in second.fact_types}  # as written: not where it was written
    return frozenset(t.id for t in first.fact_types if theirs.get(t.id) == t.model_dump())


def score_chunk(compiled: CompiledRuleset, residents: list[str], facts: list[dict], months: list[str], *,
                households: dict[str, str] | None = None, shop: Shop | None = None,
                zones: dict[str, str] | None = None, seed: int = 0,
                awards_of: AwardsOf = engine_awards, readings: Readings | None = None) -> ChunkOutcome:
    """Score one chunk's facts (all of its households' facts) and play out the shop visits.

    ``households`` maps the chunk's residents to the household each is registered in; where
    households hold the accounts, a member's fact that names no household is the registered one's.
    """
    households = households or {}
    by_household = _held_by_household(compiled.ruleset)
    valid: list[Fact] = []
    rejected: Counter[str] = Counter()
    for position, raw in enumerate(facts):
        shared = readings is not None and raw.get("type") in readings.alike
        read = readings.read[position] if readings is not None and shared else None
        if read is None:
            try:
                read = compiled.validator.validate(_with_household(raw, households) if by_household else raw)
            except FactError as exc:
                read = exc
            if readings is not None and shared:
                readings.read[position] = read
        if isinstance(read, FactError):
            code = read.problems[0].code if read.problems else "invalid"
            rejected[f"{raw.get('type', '?')}: {code}"] += 1
        else:
            valid.append(read)
    holders = sorted(set(households.values()) | {f.resident for f in valid}) if by_household else residents
    awards = awards_of(compiled, valid)
    resets: list[AccountReset] = []
    until = dt.date.min
    if months:  # period rules pay for the replayed months' periods, every account; then accounts reset
        first = dt.date.fromisoformat(f"{months[0]}-01")
        until = add_months(dt.date.fromisoformat(f"{months[-1]}-01"), 1)
        awards += closing_awards(compiled, awards, holders, first, until)
        resets = closing_resets(compiled, awards, holders, first, until, moving_only=False)
    totals = balances(compiled.ruleset, awards, residents=holders, resets=[r for r in resets if r.amount])
    per: dict[str, list] = {holder: [] for holder in holders}
    for award in awards:
        per.setdefault(award.resident, []).append(award)
    fact_counts = Counter(f.resident for f in valid)
    monthly = {m: [Decimal(0)] * MONTH_COLUMNS for m in months}
    reviewed = reviewed_rules(compiled.ruleset)
    # expiry is replayed only where some points expire on a day of the months (a what-if shorter than the
    # standard's expiry has none, and its workers never load the ledger's code)
    expiring = any(a.points_expire_on is not None and a.points_expire_on < until for a in awards)
    points_reset: dict[str, dict[str, Decimal]] = {}  # holder → month → what a reset leaves
    for reset in resets:
        if reset.account == "points":
            points_reset.setdefault(reset.resident, {})[month_of(reset.period.last_moment)] = reset.after
    accounts: dict[str, ResidentOutcome] = {}
    for holder in sorted(per):
        bal = totals[holder]
        out = ResidentOutcome(index=bal.index, points=bal.points, tier=bal.tier, facts=fact_counts.get(holder, 0))
        by_month = _tally(out, per[holder])
        for month, (earned, deducted) in by_month.items():
            if month in monthly:
                monthly[month][ISSUED] += earned
                monthly[month][DEDUCTED] += deducted
        held = [a for a in per[holder] if held_for_review(a, reviewed)] if reviewed else []
        for award in held:
            month = month_of(award.occurred_at)
            if month in monthly:
                monthly[month][HELD] += 1
                monthly[month][HELD_POINTS] += award.amount
        _shop_visits(out, holder, {m: e - d for m, (e, d) in by_month.items()}, months, monthly, shop,
                     (zones or {}).get(holder, ""), seed, points_reset.get(holder, {}),
                     Expiring.of(per[holder], months) if expiring else None)
        accounts[holder] = out
    members = _members(residents, households, accounts, awards, valid) if by_household else accounts
    return ChunkOutcome(residents=members, households=accounts if by_household else {}, monthly=monthly,
                        facts=len(valid) + sum(rejected.values()), awards=len(awards), rejected=dict(rejected),
                        fact_types=dict(Counter(f.type for f in valid)))


def reviewed_rules(ruleset: Ruleset) -> frozenset[str]:
    """The rules whose awards the committee reviews (``review: committee``)."""
    return frozenset(rule.id for rule in ruleset.rules if rule.review == "committee")


def held_for_review(award: Award, reviewed: frozenset[str]) -> bool:
    """Whether the store would hold this award for the committee (as ``xinzhi.review`` does: a non-zero amount).

    Such an award is scored and counted here as if approved; the report counts them apart as
    the committee's workload and the points that wait on its decision.
    """
    return award.rule_id in reviewed and bool(award.amount)


def _moves_points(award: Award) -> bool:
    return "points" in award.accounts and bool(award.amount)


def _tally(out: ResidentOutcome, awards: Iterable[Award]) -> dict[str, list[Decimal]]:
    """Add the awards to ``out`` rule by rule; the points earned and deducted, by month.

    Every award of a city passes here, so each is read once into locals and ``_moves_points``
    is written out: this loop was a tenth of a bulk run.
    """
    by_month: dict[str, list[Decimal]] = {}  # month → [earned, deducted]
    per_rule: dict[str, list] = {}  # rule → [net amount, awards, paid, bound, cut]: one lookup an award
    for award in awards:
        amount = award.amount
        sums = per_rule.get(award.rule_id)
        if sums is None:
            sums = per_rule[award.rule_id] = [_ZERO, 0, 0, 0, _ZERO]
        sums[0] += amount
        sums[1] += 1
        limited_by = award.limited_by
        if limited_by:
            sums[3] += 1
            sums[4] += award.raw_amount - amount
            out.limits_bound[limited_by] = out.limits_bound.get(limited_by, 0) + 1
        if not amount:
            continue
        sums[2] += 1
        if "points" not in award.accounts:
            continue
        month = month_of(award.occurred_at)
        moved = by_month.get(month)
        if moved is None:
            moved = by_month[month] = [_ZERO, _ZERO]
        if amount > 0:
            out.earned += amount
            moved[0] += amount
        else:
            out.deducted -= amount
            moved[1] -= amount
    for rule, (net, count, paid, bound, cut) in per_rule.items():
        out.rule_amounts[rule] = out.rule_amounts.get(rule, Decimal(0)) + net
        out.rule_awards[rule] = out.rule_awards.get(rule, 0) + count
        if paid:
            out.rule_paid[rule] = out.rule_paid.get(rule, 0) + paid
        if bound:
            out.rule_bound[rule] = out.rule_bound.get(rule, 0) + bound
            out.rule_cut[rule] = out.rule_cut.get(rule, Decimal(0)) + cut
    return by_month


def _members(residents: list[str], households: dict[str, str], accounts: dict[str, ResidentOutcome],
             awards: list[Award], valid: list[Fact]) -> dict[str, ResidentOutcome]:
    """Each member's part where households hold the accounts: their own awards, their household's index and tier.

    A household's own facts (which name no member) are in its account and in no member's part;
    the shop's visits are the household's.
    """
    mine: dict[str, list[Award]] = {}
    home: dict[str, str] = dict(households)
    for award in awards:
        if award.member is not None:
            mine.setdefault(award.member, []).append(award)
            home.setdefault(award.member, award.resident)
    fact_counts = Counter(f.member for f in valid if f.member is not None)
    members: dict[str, ResidentOutcome] = {}
    for rid in sorted(set(residents) | set(mine)):
        account = accounts.get(home.get(rid, ""))
        out = ResidentOutcome(index=account.index if account else Decimal(0), points=Decimal(0),
                              tier=account.tier if account else "", facts=fact_counts.get(rid, 0))
        _tally(out, mine.get(rid, []))
        out.points = out.earned - out.deducted
        members[rid] = out
    return members


def _month_end(month: str) -> dt.datetime:
    """The midnight (Shanghai) that ends ``month``: its points expiring on its last day are gone from then."""
    return dt.datetime.combine(add_months(dt.date.fromisoformat(f"{month}-01"), 1), dt.time(), SHANGHAI)


@dataclass
class Expiring:
    """One account's points movements replayed month by month through the store's own expiry.

    ``xinzhi.ledger.simulate`` is the one definition the ledger's expiry job uses: every decrease
    (a deduction, a redemption) spends the earliest-expiring points first, an award first pays back
    a negative balance, and points expiring on a day are gone from the next midnight. The amounts
    and expiry dates are the engine's (``Award.points_expire_on``). The shop visits at the month's
    last moment, so it may spend points that expire that day; what is left of them then expires.
    """

    moves: dict[str, list[tuple[dt.datetime, Decimal, dt.date | None]]]  # by month, in time order
    first: dt.date  # the earliest day any of them expires: no month ending before it needs a replay
    done: list[tuple[dt.datetime, Decimal, dt.date | None]] = field(default_factory=list)
    expired: Decimal = Decimal(0)  # so far

    @classmethod
    def of(cls, awards: Iterable[Award], months: list[str]) -> Expiring:
        """The points movements of the account's awards in ``months``, as the shop's balance counts them."""
        moves: dict[str, list[tuple[dt.datetime, Decimal, dt.date | None]]] = {}
        for award in sorted((a for a in awards if _moves_points(a)), key=lambda a: a.occurred_at):
            moves.setdefault(month_of(award.occurred_at), []).append(
                (award.occurred_at, award.amount, award.points_expire_on))
        kept = {m: moves[m] for m in months if m in moves}
        return cls(moves=kept, first=min((day for month in kept.values() for _, _, day in month if day is not None),
                                         default=dt.date.max))

    def month_end(self, month: str, redeemed: Decimal) -> Decimal:
        """The points that expire at the end of ``month``, whose shop visit spent ``redeemed``."""
        end = _month_end(month)
        self.done += self.moves.get(month, [])
        if redeemed:
            self.done.append((end - dt.timedelta(microseconds=1), -redeemed, None))
        if self.first >= end.date():  # nothing expires before this month ends
            return Decimal(0)
        from xinzhi.ledger import simulate  # here: only a run in which points expire loads the ledger's code

        # simulate's signature says int points; the ledger gives it its Decimal amounts, and so do we
        expired, _ = simulate(cast(list[tuple[dt.datetime, int, dt.date | None]], self.done), end)
        total = Decimal(sum(expired.values()))
        gone, self.expired = total - self.expired, total
        return gone


def _shop_visits(out: ResidentOutcome, rid: str, by_month: dict[str, Decimal], months: list[str],
                 monthly: dict[str, list[Decimal]], shop: Shop | None, zone: str, seed: int,
                 points_reset: dict[str, Decimal], expiring: Expiring | None = None) -> None:
    """Month by month: add the month's points, maybe spend some at month end, expire, record liability.

    A month whose end resets the points (清零) ends with what the reset leaves, whatever was spent
    (a standard cannot both reset and expire points). Points expiring at a month's end are gone
    after its shop visit (``Expiring``).

    The resident's draws come from their own stream and the same number of draws is made
    every month whatever the balance, so baseline and candidate see the same luck.
    """
    draw = random.Random(f"{seed}:shop:{rid}").random
    chance = shop.redeem_probability_per_month * shop.zone.get(zone, 1.0) if shop is not None else 0.0
    balance = _ZERO
    for month in months:
        balance += by_month.get(month, _ZERO)
        spent = _ZERO
        if shop is not None:
            visit = draw() < chance
            picks = [draw() for _ in range(shop.max_items_per_visit)]
            if visit:
                for pick in picks:
                    affordable = [i for i in shop.items if i.price_points <= balance]
                    if not affordable:
                        break
                    item = affordable[int(pick * len(affordable))]
                    balance -= item.price_points
                    spent += item.price_points
                    out.redeemed_yuan += Decimal(str(item.cost_yuan))
                    out.redemptions += 1
        out.redeemed += spent
        monthly[month][REDEEMED] += spent
        balance = points_reset.get(month, balance)
        if expiring is not None:
            gone = expiring.month_end(month, spent)
            balance -= gone
            out.expired += gone
            monthly[month][EXPIRED] += gone
        monthly[month][OUTSTANDING] += max(balance, _ZERO)


# ---------------------------------------------------------------- the run

def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


@dataclass(frozen=True)
class Households:
    """The residents grouped so that no account is split between chunks, whoever holds the accounts.

    A resident, the household they are registered in and every household their facts name are
    one unit (a resident of no household is a unit alone); a unit is named by its first id.
    """

    registered: dict[str, str]       # resident -> the household they are registered in (or a fact names)
    units: dict[str, list[str]]      # unit -> its residents, sorted
    unit_of: dict[str, str]          # 'r:' resident or 'h:' household -> its unit

    @classmethod
    def of(cls, info: dict[str, ResidentInfo], facts: Iterable[dict] = ()) -> Households:
        """Union-find over residents and households: linear in residents and facts, whatever their order."""
        parent: dict[str, str] = {}

        def root(key: str) -> str:
            parent.setdefault(key, key)
            while parent[key] != key:
                parent[key] = parent[parent[key]]
                key = parent[key]
            return key

        def join(a: str, b: str) -> None:
            ra, rb = root(a), root(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)

        registered: dict[str, str] = {rid: r.household for rid, r in info.items() if r.household}
        nobody = False  # a fact that names neither a resident nor a household: scored (and refused) alone
        for rid in info:
            root(f"r:{rid}")
        for rid, home in registered.items():
            join(f"r:{rid}", f"h:{home}")
        for fact in facts:
            resident, household = fact.get("resident"), fact.get("household")
            if resident is not None:
                root(f"r:{resident}")
            if household is not None:
                root(f"h:{household}")
                if resident is not None:
                    join(f"r:{resident}", f"h:{household}")
                    registered.setdefault(str(resident), str(household))
            nobody = nobody or (resident is None and household is None)
        unit_of = {key: root(key) for key in parent}
        units: dict[str, list[str]] = {}
        for key in sorted(parent):
            members = units.setdefault(root(key), [])
            if key.startswith("r:"):
                members.append(key[2:])
        if nobody:
            units[""] = []
        return cls(registered=registered, units=units, unit_of=unit_of)

    def unit(self, fact: dict) -> str:
        """The unit whose chunk scores a fact."""
        household, resident = fact.get("household"), fact.get("resident")
        if household is not None:
            return self.unit_of[f"h:{household}"]
        return self.unit_of[f"r:{resident}"] if resident is not None else ""


def fact_months(facts: Iterable[dict]) -> list[str]:
    """Every month (Shanghai time) from the first fact's to the last's."""
    seen = set()
    for fact in facts:
        try:
            moment = dt.datetime.fromisoformat(str(fact.get("occurred_at")))
        except ValueError:
            continue
        moment = moment.astimezone(SHANGHAI) if moment.tzinfo else moment
        seen.add((moment.year, moment.month))
    if not seen:
        return []
    (year, month), last = min(seen), max(seen)
    months = []
    while (year, month) <= last:
        months.append(f"{year}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months
