"""Running a what-if over shards of households, each worker keeping only a summary.

durable-rules cannot drop a registered ruleset and a discarded host leaks, so no engine ever
lives in the calling process: the work runs in ``spawn`` worker processes that end with the
run. A worker compiles both standards once and scores every chunk of its households under
each (the two share nothing but the process: not a limit counter, not a history).

A synthetic scenario is split by a stable hash of the household id (``shard_of``): a worker
draws the census once (zones and mediators, a few bytes a resident), then for each shard it
is given draws the council's cases of that shard's residents and walks the households again,
scoring its own 200 at a time and folding them into a ``summary.Summary``. Nothing that grows
with the population is held: not the residents, not their facts, not their outcomes. A file
or the store's facts are split into chunks by household in the calling process (which
already holds them) and each chunk's facts travel with it.

Summaries add up exactly and in any order, so the report is the same, byte for byte, for
one worker, two, or a cluster.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import uuid
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any

from xinzhi import tuning
from xinzhi.engine import CompiledRuleset

from . import cluster
from .population import Census, Household, case_facts, households, month_keys, resident_facts
from .replay import (
    CHUNK_SIZE,
    MATCHER_NAME,
    MONTH_COLUMNS,
    AwardsOf,
    FactsSource,
    Households,
    Progress,
    Readings,
    ReplayRuleset,
    ResidentInfo,
    ScenarioSource,
    as_household_fact,
    engine_awards,
    fact_months,
    household_types,
    read_alike,
    score_chunk,
)
from .summary import Summary, summarise

MATCHERS = ("durable-rules", "python", "polars-bulk")
#: Households a task scores at once. The bulk path pays a fixed cost per call, which a larger chunk spreads,
#: but a worker holds a chunk's frames: 300 was as fast as 2,000 (12,000 residents: 15.5 vs 15.8 CPU-s) in a
#: third of the memory (205 vs 446 MB a worker at 100k residents).
CHUNK_SIZES = {"durable-rules": CHUNK_SIZE, "python": CHUNK_SIZE, "polars-bulk": 300}


@dataclass
class ReplayResult:
    """Both standards over the same residents and months: the input of ``report.build_report``."""

    summary: Summary
    months: list[str]
    workers: int
    matcher: str = MATCHER_NAME


def shard_of(household: str, shards: int) -> int:
    """The shard a household belongs to: the same on every machine and Python (not ``hash``)."""
    digest = hashlib.blake2b(household.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % shards


# ---------------------------------------------------------------- worker side

@dataclass(frozen=True)
class Run:
    """What every task of one run carries: small (texts, a scenario), so any process, here or remote, can start."""

    key: str  # one run: a worker compiles its standards once per run
    baseline: ReplayRuleset
    candidate: ReplayRuleset
    source: ScenarioSource | None  # the scenario a worker draws from; None for facts that travel with the tasks
    matcher: str


#: The runs this worker process has compiled for, by key (a few: a cluster's workers outlive runs).
_RUNS: dict[str, dict[str, Any]] = {}
_KEPT_RUNS = 2


def _state(run: Run) -> dict[str, Any]:
    """Both standards compiled (once each, so a comparison of a standard with itself compiles one)."""
    state = _RUNS.get(run.key)
    if state is not None:
        return state
    # as a server does (``xinzhi.tuning``), and rarer still: a chunk's facts and awards all live until it is
    # summarised, so each young collection walked them again (a shard of 6,000 residents: 0.35 → 0.11 CPU-s)
    tuning.collect_garbage_rarely(young=100_000)
    compiled = [run.baseline.compile()]
    compiled.append(compiled[0] if run.candidate == run.baseline else run.candidate.compile())
    awards_of: AwardsOf = engine_awards
    if run.matcher == "python":
        from .matcher import PythonMatcher
        python = PythonMatcher()
        for one in compiled:
            python.register(one)
        awards_of = partial(engine_awards, matcher=python)
    elif run.matcher == "polars-bulk":  # Polars is loaded only where it is chosen
        from .bulk import evaluate_bulk
        awards_of = evaluate_bulk
    state = {"compiled": compiled, "awards_of": awards_of,
             "alike": read_alike(compiled[0].ruleset, compiled[1].ruleset)}
    if run.source is not None:
        state["census"] = Census.of(run.source.scenario, run.source.seed)  # once per worker: every shard reads it
    while len(_RUNS) >= _KEPT_RUNS:
        _RUNS.pop(next(iter(_RUNS)))
    _RUNS[run.key] = state
    return state


def _score(state: dict[str, Any], info: dict[str, ResidentInfo], registered: dict[str, str], facts: list[dict],
           months: list[str], shop: Any, zones: dict[str, str], seed: int, synthetic: bool) -> Summary:
    """One chunk under both standards, summarised.

    A synthetic fact of a type a household-held standard says is the household's own names the
    household (the population draws it for the head); a recorded fact is replayed as recorded.
    """
    compiled: list[CompiledRuleset] = state["compiled"]
    residents = sorted(info)
    readings = Readings(state["alike"], len(facts))
    chunks = [score_chunk(one, residents, [as_household_fact(f, types, registered) for f in facts]
                          if synthetic and types else facts, months, households=registered, shop=shop, zones=zones,
                          seed=seed, awards_of=state["awards_of"], readings=readings)
              for one, types in zip(compiled, (household_types(c.ruleset) for c in compiled), strict=True)]
    return summarise((chunks[0], chunks[1]), (compiled[0].ruleset, compiled[1].ruleset), info,
                     with_no_role=synthetic)


def scenario_shard(run: Run, shard: int, shards: int, months: list[str], chunk_size: int) -> Summary:
    """Every household of the shard, ``chunk_size`` at a time (a task: runs in a worker)."""
    state = _state(run)
    census: Census = state["census"]
    scenario, seed = census.scenario, census.seed

    def mine(household: str) -> bool:
        return shard_of(household, shards) == shard

    cases = case_facts(census, mine)
    summary = Summary()
    for batch in _batches(households(scenario, seed, keep=mine), chunk_size):
        people = [r for household in batch for r in household.members]
        info = {r.id: ResidentInfo(zone=r.zone, origin=r.origin, roles=r.roles, household=r.household)
                for r in people}
        facts = [f for r in people for f in resident_facts(scenario, seed, r) + cases.pop(r.id, [])]
        summary.merge(_score(state, info, {r.id: r.household for r in people}, facts, months, scenario.shop,
                             {r.id: r.zone for r in people}, seed, synthetic=True))
    return summary


def facts_chunk(run: Run, info: dict[str, ResidentInfo], registered: dict[str, str], facts: list[dict],
                months: list[str]) -> Summary:
    """One chunk of recorded facts, its households whole (a task: runs in a worker)."""
    return _score(_state(run), info, registered, facts, months, None, {}, 0, synthetic=False)


def _batches(items: Iterable[Household], size: int) -> Iterator[list[Household]]:
    batch: list[Household] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# ---------------------------------------------------------------- the run

Task = tuple[Callable[..., Summary], tuple]


class Cancelled(Exception):
    """The run was asked to stop (a job cancelled): what was merged so far is dropped."""


def _tasks(run: Run, source: ScenarioSource | FactsSource, months: list[str], workers: int,
           chunk_size: int) -> list[Task]:
    """The work: a scenario's shards (eight a worker: progress moves, and the last to finish leave little idle).

    A file's facts (or the store's) go in chunks of households instead.
    """
    if isinstance(source, ScenarioSource):
        shards = 8 * workers
        return [(scenario_shard, (run, shard, shards, months, chunk_size)) for shard in range(shards)]
    ids = sorted({str(f["resident"]) for f in source.facts if f.get("resident") is not None}
                 | set(source.residents or {}))
    unknown = ResidentInfo(zone="unknown", origin="unknown", roles=())
    info = {rid: (source.residents or {}).get(rid, unknown) for rid in ids}
    units = Households.of(info, source.facts)
    info = {rid: r if r.household or rid not in units.registered
            else ResidentInfo(zone=r.zone, origin=r.origin, roles=r.roles, household=units.registered[rid])
            for rid, r in info.items()}
    by_unit: dict[str, list[dict]] = {}  # a household's members' facts go to one chunk
    for fact in source.facts:
        by_unit.setdefault(units.unit(fact), []).append(fact)
    tasks: list[Task] = []
    ordered = sorted(units.units)
    for start in range(0, len(ordered), chunk_size):
        chunk = ordered[start:start + chunk_size]
        residents = [rid for unit in chunk for rid in units.units[unit]]
        registered = {rid: units.registered[rid] for rid in residents if rid in units.registered}
        tasks.append((facts_chunk, (run, {rid: info[rid] for rid in residents}, registered,
                                    [f for unit in chunk for f in by_unit.get(unit, [])], months)))
    return tasks


def replay(baseline: ReplayRuleset, candidate: ReplayRuleset, source: ScenarioSource | FactsSource, *,
           workers: int = 1, chunk_size: int | None = None, progress: Progress | None = None,
           matcher: str = MATCHER_NAME, scheduler: str | None = None,
           cancelled: Callable[[], bool] | None = None) -> ReplayResult:
    """Both standards over the source in ``workers`` processes; the summaries merged as they come.

    ``matcher`` is "durable-rules" (the default, the matcher of record), "python" (see
    ``simulations.matcher``: same conditions, checked by a differential test) or "polars-bulk"
    (``simulations.bulk``: the same awards column-wise, for what it supports; a standard using
    what it does not is refused here, with the reasons). ``chunk_size`` households go to a task
    (default: ``CHUNK_SIZES``). ``scheduler``
    runs the tasks on Dask distributed: "local" starts a cluster of ``workers`` processes for
    this run, an address (``tcp://host:8786``) uses a running one (``simulations.cluster``).
    ``cancelled`` is asked after every task: when it says so, the run stops with ``Cancelled``.
    """
    if matcher not in MATCHERS:
        raise ValueError(f"unknown matcher {matcher!r}: {', '.join(MATCHERS)}")
    if matcher == "polars-bulk":
        refuse_unsupported(baseline, candidate)
    workers = max(1, int(workers))
    chunk_size = chunk_size or CHUNK_SIZES[matcher]
    if isinstance(source, ScenarioSource):
        months = month_keys(source.scenario.period)
    else:
        months = list(source.months) if source.months is not None else fact_months(source.facts)
    run = Run(key=uuid.uuid4().hex, baseline=baseline.portable(), candidate=candidate.portable(),
              source=source if isinstance(source, ScenarioSource) else None, matcher=matcher)
    tasks = _tasks(run, source, months, workers, chunk_size)
    summary = Summary()
    if progress:
        progress("replay", 0, len(tasks))
    results = cluster.results(tasks, scheduler, workers) if scheduler else _processes(tasks, workers)
    done = 0
    try:
        for part in results:  # a part, or None after a second without one: time to ask about a cancel
            if part is not None:
                done += 1
                summary.merge(part)
                if progress:
                    progress("replay", done, len(tasks))
            if cancelled is not None and cancelled():
                raise Cancelled(f"cancelled after {done} of {len(tasks)} parts")
    finally:
        results.close()  # nothing queued runs, and the worker processes stop
    for side in (summary.baseline, summary.candidate):  # months no chunk had (none, when nobody is replayed)
        for month in months:
            side.monthly.setdefault(month, [Decimal(0)] * MONTH_COLUMNS)
    return ReplayResult(summary=summary, months=months, workers=workers, matcher=matcher)


def refuse_unsupported(*sides: ReplayRuleset) -> None:
    """``BulkUnsupported`` naming every construct of either standard the bulk path does not score."""
    from .bulk import BulkUnsupported, bulk_supports
    reasons = [reason for side in sides for reason in bulk_supports(side.compile())]
    if reasons:
        raise BulkUnsupported(list(dict.fromkeys(reasons)))


def _processes(tasks: list[Task], workers: int) -> Generator[Summary | None, None, None]:
    """The tasks on a short-lived pool of ``spawn`` processes: results as they finish, None each idle second."""
    with tuning.every_cpu():  # the workers spread over the CPUs, even under a server (``tuning.python_on_one_cpu``)
        pool = multiprocessing.get_context("spawn").Pool(workers)
    with pool:  # leaving it terminates the processes
        finished = pool.imap_unordered(_call, tasks)
        for _ in tasks:
            while True:
                try:
                    yield finished.next(timeout=1.0)
                    break
                except multiprocessing.TimeoutError:
                    yield None


def _call(task: Task) -> Summary:
    function, args = task
    return function(*args)
