"""What a shard of residents adds to a what-if report, and how shards add up.

A worker scores its shard's households under both standards, a chunk at a time, and keeps
only this: sums, counts, the few residents who gain or lose most, and the spread of amounts
as value → how many (exact quantiles, medians and Gini from a few thousand distinct amounts,
whatever the population). Adding two summaries is exact and order-free — Decimals, integers,
counters, and top lists ordered by a total key — so a report does not depend on how the
residents were split between workers or machines, and no process ever holds a city.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from xinzhi.engine import Ruleset

from .replay import ChunkOutcome, ResidentInfo, ResidentOutcome

TOP = 10
ZERO = Decimal(0)
EMPTY = ResidentOutcome(index=ZERO, points=ZERO, tier="")

def r4(x: float) -> float:
    """Rounded to 4 places, as every float of the report is (so its JSON is byte-stable); never -0.0."""
    return round(float(x), 4) + 0.0  # + 0.0 turns -0.0 into 0.0


class Spread:
    """A multiset of amounts kept as value → count: merged by adding counts, read in value order."""

    __slots__ = ("counts", "_sorted")

    def __init__(self, values: Counter[Decimal] | None = None) -> None:
        self.counts: Counter[Decimal] = values if values is not None else Counter()
        self._sorted: list[tuple[Decimal, int]] | None = None

    def add(self, value: Decimal, times: int = 1) -> None:
        """Count ``value`` in, ``times`` over."""
        self.counts[value] += times
        self._sorted = None

    def merge(self, other: Spread) -> None:
        """Count another spread's values in."""
        self.counts.update(other.counts)
        self._sorted = None

    def __len__(self) -> int:
        return sum(self.counts.values())

    @property
    def total(self) -> Decimal:
        """The sum of the values, exactly."""
        return sum((value * n for value, n in self.counts.items()), ZERO)

    def _items(self) -> list[tuple[Decimal, int]]:
        if self._sorted is None:
            self._sorted = sorted(self.counts.items())
        return self._sorted

    def at(self, rank: int) -> Decimal:
        """The value at ``rank`` (0-based) of the values sorted."""
        for value, n in self._items():
            if rank < n:
                return value
            rank -= n
        raise IndexError(rank)

    def mean(self) -> float:
        """The mean of the values (from their exact sum), rounded as the report's floats are."""
        n = len(self)
        return r4(float(self.total) / n) if n else 0.0

    def median(self) -> float:
        """The middle value, or the mean of the two middle ones (as ``statistics.median``)."""
        n = len(self)
        if not n:
            return 0.0
        middle = self.at(n // 2) if n % 2 else (self.at(n // 2 - 1) + self.at(n // 2)) / 2
        return r4(float(middle))

    def quantile(self, q: float) -> float:
        """Linear interpolation between the closest ranks."""
        n = len(self)
        if not n:
            return 0.0
        pos = (n - 1) * q
        lo = int(pos)
        low, high = float(self.at(lo)), float(self.at(min(lo + 1, n - 1)))  # a statistic: floats, rounded (r4)
        return r4(low + (high - low) * (pos - lo))

    def gini(self) -> float:
        """Gini coefficient of the values clipped at zero; 0.0 when nobody has anything."""
        n, rank, weighted, total = len(self), 0, ZERO, ZERO
        for value, count in self._items():
            x = max(value, ZERO)
            weighted += x * (count * (2 * rank + count + 1)) / 2  # the ranks rank+1 … rank+count, each times x
            total += x * count
            rank += count
        if n == 0 or total == 0:
            return 0.0
        return r4(2 * float(weighted) / (n * float(total)) - (n + 1) / n)

    def histogram(self) -> list[tuple[int, int, int]]:
        """Twenty-odd bins of whole points as (low, high, count); an amount with decimals falls in its floor's."""
        floors: Counter[int] = Counter()
        for value, n in self.counts.items():
            floors[math.floor(value)] += n
        if not floors:
            return []
        lo, hi = min(floors), max(floors)
        if lo == hi:
            return [(lo, lo + 1, floors[lo])]
        width = max(1, -(-(hi - lo + 1) // 20))
        start = lo - (lo % width)
        bins: Counter[int] = Counter()
        for floor, n in floors.items():
            bins[(floor - start) // width] += n
        return [(start + k * width, start + (k + 1) * width, bins.get(k, 0))
                for k in range((hi - start) // width + 1)]

    def signs(self) -> tuple[int, int, int]:
        """How many values are above, below and at zero."""
        above = sum(n for v, n in self.counts.items() if v > 0)
        below = sum(n for v, n in self.counts.items() if v < 0)
        return above, below, len(self) - above - below

    def bounds(self) -> tuple[Decimal, Decimal]:
        """The least and the greatest value (0 and 0 when there is none)."""
        items = self._items()
        return (items[0][0], items[-1][0]) if items else (ZERO, ZERO)


@dataclass
class Mover:
    """A resident under each standard, and the rule that moved them most (a report's top gainer or loser)."""

    resident: str
    zone: str
    origin: str
    roles: list[str]
    baseline_points: Decimal
    candidate_points: Decimal
    delta_points: Decimal
    baseline_index: Decimal
    candidate_index: Decimal
    baseline_tier: str
    candidate_tier: str
    main_rule: str | None
    main_rule_delta: Decimal


def _top(movers: list[Mover], way: Literal["up", "down"]) -> list[Mover]:
    if way == "up":
        return sorted((m for m in movers if m.delta_points > 0), key=lambda m: (-m.delta_points, m.resident))[:TOP]
    return sorted((m for m in movers if m.delta_points < 0), key=lambda m: (m.delta_points, m.resident))[:TOP]


@dataclass(slots=True)
class RuleTally:
    """One rule under one standard, over some accounts.

    Points issued and deducted (each account's net amount of the rule, by sign), awards,
    accounts reached, awards cut by a limit, points cut, awards with an amount.
    """

    issued: Decimal = ZERO
    deducted: Decimal = ZERO
    awards: int = 0
    reached: int = 0
    bound: int = 0
    cut: Decimal = ZERO
    paid: int = 0

    def merge(self, other: RuleTally) -> None:
        """Add another shard's tally of the rule."""
        self.issued += other.issued
        self.deducted += other.deducted
        self.awards += other.awards
        self.reached += other.reached
        self.bound += other.bound
        self.cut += other.cut
        self.paid += other.paid


@dataclass
class Side:
    """One standard over some accounts: what the report's totals, rules, limits, months and liability add up."""

    facts: int = 0
    awards: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    fact_types: Counter[str] = field(default_factory=Counter)
    monthly: dict[str, list[Decimal]] = field(default_factory=dict)
    sums: defaultdict[str, Decimal | int] = field(default_factory=lambda: defaultdict(int))  # by metric
    rules: dict[str, RuleTally] = field(default_factory=dict)
    by_zone: defaultdict[tuple[str, str], Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    limits: Counter[str] = field(default_factory=Counter)  # limit -> times it bound

    def merge(self, other: Side) -> None:
        """Add another shard's tallies of the same standard."""
        self.facts += other.facts
        self.awards += other.awards
        self.rejected.update(other.rejected)
        self.fact_types.update(other.fact_types)
        for month, values in other.monthly.items():
            mine = self.monthly.setdefault(month, [ZERO] * len(values))
            self.monthly[month] = [a + b for a, b in zip(mine, values, strict=True)]
        for metric, value in other.sums.items():
            self.sums[metric] += value
        for rule, tally in other.rules.items():
            self.rules.setdefault(rule, RuleTally()).merge(tally)
        for key, amount in other.by_zone.items():
            self.by_zone[key] += amount
        self.limits.update(other.limits)

    def count(self, chunk: ChunkOutcome, accounts: dict[str, ResidentOutcome], ruleset: Ruleset,
              zone_of: dict[str, str]) -> None:
        """Add a chunk scored under ``ruleset``; ``accounts`` are the ones it keeps (households' or residents')."""
        self.merge(Side(facts=chunk.facts, awards=chunk.awards, rejected=Counter(chunk.rejected),
                        fact_types=Counter(chunk.fact_types), monthly=chunk.monthly))
        assert ruleset.accounts is not None  # a loaded ruleset has accounts (engine.checks refuses one without)
        start = ruleset.accounts.starting_index
        sums = self.sums
        for account, out in accounts.items():
            sums["awards_limited"] += sum(out.rule_bound.values())
            sums["points_cut_by_limits"] += sum(out.rule_cut.values(), ZERO)
            sums["index_net"] += out.index - start
            sums["points_earned"] += out.earned
            sums["points_deducted"] += out.deducted
            sums["points_net"] += out.points
            sums["points_redeemed"] += out.redeemed
            sums["points_expired"] += out.expired
            sums["points_outstanding"] += max(out.balance, ZERO)
            sums["redemptions"] += out.redemptions
            sums["redeemed_yuan"] += out.redeemed_yuan
            sums["negative_balances"] += out.balance < 0
            self.limits.update(out.limits_bound)
            zone = zone_of.get(account, "unknown")
            for rule, n in out.rule_awards.items():
                amount = out.rule_amounts.get(rule, ZERO)
                tally = self.rules.setdefault(rule, RuleTally())
                tally.issued += max(amount, ZERO)
                tally.deducted += max(-amount, ZERO)
                tally.awards += n
                tally.reached += 1 if out.rule_paid.get(rule, 0) else 0
                tally.bound += out.rule_bound.get(rule, 0)
                tally.cut += out.rule_cut.get(rule, ZERO)
                tally.paid += out.rule_paid.get(rule, 0)
                if amount:
                    self.by_zone[(rule, zone)] += amount

    def review(self, rules: frozenset[str]) -> tuple[int, Decimal]:
        """The awards of ``rules`` with an amount, and their net points (what waits on the committee)."""
        tallies = [self.rules[r] for r in rules if r in self.rules]
        return sum(t.paid for t in tallies), sum((t.issued - t.deducted for t in tallies), ZERO)


#: A group of residents or households: (dimension, id), e.g. ("zone", "north"), ("role", "none").
Group = tuple[str, str]


@dataclass
class Crowd:
    """Residents or households under both standards: their points' spreads, by group, and their tier moves."""

    count: int = 0
    deltas: Spread = field(default_factory=Spread)
    groups: dict[Group, tuple[Spread, Spread]] = field(default_factory=dict)
    tiers: Counter[tuple[str, str]] = field(default_factory=Counter)

    def add(self, groups: list[Group], before: Decimal, after: Decimal) -> None:
        """One resident or household in its groups, with its points under each standard."""
        self.count += 1
        self.deltas.add(after - before)
        for group in groups:
            spreads = self.groups.get(group)
            if spreads is None:
                spreads = self.groups[group] = (Spread(), Spread())
            spreads[0].add(before)
            spreads[1].add(after)

    def merge(self, other: Crowd) -> None:
        """Add another shard's residents or households."""
        self.count += other.count
        self.deltas.merge(other.deltas)
        for group, (before, after) in other.groups.items():
            mine = self.groups.setdefault(group, (Spread(), Spread()))
            mine[0].merge(before)
            mine[1].merge(after)
        self.tiers.update(other.tiers)


@dataclass
class Summary:
    """A shard's (or the whole run's) contribution to the report; ``merge`` adds another shard's."""

    baseline: Side = field(default_factory=Side)
    candidate: Side = field(default_factory=Side)
    residents: Crowd = field(default_factory=Crowd)
    households: Crowd = field(default_factory=Crowd)
    gainers: list[Mover] = field(default_factory=list)
    losers: list[Mover] = field(default_factory=list)

    def merge(self, other: Summary) -> Summary:
        """Add another shard's summary (in any order: the sums are exact and the top lists totally ordered)."""
        self.baseline.merge(other.baseline)
        self.candidate.merge(other.candidate)
        self.residents.merge(other.residents)
        self.households.merge(other.households)
        self.gainers = _top(self.gainers + other.gainers, "up")
        self.losers = _top(self.losers + other.losers, "down")
        return self


def held_by(ruleset: Ruleset) -> str:
    """Who holds a standard's accounts: 'resident' or 'household'."""
    return ruleset.accounts.held_by if ruleset.accounts is not None else "resident"


def summarise(chunks: tuple[ChunkOutcome, ChunkOutcome], rulesets: tuple[Ruleset, Ruleset],
              info: dict[str, ResidentInfo], with_no_role: bool) -> Summary:
    """One chunk scored under both standards, as the report will count it.

    ``info`` has the chunk's residents (zone, origin, roles, household). A household's zone is
    its first member's (as the board shows it); one known only from its own facts is 'unknown'.
    ``with_no_role`` counts residents of no role as a group (a scenario's report shows it).
    """
    b, c = chunks
    homes: dict[str, list[str]] = {}
    for rid in sorted(info):
        if info[rid].household:
            homes.setdefault(str(info[rid].household), []).append(rid)
    for side in chunks:
        for household in side.households:
            homes.setdefault(household, [])
    home_zone = {h: info[people[0]].zone if people else "unknown" for h, people in homes.items()}
    resident_zone = {rid: person.zone for rid, person in info.items()}
    summary = Summary()
    for tally, chunk, ruleset in ((summary.baseline, b, rulesets[0]), (summary.candidate, c, rulesets[1])):
        by_household = held_by(ruleset) == "household"
        tally.count(chunk, chunk.households if by_household else chunk.residents, ruleset,
                    home_zone if by_household else resident_zone)
    movers = []
    for rid in sorted(info):
        person, before, after = info[rid], b.residents.get(rid, EMPTY), c.residents.get(rid, EMPTY)
        groups: list[Group] = [("all", "all"), ("zone", person.zone), ("origin", person.origin)]
        groups += [("role", role) for role in person.roles]
        if with_no_role and not person.roles:
            groups.append(("role", "none"))
        summary.residents.add(groups, before.points, after.points)
        summary.residents.tiers[(before.tier, after.tier)] += 1
        movers.append(_mover(rid, person, before, after))
    summary.gainers, summary.losers = _top(movers, "up"), _top(movers, "down")
    held = (held_by(rulesets[0]), held_by(rulesets[1]))
    for household, people in sorted(homes.items()):
        points = [chunk.households.get(household, EMPTY).points if way == "household" else
                  sum((chunk.residents.get(rid, EMPTY).points for rid in people), ZERO)
                  for chunk, way in zip(chunks, held, strict=True)]
        summary.households.add([("all", "all"), ("zone", home_zone[household])], points[0], points[1])
        if held == ("household", "household"):
            summary.households.tiers[(b.households.get(household, EMPTY).tier,
                                      c.households.get(household, EMPTY).tier)] += 1
    return summary


def _mover(rid: str, person: ResidentInfo, before: ResidentOutcome, after: ResidentOutcome) -> Mover:
    rule_deltas = {k: after.rule_amounts.get(k, ZERO) - before.rule_amounts.get(k, ZERO)
                   for k in set(before.rule_amounts) | set(after.rule_amounts)}
    main = min((k for k, v in rule_deltas.items() if v), key=lambda k: (-abs(rule_deltas[k]), k), default=None)
    return Mover(resident=rid, zone=person.zone, origin=person.origin, roles=list(person.roles),
                 baseline_points=before.points, candidate_points=after.points,
                 delta_points=after.points - before.points, baseline_index=before.index,
                 candidate_index=after.index, baseline_tier=before.tier, candidate_tier=after.tier,
                 main_rule=main, main_rule_delta=rule_deltas.get(main, ZERO) if main else ZERO)

