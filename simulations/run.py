"""One what-if run, end to end: rulesets + facts in, report JSON and HTML out.

Used by the CLI (``xinzhi simulate``) and meant for an API background job as well.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from xinzhi.engine.factfiles import read_facts
from xinzhi.service import Service

from .html_report import render_html
from .population import Scenario, generate_facts, generate_population, load_scenario
from .replay import FactsSource, Progress, ReplayRuleset, ScenarioSource
from .report import GroupNames, SimulationReport, SourceInfo, build_report, report_json, schema_json
from .shards import replay


@dataclass
class Outcome:
    """A finished run: the report, and the JSON and HTML texts that ``write_outputs`` writes."""

    report: SimulationReport
    json: str
    html: str


def scenario_with(path: str | Path, *, residents: int | None = None, months: int | None = None) -> Scenario:
    """A scenario file, optionally resized (population or period) for a quick run."""
    scenario = load_scenario(path)
    if residents is not None:
        scenario = scenario.model_copy(update={"residents": residents})
    if months is not None:
        scenario = scenario.model_copy(update={"period": scenario.period.model_copy(update={"months": months})})
    return Scenario.model_validate(scenario.model_dump(by_alias=True))


def simulate(baseline: str | Path | ReplayRuleset, candidate: str | Path | ReplayRuleset, *,
             scenario: Scenario | None = None, facts: str | Path | None = None, seed: int | None = None,
             workers: int = 1, search: tuple[str, ...] = (), chunk_size: int | None = None,
             progress: Progress | None = None, matcher: str = "durable-rules",
             recorded: str | None = None, community: str | None = None,
             service: Service | None = None, scheduler: str | None = None,
             cancelled: Callable[[], bool] | None = None) -> Outcome:
    """Replay under both rulesets and build the comparison (raises RulesetError / FactError).

    A ruleset is a file (its parents found beside it, in ``search``, then in the repository's
    rulesets) or a ``ReplayRuleset`` already holding its text and its parents' source.

    The facts come from exactly one of: ``scenario`` (synthetic), ``facts`` (a JSONL/CSV
    file), ``recorded`` (a period such as ``2021`` or ``2021-Q2`` of the facts ``community``
    recorded; ``service`` is an open service, else one is opened from XINZHI_* settings).
    ``scheduler`` and ``cancelled``: see ``shards.replay``.
    """
    if sum(x is not None for x in (scenario, facts, recorded)) != 1:
        raise ValueError("give exactly one of scenario, facts or recorded")
    base_src, cand_src = _ruleset(baseline, search), _ruleset(candidate, search)
    base_rs, cand_rs = base_src.load(), cand_src.load()  # fail early, before any worker starts
    source: ScenarioSource | FactsSource
    names = None  # zones and roles: the scenario's, or the community's
    if scenario is not None:
        seed = scenario.seed if seed is None else seed
        source = ScenarioSource(scenario=scenario, seed=seed)
        info_name, info_title, kind = scenario.id, scenario.title, "scenario"
    elif facts is not None:
        path = Path(facts)
        source = FactsSource(facts=tuple(read_facts(path)), name=path.name)
        info_name, info_title, kind, seed = path.name, None, "facts", None
    else:
        source, names = _recorded_source(recorded, community, service)
        info_name, info_title, kind, seed = source.name, None, "store", None
    result = replay(base_src, cand_src, source, workers=workers, chunk_size=chunk_size, progress=progress,
                    matcher=matcher, scheduler=scheduler, cancelled=cancelled)
    info = SourceInfo(kind=kind, name=info_name, title=info_title, seed=seed, residents=result.summary.residents.count,
                      months=result.months)
    report = build_report(result, (base_src, base_rs), (cand_src, cand_rs), info, scenario, names)
    return Outcome(report=report, json=report_json(report), html=render_html(report))


def _ruleset(given: str | Path | ReplayRuleset, search: tuple[str, ...]) -> ReplayRuleset:
    return given if isinstance(given, ReplayRuleset) else ReplayRuleset.from_file(given, search)


def _recorded_source(period: str | None, community: str | None,
                     service: Service | None) -> tuple[FactsSource, GroupNames]:
    """The facts recorded in the period, and the community's own zones and roles to title the report with."""
    from xinzhi.communities import get_community

    from .population import Period, month_keys
    from .recorded import facts_recorded, parse_period

    if not community or period is None:
        raise ValueError("--from-store needs a period and --community")
    start, end = parse_period(period)
    opened = None
    if service is None:
        from xinzhi.service import open_service
        from xinzhi.settings import Settings
        service = opened = open_service(Settings(), load_rulesets=False)
    try:
        facts, residents = facts_recorded(service, community, start, end)
        described = get_community(service, community)
    finally:
        if opened is not None:
            opened.close()
    months = (end.year - start.year) * 12 + end.month - start.month + (1 if end.day > 1 else 0)
    keys = tuple(m for m in month_keys(Period(start=start.replace(day=1), months=max(months, 1))))
    names = GroupNames({z.id: z.title for z in described.zones or ()}, {r.id: r.title for r in described.roles or ()})
    return FactsSource(facts=tuple(facts), name=f"{community}:{period}", residents=residents, months=keys), names


def write_outputs(outcome: Outcome, out: str | Path) -> dict[str, Path]:
    """Report JSON, HTML and schema into ``out`` (created if missing); the paths by kind: json, html, schema."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "report.json", "html": out / "report.html", "schema": out / "report.schema.json"}
    paths["json"].write_text(outcome.json, encoding="utf-8")
    paths["html"].write_text(outcome.html, encoding="utf-8")
    paths["schema"].write_text(schema_json(), encoding="utf-8")
    return paths


def export_facts(scenario: Scenario, seed: int | None, path: str | Path) -> int:
    """Write the scenario's synthetic facts as JSON Lines (for ``xinzhi score`` or replay)."""
    population = generate_population(scenario, seed)
    count = 0
    with open(path, "w", encoding="utf-8") as fh:
        for fact in generate_facts(population):
            fh.write(json.dumps(fact, ensure_ascii=False, sort_keys=True) + "\n")
            count += 1
    return count
