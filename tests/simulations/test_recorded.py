"""Replaying the facts a community recorded in the store (SQLite here)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.conftest import RULESETS
from tests.simulations.conftest import YIHE, small_scenario
from xinzhi.communities import create_community, register_residents
from xinzhi.registry import publish_ruleset, upload_ruleset
from xinzhi.scoring import post_facts
from xinzhi.service import open_service
from xinzhi.settings import Settings
from xinzhi.simulations.population import generate_facts, generate_population
from xinzhi.simulations.recorded import parse_period
from xinzhi.simulations.run import simulate


def test_parse_period():
    assert parse_period("2021") == (dt.date(2021, 1, 1), dt.date(2022, 1, 1))
    assert parse_period("2021-12") == (dt.date(2021, 12, 1), dt.date(2022, 1, 1))
    assert parse_period("2021-Q2") == (dt.date(2021, 4, 1), dt.date(2021, 7, 1))
    assert parse_period("2021-01-15..2021-02-10") == (dt.date(2021, 1, 15), dt.date(2021, 2, 11))
    for bad in ("21", "2021-13", "2021-Q5", "2021-02-01..2021-01-01"):
        with pytest.raises(ValueError):
            parse_period(bad)
    assert parse_period("2000-01-01..2009-12-31") == (dt.date(2000, 1, 1), dt.date(2010, 1, 1))  # 120 months
    for outside in ("1999", "2100-01", "2000-01-01..2099-12-31", "2000-01-01..2010-01-01"):  # found by attack
        with pytest.raises(ValueError, match="lies in 2000–2099 and spans at most 120 months"):
            parse_period(outside)


def test_simulate_from_store_uses_recorded_facts_and_registered_zones(tmp_path):
    from xinzhi.communities import CommunityCreate, ResidentCreate

    service = open_service(Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", rulesets_dir=None),
                                 load_rulesets=False)
    try:
        create_community(service, CommunityCreate(id="yihe", name="亿和社区"))
        population = generate_population(small_scenario(residents=40, months=2), 5)
        register_residents(service, "yihe", [
            ResidentCreate(id=r.id, name=f"居民{r.id}", zone=r.zone, household=r.household, roles=list(r.roles))
            for r in population.residents])
        summary = upload_ruleset(service, "yihe", YIHE.read_text(encoding="utf-8"))
        publish_ruleset(service, "yihe", summary.id, summary.version)
        facts = list(generate_facts(population))
        for i in range(0, len(facts), 500):
            post_facts(service, "yihe", facts[i:i + 500])
        recorded = simulate(YIHE, RULESETS / "dongshan_2022.yaml", recorded="2021-01-01..2021-02-28",
                            community="yihe", service=service)
        january = simulate(YIHE, RULESETS / "dongshan_2022.yaml", recorded="2021-01", community="yihe",
                           service=service)
    finally:
        service.close()
    file = tmp_path / "facts.jsonl"
    file.write_text("".join(json.dumps(f, ensure_ascii=False) + "\n" for f in facts), encoding="utf-8")
    direct = simulate(YIHE, RULESETS / "dongshan_2022.yaml", facts=file)
    report = recorded.report
    assert report.source.kind == "store" and report.source.name == "yihe:2021-01-01..2021-02-28"
    assert report.source.residents == 40 and report.source.months == ["2021-01", "2021-02"]
    assert [t.model_dump() for t in report.totals] == [t.model_dump() for t in direct.report.totals]
    zones = {g.id: g.residents for g in report.fairness.groups if g.dimension == "zone"}
    assert zones == {"north": sum(r.zone == "north" for r in population.residents),
                     "south": sum(r.zone == "south" for r in population.residents)}
    assert report.fairness.zone_gap is not None
    scored = {t.metric: t.baseline for t in january.report.totals}["facts_scored"]
    assert scored == sum(f["occurred_at"] < "2021-02" for f in facts)
