"""One scoring semantics everywhere: every embedded test of every repository ruleset, scored four ways.

The engine (``xinzhi test``), a dry-run of the published version, stored scoring (one fact
per request, in time order, so limits, repeats and sequences are read back from the
ledger and the stored facts) and a simulation's scorer (with its Python matcher) must
give the same awards and the same balances: those the test expects. Where the bulk path
scores the standard, its chunk is the Python matcher's, outcome for outcome.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from functools import partial

import pytest
from sqlalchemy import select

from simulations.bulk import bulk_supports, evaluate_bulk
from simulations.matcher import PythonMatcher
from simulations.replay import engine_awards, score_chunk
from tests.conftest import RULESETS
from tests.support.fixtures import new_community
from xinzhi.communities import ResidentCreate, register_residents
from xinzhi.db.tables import LedgerEntry
from xinzhi.engine import SHANGHAI, compile_ruleset_file, evaluate, read_fact
from xinzhi.engine.amounts import exact
from xinzhi.engine.testing import run_test
from xinzhi.ledger import household_view, resident_score
from xinzhi.registry import dry_run, publish_ruleset, upload_ruleset
from xinzhi.scoring import close_periods, post_fact

CASES = [pytest.param(path.name, index, id=f"{path.stem}:{index}")
         for path in sorted(RULESETS.glob("*.yaml"))
         for index in range(len(compile_ruleset_file(path).ruleset.tests))]


def expected(test) -> tuple[Counter, dict[str, tuple]]:
    awards = Counter((a.fact, a.period, a.rule, a.amount) for a in test.expect.awards or [])
    balances = {r: (b.index, b.points) for r, b in (test.expect.balances or {}).items()}
    return awards, balances


def parents_first(name: str) -> list[str]:
    """The files to upload for ``name``: its ``extends`` chain, the parent first."""
    chain, compiled = [name], compile_ruleset_file(RULESETS / name)
    for ref in compiled.ruleset.lineage[1:]:
        chain.insert(0, ref.split("@")[0] + ".yaml")
    return chain


@pytest.mark.parametrize(("file", "index"), CASES)
def test_every_embedded_test_scores_the_same_four_ways(service, file, index):
    compiled = compile_ruleset_file(RULESETS / file)
    test = compiled.ruleset.tests[index]
    facts = [f.model_dump(mode="json") for f in test.facts]
    awards, balances = expected(test)
    households = {f["resident"]: f.get("household") for f in facts if f.get("resident")}
    named = {f["household"] for f in facts if f.get("household")}
    households |= {f"{h}-1": h for h in named - set(households.values())}  # a member for a household named alone
    by_household = compiled.ruleset.accounts.held_by == "household"
    holders = sorted({f["household"] if by_household else f["resident"] for f in facts})  # whose accounts

    # 1. the engine, as `xinzhi test` runs it
    assert run_test(compiled, test).passed

    # 2. a dry-run of the published version, and 3. stored scoring, one fact per request
    community = new_community(service, ruleset=None)
    register_residents(service, community, [ResidentCreate(id=r, name=r, zone="north", household=h)
                                            for r, h in sorted(households.items())])
    for name in parents_first(file):  # a parent is published first; the child is in force from its own date
        uploaded = upload_ruleset(service, community, (RULESETS / name).read_text(encoding="utf-8"))
        publish_ruleset(service, community, uploaded.id, uploaded.version)
    until = test.closes_until
    dry = dry_run(service, community, uploaded.id, uploaded.version, facts, closes_until=until)
    stored = [post_fact(service, community, fact) for fact in sorted(facts, key=lambda f: (f["occurred_at"], f["id"]))]
    if until is not None:  # and the closing job, over the ledger
        close_periods(service, community, until, since=compiled.ruleset.effective_from)
    ways = {
        "dry-run": Counter((a["fact_id"], a["period"], a["rule_id"], exact(a["amount"])) for a in dry.awards),
        "stored": Counter((r.fact_id, None, e.rule_id, e.amount) for r in stored for e in r.entries
                          if e.kind in ("award", "deduction")) + period_awards(service, community, holders),
    }
    # 4. a simulation's scorer, with the Python matcher it may use, closing the periods with its last month
    matcher = PythonMatcher()
    matcher.register(compiled)
    months = months_between(compiled.ruleset.effective_from, until - dt.timedelta(days=1)) if until else []
    chunk = score_chunk(compiled, sorted(households) if by_household else holders, facts, months,
                        households={r: h for r, h in households.items() if h},
                        awards_of=partial(engine_awards, matcher=matcher))
    if not bulk_supports(compiled):  # 5. the bulk path, where it scores the standard: the very same chunk
        assert score_chunk(compiled, sorted(households) if by_household else holders, facts, months,
                           households={r: h for r, h in households.items() if h}, awards_of=evaluate_bulk) == chunk
    accounts = chunk.households if by_household else chunk.residents
    for way, got in ways.items():
        assert got == awards or not test.expect.awards, (way, got, awards)
    # a balance is as of the last award (a veto in force then may set the score): the last fact's day, or the
    # last day closed
    last_day = max([read_fact(f).occurred_at.astimezone(SHANGHAI).date() for f in facts]
                   + ([until - dt.timedelta(days=1)] if until else []))
    for resident, (index_, points) in balances.items():
        score = household_view(service, community, resident, as_of=last_day).account if by_household else \
            resident_score(service, community, resident, as_of=last_day)
        outcome = accounts[resident]
        dried = next(b for b in dry.balances if b["resident"] == resident)
        for way, got in {"stored": (score.index, score.points), "simulation": (outcome.index, outcome.points),
                         "dry-run": (exact(dried["index"]), exact(dried["points"]))}.items():
            assert got[0] == index_ if index_ is not None else True, (way, resident, got)
            assert got[1] == points if points is not None else True, (way, resident, got)
    simulated = Counter()
    for resident, outcome in accounts.items():
        simulated.update({(resident, rule): amount for rule, amount in outcome.rule_amounts.items()})
    per_rule = Counter()
    for award in evaluate(compiled, facts, closes_until=until).awards:
        per_rule[(award.resident, award.rule_id)] += award.amount
    assert +simulated == +per_rule


def period_awards(service, community: str, residents: list[str]) -> Counter:
    """The closing job's awards to these residents, as (fact, period, rule, amount)."""
    with service.db.reading() as session:
        return Counter((None, e.explanation["period"], e.rule_id, e.amount) for e in session.scalars(
            select(LedgerEntry).where(LedgerEntry.community == community, LedgerEntry.fact_id.is_(None),
                                      LedgerEntry.kind == "award", LedgerEntry.resident.in_(residents))))


def months_between(first: dt.date, last: dt.date) -> list[str]:
    """Every month from ``first``'s to ``last``'s, as a replay lists them (2021-01 …)."""
    months, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(f"{year}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months
