"""Replaying facts under a baseline and a candidate ruleset, in worker processes.

durable-rules cannot drop a registered ruleset and a discarded host leaks, so no engine
ever lives in the calling process: each side (baseline, candidate) gets its own pool of
``spawn`` worker processes that ends with the side's run. The two sides share nothing —
not a process, not a host, not a limit counter.

Work is partitioned by resident (limits, tiers and redemptions are per resident, so the
partition is exact) into fixed-size chunks of the sorted resident ids. A chunk's outcome
does not depend on which worker ran it or alongside what, and chunks are combined in chunk
order, so any number of workers gives identical results.

For a synthetic scenario a worker regenerates the population (cheap, seeded) and draws its
own residents' facts; only resident ids cross the process boundary. For a facts file the
chunks carry the facts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import multiprocessing
import random
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import xinzhi.rulesets
from xinzhi.engine import (
    MATCHER,
    SHANGHAI,
    AccountReset,
    CompiledRuleset,
    DirectorySource,
    ErrorCode,
    Fact,
    FactError,
    Loader,
    MemorySource,
    Problem,
    RuleMatcher,
    Ruleset,
    RulesetError,
    RulesetSource,
    add_months,
    balances,
    closing_awards,
    closing_resets,
    evaluate,
)

from .population import (
    Population,
    Scenario,
    Shop,
    case_facts,
    facts_for,
    generate_population,
    month_keys,
)

REPO_RULESETS = Path(xinzhi.rulesets.__file__).resolve().parent
CHUNK_SIZE = 200
MATCHER_NAME = "durable-rules"

Progress = Callable[[str, int, int], None]


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
    redeemed_yuan: float = 0.0
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
        """Points still held (after redemptions)."""
        return self.points - self.redeemed


@dataclass
class ChunkOutcome:
    """What a worker sends back for one chunk of residents; chunks are merged in chunk order."""

    residents: dict[str, ResidentOutcome]
    monthly: dict[str, list[Decimal]]   # month -> [issued, deducted, redeemed, outstanding (positive balances)]
    facts: int
    awards: int
    rejected: dict[str, int]


@dataclass
class SideResult:
    """One ruleset's outcome over every resident: its chunks merged."""

    ruleset_ref: str
    residents: dict[str, ResidentOutcome]
    monthly: dict[str, list[Decimal]]
    facts: int
    awards: int
    rejected: dict[str, int]


@dataclass
class ResidentInfo:
    """What the report groups a resident by, known before any fact is scored."""

    zone: str
    origin: str
    roles: tuple[str, ...]


@dataclass
class ReplayResult:
    """Both sides over the same residents and months: the input of ``report.build_report``."""

    baseline: SideResult
    candidate: SideResult
    residents: dict[str, ResidentInfo]
    months: list[str]
    workers: int
    matcher: str = MATCHER_NAME


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


# ---------------------------------------------------------------- worker side

_STATE: dict[str, Any] = {}


def _init_worker(ruleset: ReplayRuleset, source: ScenarioSource | None, matcher: str) -> None:
    compiled = ruleset.compile()
    _STATE.clear()
    _STATE["compiled"] = compiled
    if matcher == "python":
        from .matcher import PythonMatcher
        _STATE["matcher"] = PythonMatcher()
        _STATE["matcher"].register(compiled)
    if source is not None:
        population = generate_population(source.scenario, source.seed)
        _STATE["population"] = population
        _STATE["cases"] = case_facts(population)


def _work(number: int, residents: list[str], facts: list[dict] | None, months: list[str]) -> tuple[int, ChunkOutcome]:
    compiled = _STATE["compiled"]
    population: Population | None = _STATE.get("population")
    if facts is None:
        assert population is not None
        by_resident = facts_for(population, residents, _STATE["cases"])
        facts = [f for rid in residents for f in by_resident[rid]]
    shop = population.scenario.shop if population is not None else None
    zones = {r.id: r.zone for r in population.residents} if population is not None else {}
    seed = population.seed if population is not None else 0
    return number, score_chunk(compiled, residents, facts, months, shop=shop, zones=zones, seed=seed,
                               matcher=_STATE.get("matcher", MATCHER))


def score_chunk(compiled: CompiledRuleset, residents: list[str], facts: list[dict], months: list[str], *,
                shop: Shop | None = None, zones: dict[str, str] | None = None, seed: int = 0,
                matcher: RuleMatcher = MATCHER) -> ChunkOutcome:
    """Score one chunk's facts (all of its residents' facts) and play out the shop visits."""
    valid: list[Fact] = []
    rejected: Counter[str] = Counter()
    for raw in facts:
        try:
            valid.append(compiled.validator.validate(raw))
        except FactError as exc:
            code = exc.problems[0].code if exc.problems else "invalid"
            rejected[f"{raw.get('type', '?')}: {code}"] += 1
    if compiled.ruleset.accounts is not None and compiled.ruleset.accounts.held_by == "household":
        residents = sorted({f.resident for f in valid})  # the households the facts credit hold the accounts
    awards = evaluate(compiled, valid, matcher=matcher).awards
    resets: list[AccountReset] = []
    if months:  # period rules pay for the replayed months' periods, every resident; then accounts reset
        first = dt.date.fromisoformat(f"{months[0]}-01")
        until = add_months(dt.date.fromisoformat(f"{months[-1]}-01"), 1)
        awards += closing_awards(compiled, awards, residents, first, until)
        resets = closing_resets(compiled, awards, residents, first, until, moving_only=False)
    totals = balances(compiled.ruleset, awards, residents=residents, resets=[r for r in resets if r.amount])
    per: dict[str, list] = {rid: [] for rid in residents}
    for award in awards:
        per.setdefault(award.resident, []).append(award)
    fact_counts = Counter(f.resident for f in valid)
    monthly = {m: [Decimal(0)] * 4 for m in months}
    outcomes: dict[str, ResidentOutcome] = {}
    for rid in sorted(per):
        bal = totals[rid]
        out = ResidentOutcome(index=bal.index, points=bal.points, tier=bal.tier, facts=fact_counts.get(rid, 0))
        by_month: dict[str, Decimal] = {}
        for award in per[rid]:
            rule = award.rule_id
            out.rule_amounts[rule] = out.rule_amounts.get(rule, Decimal(0)) + award.amount
            out.rule_awards[rule] = out.rule_awards.get(rule, 0) + 1
            if award.amount:
                out.rule_paid[rule] = out.rule_paid.get(rule, 0) + 1
            if award.limited_by:
                out.rule_bound[rule] = out.rule_bound.get(rule, 0) + 1
                out.rule_cut[rule] = out.rule_cut.get(rule, Decimal(0)) + (award.raw_amount - award.amount)
                out.limits_bound[award.limited_by] = out.limits_bound.get(award.limited_by, 0) + 1
            if "points" not in award.accounts:
                continue
            month = award.occurred_at.strftime("%Y-%m")
            by_month[month] = by_month.get(month, Decimal(0)) + award.amount
            if award.amount > 0:
                out.earned += award.amount
                if month in monthly:
                    monthly[month][0] += award.amount
            elif award.amount < 0:
                out.deducted -= award.amount
                if month in monthly:
                    monthly[month][1] -= award.amount
        points_reset = {r.period.last_moment.strftime("%Y-%m"): r.after for r in resets
                        if r.resident == rid and r.account == "points"}
        _shop_visits(out, rid, by_month, months, monthly, shop, (zones or {}).get(rid, ""), seed, points_reset)
        outcomes[rid] = out
    return ChunkOutcome(residents=outcomes, monthly=monthly, facts=len(valid) + sum(rejected.values()),
                        awards=len(awards), rejected=dict(rejected))


def _shop_visits(out: ResidentOutcome, rid: str, by_month: dict[str, Decimal], months: list[str],
                 monthly: dict[str, list[Decimal]], shop: Shop | None, zone: str, seed: int,
                 points_reset: dict[str, Decimal]) -> None:
    """Month by month: add the month's points, maybe spend some at month end, record liability.

    A month whose end resets the points (清零) ends with what the reset leaves, whatever was spent.

    The resident's draws come from their own stream and the same number of draws is made
    every month whatever the balance, so baseline and candidate see the same luck.
    """
    rng = random.Random(f"{seed}:shop:{rid}")
    balance = Decimal(0)
    for month in months:
        balance += by_month.get(month, Decimal(0))
        if shop is not None:
            visit = rng.random() < shop.redeem_probability_per_month * shop.zone.get(zone, 1.0)
            picks = [rng.random() for _ in range(shop.max_items_per_visit)]
            if visit:
                for pick in picks:
                    affordable = [i for i in shop.items if i.price_points <= balance]
                    if not affordable:
                        break
                    item = affordable[int(pick * len(affordable))]
                    balance -= item.price_points
                    out.redeemed += item.price_points
                    out.redeemed_yuan = round(out.redeemed_yuan + item.cost_yuan, 2)
                    out.redemptions += 1
                    monthly[month][2] += item.price_points
        balance = points_reset.get(month, balance)
        monthly[month][3] += max(balance, Decimal(0))


# ---------------------------------------------------------------- the run

def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def _run_side(side: str, ruleset: ReplayRuleset, source: ScenarioSource | FactsSource, residents: list[str],
              months: list[str], workers: int, chunk_size: int, progress: Progress | None,
              matcher: str) -> SideResult:
    loaded = ruleset.load()
    by_household = loaded.accounts is not None and loaded.accounts.held_by == "household"
    by_resident: dict[str, list[dict]] = {}  # by account: a household's members' facts go to one chunk
    if isinstance(source, FactsSource):
        for fact in source.facts:
            account = fact.get("household") or fact.get("resident") if by_household else fact.get("resident")
            by_resident.setdefault(str(account), []).append(fact)
    chunks = _chunks(sorted(by_resident) if by_household and by_resident else residents, chunk_size)
    init_source = source if isinstance(source, ScenarioSource) else None
    results: dict[int, ChunkOutcome] = {}
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_init_worker,
                             initargs=(ruleset, init_source, matcher)) as pool:
        futures = []
        for number, chunk in enumerate(chunks):
            chunk_facts = None if init_source else [f for rid in chunk for f in by_resident.get(rid, [])]
            futures.append(pool.submit(_work, number, chunk, chunk_facts, months))
        if progress:
            progress(side, 0, len(chunks))
        for done, future in enumerate(as_completed(futures), start=1):
            number, outcome = future.result()
            results[number] = outcome
            if progress:
                progress(side, done, len(chunks))
    merged: dict[str, ResidentOutcome] = {}
    monthly = {m: [Decimal(0)] * 4 for m in months}
    facts = awards = 0
    rejected: Counter[str] = Counter()
    for number in sorted(results):
        outcome = results[number]
        merged.update(outcome.residents)
        for month, values in outcome.monthly.items():
            monthly[month] = [a + b for a, b in zip(monthly[month], values, strict=True)]
        facts += outcome.facts
        awards += outcome.awards
        rejected.update(outcome.rejected)
    return SideResult(ruleset_ref=loaded.ref, residents=dict(sorted(merged.items())), monthly=monthly,
                      facts=facts, awards=awards, rejected=dict(sorted(rejected.items())))


def _fact_months(facts: Iterable[dict]) -> list[str]:
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


def _held_by_households(baseline: ReplayRuleset, candidate: ReplayRuleset,
                        source: ScenarioSource | FactsSource) -> bool:
    """Whether both standards keep accounts per household (the report is then by household), or refuse a mix.

    A resident's account and a household's are not comparable side by side, and the synthetic
    population makes no household facts yet: both are refused, located, rather than replayed wrong.
    """
    held = [accounts.held_by if (accounts := side.load().accounts) else "resident" for side in (baseline, candidate)]
    if "household" not in held:
        return False
    if held[0] != held[1]:
        raise RulesetError([Problem(code=ErrorCode.BAD_VALUE, path="accounts.held_by", message=(
            f"the baseline keeps accounts per {held[0]} and the candidate per {held[1]}: a what-if compares "
            "standards that keep accounts the same way"))])
    if isinstance(source, ScenarioSource):
        raise FactError([Problem(code=ErrorCode.BAD_VALUE, path="source", message=(
            "accounts are kept per household, and the synthetic population makes no household facts yet: "
            "replay recorded facts or a facts file that names each fact's household"))])
    return True


def _household_info(source: FactsSource) -> dict[str, ResidentInfo]:
    """Each household a fact names, grouped by its first member's zone (as the board shows it)."""
    members: dict[str, list[str]] = {}
    for fact in source.facts:
        if fact.get("household"):
            members.setdefault(str(fact["household"]), [])
            if fact.get("resident"):
                members[str(fact["household"])].append(str(fact["resident"]))
    unknown = ResidentInfo(zone="unknown", origin="unknown", roles=())
    known = source.residents or {}
    return {household: next((known[m] for m in sorted(people) if m in known), unknown)
            for household, people in sorted(members.items())}


def replay(baseline: ReplayRuleset, candidate: ReplayRuleset, source: ScenarioSource | FactsSource, *,
           workers: int = 1, chunk_size: int = CHUNK_SIZE, progress: Progress | None = None,
           matcher: str = MATCHER_NAME) -> ReplayResult:
    """Both sides, one after the other, each in its own short-lived pool of ``workers`` processes.

    ``matcher`` is "durable-rules" (the default, the matcher of record) or "python" (see
    ``simulations.matcher``: same conditions, checked by a differential test).
    """
    if matcher not in ("durable-rules", "python"):
        raise ValueError(f"unknown matcher {matcher!r}: durable-rules or python")
    if _held_by_households(baseline, candidate, source):
        assert isinstance(source, FactsSource), "_held_by_households refuses a synthetic population"
        info = _household_info(source)
        months = list(source.months) if source.months is not None else _fact_months(source.facts)
    elif isinstance(source, ScenarioSource):
        population = generate_population(source.scenario, source.seed)
        info = {r.id: ResidentInfo(zone=r.zone, origin=r.origin, roles=r.roles) for r in population.residents}
        months = month_keys(source.scenario.period)
    else:
        ids = sorted({str(f.get("resident")) for f in source.facts} | set(source.residents or {}))
        unknown = ResidentInfo(zone="unknown", origin="unknown", roles=())
        info = {rid: (source.residents or {}).get(rid, unknown) for rid in ids}
        months = list(source.months) if source.months is not None else _fact_months(source.facts)
    residents = sorted(info)
    workers = max(1, int(workers))
    base = _run_side("baseline", baseline, source, residents, months, workers, chunk_size, progress, matcher)
    cand = _run_side("candidate", candidate, source, residents, months, workers, chunk_size, progress, matcher)
    return ReplayResult(baseline=base, candidate=cand, residents=info, months=months, workers=workers,
                        matcher=matcher)
