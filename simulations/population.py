"""A seeded synthetic population shaped like Yihe, and the facts it produces.

Everything is drawn from ``random.Random`` instances seeded with strings derived from
the run's seed (``"<seed>:population"``, ``"<seed>:facts:<resident>"``, ...). Python
seeds from a string through SHA-512, so the draws do not depend on the process, on
``PYTHONHASHSEED`` or on which other residents are generated alongside: a worker that
generates only its own residents' facts gets exactly what a single process would.

Scenario files are YAML (``yaml.safe_load``) validated by the pydantic models below; the
documented default is ``simulations/scenarios/yihe_default.yaml``.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from xinzhi.engine import add_months

SCENARIOS = Path(__file__).resolve().parent / "scenarios"
DEFAULT_SCENARIO = SCENARIOS / "yihe_default.yaml"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FieldGen(_Model):
    """How one fact field is drawn. Exactly one of the generators is given.

    ``choice``: weighted values; ``text``: one of the strings, uniformly; ``poisson``: a
    Poisson count clipped to ``min``/``max``; ``uniform_int``: an integer in [a, b];
    ``bool``: true with this probability; ``const``: always this value. ``present`` is the
    probability that the field is given at all; ``by_zone`` replaces the spec per zone.
    """

    choice: dict[Any, float] | None = None
    text: list[str] | None = None
    poisson: float | None = Field(default=None, ge=0)
    uniform_int: tuple[int, int] | None = None
    bool_: float | None = Field(default=None, alias="bool", ge=0, le=1)
    const: Any = None
    min: float | None = None
    max: float | None = None
    present: float = Field(default=1.0, ge=0, le=1)
    by_zone: dict[str, FieldGen] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_generator(self) -> FieldGen:
        given = [k for k in ("choice", "text", "poisson", "uniform_int", "bool_", "const")
                 if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of choice, text, poisson, uniform_int, bool, const (got {given})")
        return self

    def draw(self, rng: random.Random, zone: str) -> Any:
        """A value for a resident of ``zone`` (its ``by_zone`` spec if any); None when ``present`` leaves it out."""
        spec = self.by_zone.get(zone, self)
        if spec is not self:
            return spec.draw(rng, zone)
        if self.present < 1.0 and rng.random() >= self.present:
            return None
        if self.choice is not None:
            return weighted(rng, self.choice)
        if self.text is not None:
            return self.text[rng.randrange(len(self.text))]
        if self.poisson is not None:
            value = poisson(rng, self.poisson)
            lo = self.min if self.min is not None else -math.inf
            hi = self.max if self.max is not None else math.inf
            return int(min(max(value, lo), hi))
        if self.uniform_int is not None:
            return rng.randint(*self.uniform_int)
        if self.bool_ is not None:
            return rng.random() < self.bool_
        return self.const


class Zone(_Model):
    """A part of the community with its own share of residents and of newcomers."""

    id: str
    title: str
    share: float = Field(gt=0, le=1, description="share of all residents living in this zone")
    from_elsewhere: float = Field(ge=0, le=1, description="share of households that moved in from elsewhere")


class Role(_Model):
    """A role some residents hold (party member, alley steward, …), with its frequency per zone."""

    id: str
    title: str
    share: dict[str, float] = Field(description="probability per zone that a resident holds this role")


class Activity(_Model):
    """One kind of fact residents produce, at ``rate`` facts per eligible person per month.

    The rate is multiplied by the zone, origin and role multipliers (for several roles the
    largest applies) and by the resident's personal engagement.
    """

    fact_type: str | None = None
    title: str | None = None
    rate: float = Field(ge=0)
    per: Literal["resident", "household"] = "resident"
    roles: list[str] | None = Field(default=None, description="only residents holding one of these roles")
    zone: dict[str, float] = Field(default_factory=dict)
    origin: dict[str, float] = Field(default_factory=dict)
    role: dict[str, float] = Field(default_factory=dict)
    engagement: bool = True
    hours: tuple[int, int] = (8, 21)
    fields: dict[str, FieldGen] = Field(default_factory=dict)


class Relapse(_Model):
    """After mediation a party may do it again: probability by satisfaction, within some days."""

    fact_type: str = "violation"
    fields: dict[str, Any] = Field(default_factory=lambda: {"kind": "night_disturbance"})
    probability: dict[int, float] = Field(default_factory=dict)
    within_days: int = Field(default=30, ge=1)


class Mediation(_Model):
    """Integrity-council cases: parties from one zone, one mediator, one satisfaction score."""

    fact_type: str = "mediation"
    cases_per_1000_per_month: float = Field(ge=0)
    zone: dict[str, float] = Field(default_factory=dict)
    parties: FieldGen
    satisfaction: FieldGen
    mediator_roles: list[str]
    relapse: Relapse | None = None


class ShopItem(_Model):
    """An item of the credit supermarket: its price in points and what it costs the shop."""

    id: str
    title: str
    price_points: int = Field(gt=0)
    cost_yuan: float = Field(ge=0, description="what one redemption costs the shop, in yuan")


class Shop(_Model):
    """Credit-supermarket behaviour: at each month end a resident may spend points."""

    items: list[ShopItem] = Field(min_length=1)
    redeem_probability_per_month: float = Field(ge=0, le=1)
    max_items_per_visit: int = Field(default=3, ge=1)
    zone: dict[str, float] = Field(default_factory=dict)


MOST_MONTHS = 120  # a simulated or replayed period's longest
MAX_RESIDENTS = 10_000_000  # a prefecture: the most a scenario draws (a deployment's own bound: simulation_max_*)


class Period(_Model):
    """The simulated months from ``start`` (calendar months when it starts on the 1st, else 30.4375 days each)."""

    start: dt.date
    months: int = Field(ge=1, le=MOST_MONTHS)

    @property
    def end(self) -> dt.date:
        """First day after the period."""
        return add_months(self.start, self.months) if self.start.day == 1 else \
            self.start + dt.timedelta(days=round(self.months * 30.4375))

    @property
    def days(self) -> int:
        """Days from ``start`` up to ``end`` (which is not part of the period)."""
        return (self.end - self.start).days


class Scenario(_Model):
    """A synthetic community and what its residents do; a file of simulations/scenarios."""

    id: str
    title: str
    description: str | None = None
    seed: int = 2021
    period: Period
    residents: int = Field(gt=0)
    household_sizes: dict[int, float]
    engagement_shape: float = Field(default=1.5, gt=0, description="gamma shape of personal engagement (mean 1)")
    zones: list[Zone] = Field(min_length=1)
    roles: list[Role] = Field(default_factory=list)
    activities: dict[str, Activity] = Field(default_factory=dict)
    mediation: Mediation | None = None
    shop: Shop | None = None

    @model_validator(mode="after")
    def _check(self) -> Scenario:
        total = sum(z.share for z in self.zones)
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"zone shares must add up to 1 (they add up to {total})")
        zones = {z.id for z in self.zones}
        roles = {r.id for r in self.roles}
        for role in self.roles:
            if set(role.share) - zones:
                raise ValueError(f"role {role.id}: unknown zone(s) {sorted(set(role.share) - zones)}")
        for key, act in self.activities.items():
            unknown = (set(act.roles or ()) | set(act.role)) - roles
            if unknown:
                raise ValueError(f"activity {key}: unknown role(s) {sorted(unknown)}")
            if set(act.zone) - zones:
                raise ValueError(f"activity {key}: unknown zone(s) {sorted(set(act.zone) - zones)}")
        return self

    def zone_title(self, zone: str) -> str:
        """The zone's title, or ``zone`` itself for a zone the scenario lacks."""
        return next((z.title for z in self.zones if z.id == zone), zone)


def load_scenario(path: str | Path) -> Scenario:
    """A scenario from a YAML file (safe_load only)."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return Scenario.model_validate(data)


# ---------------------------------------------------------------- drawing helpers

def weighted(rng: random.Random, weights: dict[Any, float]) -> Any:
    """One key of ``weights`` (in the dict's order), chosen with probability by weight."""
    total = sum(weights.values())
    point = rng.random() * total
    for value, weight in weights.items():
        point -= weight
        if point < 0:
            return value
    return next(reversed(weights))


def poisson(rng: random.Random, lam: float) -> int:
    """A Poisson draw (Knuth's method, in slices of 20 so exp() never underflows)."""
    count = 0
    while lam > 0:
        part = min(lam, 20.0)
        lam -= part
        limit, product = math.exp(-part), rng.random()
        while product > limit:
            count += 1
            product *= rng.random()
    return count


# ---------------------------------------------------------------- the population

@dataclass(frozen=True)
class Resident:
    """One synthetic resident; ``engagement`` (mean 1) scales the rates of engagement-driven activities."""

    id: str
    household: str
    zone: str
    origin: str  # "local" or "elsewhere"
    roles: tuple[str, ...]
    engagement: float
    head: bool


@dataclass(frozen=True)
class Household:
    """A household as ``households`` draws it: its id, zone and members (the head first)."""

    id: str
    zone: str
    members: tuple[Resident, ...]


def households(scenario: Scenario, seed: int, keep: Callable[[str], bool] | None = None) -> Iterator[Household]:
    """Households filled zone by zone; origin per household; roles and engagement per person.

    One stream draws them all in this order, so a city's are drawn without holding them: a
    shard keeps its own (``keep``, by household id) and forgets the rest, whose draws are
    made but not built into residents. Within a zone the order is that of the ids (numbers
    are zero-padded to the widest the zone can need), so a resident's place in the zone is
    also their place in the population sorted by id.
    """
    rng = random.Random(f"{seed}:population")
    quotas = _quotas(scenario)
    for zone in scenario.zones:
        quota = quotas[zone.id]
        prefix, width = _household_prefix(scenario, zone), _household_width(quota)
        household = 0
        while quota > 0:
            household += 1
            size = min(int(weighted(rng, scenario.household_sizes)), quota)
            quota -= size
            hid = f"{prefix}{household:0{width}d}"
            origin = "elsewhere" if rng.random() < zone.from_elsewhere else "local"
            kept = keep is None or keep(hid)
            members = []
            for member in range(1, size + 1):
                roles = tuple(r.id for r in scenario.roles if rng.random() < r.share.get(zone.id, 0.0))
                engagement = rng.gammavariate(scenario.engagement_shape, 1.0 / scenario.engagement_shape)
                if kept:
                    members.append(Resident(id=f"{hid}-{member}", household=hid, zone=zone.id, origin=origin,
                                            roles=roles, engagement=round(engagement, 6), head=member == 1))
            if kept:
                yield Household(id=hid, zone=zone.id, members=tuple(members))


def _quotas(scenario: Scenario) -> dict[str, int]:
    """Residents per zone: its share of the population, the last zone taking what is left."""
    quotas, remaining = {}, scenario.residents
    for number, zone in enumerate(scenario.zones):
        quota = remaining if number == len(scenario.zones) - 1 else round(scenario.residents * zone.share)
        quotas[zone.id] = min(quota, remaining)
        remaining -= quotas[zone.id]
    return quotas


def _household_prefix(scenario: Scenario, zone: Zone) -> str:
    initials = [z.id[:1].upper() for z in scenario.zones]
    unique = len(set(initials)) == len(initials)  # else g1, g2, g3 would all make households G0001…
    return zone.id[:1].upper() if unique else f"{zone.id.upper()}-"


def _household_width(quota: int) -> int:
    """Digits of a household number: four, or as many as the zone's residents could need (ids sort as numbers)."""
    return max(4, len(str(quota)))


@dataclass(frozen=True)
class Population:
    """The residents a scenario and a seed generate: the same pair always gives the same residents."""

    scenario: Scenario
    seed: int
    residents: tuple[Resident, ...]

    @cached_property
    def by_id(self) -> dict[str, Resident]:
        """Built once per population: every chunk looks residents up here (a dict per chunk was quadratic)."""
        return {r.id: r for r in self.residents}

    @cached_property
    def census(self) -> Census:
        """Drawn again from the scenario (cheap next to the facts): what the council's cases are drawn from."""
        return Census.of(self.scenario, self.seed)


def generate_population(scenario: Scenario, seed: int | None = None) -> Population:
    """Every household's members, sorted by id (for a village or a test; a city is drawn by shard)."""
    seed = scenario.seed if seed is None else seed
    residents = [r for household in households(scenario, seed) for r in household.members]
    return Population(scenario=scenario, seed=seed, residents=tuple(sorted(residents, key=lambda r: r.id)))


@dataclass(frozen=True)
class Roll:
    """One zone's residents in id order, compactly: where each household starts, and who may mediate."""

    zone: str
    prefix: str
    width: int
    starts: array  # the place of each household's first member
    size: int  # residents
    mediators: array  # the places of the residents holding a mediator role, ascending

    def resident(self, place: int) -> tuple[str, str]:
        """The resident at ``place`` and their household."""
        household = bisect_right(self.starts, place) - 1
        hid = f"{self.prefix}{household + 1:0{self.width}d}"
        return f"{hid}-{place - self.starts[household] + 1}", hid


@dataclass(frozen=True)
class Census:
    """Who lives in which zone and who may mediate, in a few bytes a resident: what the council's cases are drawn from.

    Built by one pass of ``households``; the cases of a city are then drawn without its residents in memory.
    """

    scenario: Scenario
    seed: int
    rolls: dict[str, Roll]  # by zone, in the scenario's order

    @classmethod
    def of(cls, scenario: Scenario, seed: int) -> Census:
        """One pass over the households, keeping a place per household and per mediator."""
        mediating = set(scenario.mediation.mediator_roles) if scenario.mediation else set()
        starts: dict[str, array] = {z.id: array("q") for z in scenario.zones}
        mediators: dict[str, array] = {z.id: array("q") for z in scenario.zones}
        sizes = dict.fromkeys(starts, 0)
        for household in households(scenario, seed):
            zone = household.zone
            starts[zone].append(sizes[zone])
            for member in household.members:
                if mediating & set(member.roles):
                    mediators[zone].append(sizes[zone])
                sizes[zone] += 1
        quotas = _quotas(scenario)
        rolls = {z.id: Roll(zone=z.id, prefix=_household_prefix(scenario, z), width=_household_width(quotas[z.id]),
                            starts=starts[z.id], size=sizes[z.id], mediators=mediators[z.id])
                 for z in scenario.zones}
        return cls(scenario=scenario, seed=seed, rolls=rolls)


# ---------------------------------------------------------------- facts

def _moment(rng: random.Random, start: dt.date, days: int, hours: tuple[int, int]) -> dt.datetime:
    day = start + dt.timedelta(days=rng.randrange(days))
    return dt.datetime.combine(day, dt.time(rng.randrange(hours[0], hours[1]), rng.randrange(60)))


def _fact(fid: str, fact_type: str, resident: str, moment: dt.datetime, fields: dict) -> dict:
    return {"id": fid, "type": fact_type, "resident": resident, "occurred_at": moment.isoformat(),
            "fields": {k: v for k, v in fields.items() if v is not None}}


def activity_rate(act: Activity, resident: Resident, months: int) -> float:
    """Expected number of facts of this activity for this resident over the period."""
    if act.per == "household" and not resident.head:
        return 0.0
    if act.roles is not None and not set(act.roles) & set(resident.roles):
        return 0.0
    rate = act.rate * months * act.zone.get(resident.zone, 1.0) * act.origin.get(resident.origin, 1.0)
    role_factors = [act.role[r] for r in resident.roles if r in act.role]
    if role_factors:
        rate *= max(role_factors)
    if act.engagement:
        rate *= resident.engagement
    return rate


def resident_facts(scenario: Scenario, seed: int, resident: Resident) -> list[dict]:
    """The resident's own facts (everything except council cases), drawn from their own stream."""
    rng = random.Random(f"{seed}:facts:{resident.id}")
    start, days, months = scenario.period.start, scenario.period.days, scenario.period.months
    facts = []
    for key, act in scenario.activities.items():
        n = poisson(rng, activity_rate(act, resident, months))
        for k in range(n):
            moment = _moment(rng, start, days, act.hours)
            fields = {name: gen.draw(rng, resident.zone) for name, gen in act.fields.items()}
            facts.append(_fact(f"{resident.id}-{key}-{k:03d}", act.fact_type or key, resident.id, moment, fields))
    return facts


def case_facts(census: Census, keep: Callable[[str], bool] | None = None) -> dict[str, list[dict]]:
    """Integrity-council cases for the whole community, by resident (parties and mediators).

    Every case is drawn; only the facts of residents whose household ``keep`` accepts are
    made (a shard's), so each shard draws the same cases and a city's fit in a worker.
    """
    scenario, med = census.scenario, census.scenario.mediation
    out: dict[str, list[dict]] = {}
    if med is None:
        return out
    rng = random.Random(f"{census.seed}:cases")
    everyone = _Pool([census.rolls[z] for z in sorted(census.rolls, key=lambda z: census.rolls[z].prefix)])
    local = {zone: _Pool([roll]) for zone, roll in census.rolls.items()}
    end = scenario.period.end
    month_start = scenario.period.start
    number = 0
    mine = keep or (lambda _household: True)
    for _ in range(scenario.period.months):
        next_start = _next_month(month_start)
        days = (min(next_start, end) - month_start).days
        for zone in scenario.zones:
            roll = census.rolls[zone.id]
            if not roll.size:
                continue
            lam = roll.size / 1000 * med.cases_per_1000_per_month * med.zone.get(zone.id, 1.0)
            for _case in range(poisson(rng, lam)):
                number += 1
                case = f"C-{number:05d}"
                moment = _moment(rng, month_start, days, (9, 20))
                count = min(int(med.parties.draw(rng, zone.id)), roll.size)
                parties = rng.sample(range(roll.size), count)  # the draws of sampling the residents themselves
                satisfaction = int(med.satisfaction.draw(rng, zone.id))
                mediator = _mediator(rng, (local[zone.id], everyone), zone.id, parties)
                for place in parties:
                    rid, hid = roll.resident(place)
                    if mine(hid):
                        out.setdefault(rid, []).append(_fact(
                            f"{case}-{rid}", med.fact_type, rid, moment,
                            {"case": case, "role": "party", "satisfaction": satisfaction}))
                    if med.relapse and rng.random() < med.relapse.probability.get(satisfaction, 0.0):
                        later = moment + dt.timedelta(days=rng.randint(1, med.relapse.within_days),
                                                      hours=rng.randint(0, 3))
                        later = later.replace(hour=22 + rng.randrange(2), minute=rng.randrange(60))
                        if later.date() < end and mine(hid):
                            out[rid].append(_fact(f"{case}-{rid}-relapse", med.relapse.fact_type, rid, later,
                                                  dict(med.relapse.fields)))
                if mediator is not None and mine(mediator[1]):
                    rid = mediator[0]
                    out.setdefault(rid, []).append(_fact(
                        f"{case}-{rid}", med.fact_type, rid, moment,
                        {"case": case, "role": "mediator", "satisfaction": satisfaction}))
        month_start = next_start
        if month_start >= end:
            break
    return out


class _Pool:
    """Mediators of some zones in population order (zones by prefix, then place), as places in their rolls."""

    def __init__(self, rolls: list[Roll]):
        self.rolls = rolls
        self.offsets = [0]
        for roll in rolls:
            self.offsets.append(self.offsets[-1] + len(roll.mediators))

    def __len__(self) -> int:
        return self.offsets[-1]

    def position(self, zone: str, place: int) -> int | None:
        """Where the resident at ``place`` in ``zone`` stands in the pool, if a mediator of it."""
        for number, roll in enumerate(self.rolls):
            if roll.zone == zone:
                k = bisect_left(roll.mediators, place)
                found = k < len(roll.mediators) and roll.mediators[k] == place
                return self.offsets[number] + k if found else None
        return None

    def at(self, k: int) -> tuple[str, str]:
        """The mediator at position ``k``: their id and household."""
        number = bisect_right(self.offsets, k) - 1
        roll = self.rolls[number]
        return roll.resident(roll.mediators[k - self.offsets[number]])


def _mediator(rng: random.Random, pools: tuple[_Pool, _Pool], zone: str,
              parties: list[int]) -> tuple[str, str] | None:
    """A mediator of the zone who is not a party (else one of any zone), as one draw over that pool.

    The pool without the parties is never built: the draw's position skips the few parties in
    it. Building it for every case scanned every mediator, which made a city's cases quadratic
    in its population; the draws are the same as when it was built.
    """
    for pool in pools:
        skipped = sorted(p for p in (pool.position(zone, place) for place in parties) if p is not None)
        if len(pool) > len(skipped):
            k = rng.randrange(len(pool) - len(skipped))
            for position in skipped:
                k += position <= k
            return pool.at(k)
    return None


def _next_month(day: dt.date) -> dt.date:
    return add_months(day.replace(day=1), 1)


def facts_for(population: Population, residents: Iterable[str], cases: dict[str, list[dict]] | None = None,
              ) -> dict[str, list[dict]]:
    """Facts of the given residents, by resident; identical whichever residents are asked for."""
    index = population.by_id
    cases = case_facts(population.census) if cases is None else cases
    return {rid: resident_facts(population.scenario, population.seed, index[rid]) + cases.get(rid, [])
            for rid in residents}


def generate_facts(population: Population) -> Iterator[dict]:
    """Every fact of the population, resident by resident (ids sorted)."""
    cases = case_facts(population.census)
    for resident in population.residents:
        yield from resident_facts(population.scenario, population.seed, resident)
        yield from cases.get(resident.id, [])


def month_keys(period: Period) -> list[str]:
    """'YYYY-MM' of every month the period touches."""
    keys, day = [], period.start.replace(day=1)
    while day < period.end:
        keys.append(f"{day.year}-{day.month:02d}")
        day = _next_month(day)
    return keys

