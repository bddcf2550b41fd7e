"""One bad fact, one problem: the same code and path however the fact arrives.

Posted alone, in a batch, in a CSV import, in a dry-run of the published version or of a
draft (in a worker process), straight to the engine, or through a simulation's chunk:
each way must name the same code, and the same path from the fact (a batch or a dry-run
places it at the fact's position, ``facts[1].fields.count``; an import gives the row).
"""

from __future__ import annotations

import csv
import io

import pytest

from tests.support.standard import CIVIC_V1
from xinzhi.engine import (
    FactError,
    Problem,
    compile_ruleset,
    evaluate,
    load_ruleset,
    validate_facts,
)
from xinzhi.errors import ServiceCode, ServiceError
from xinzhi.registry import dry_run, dry_run_draft
from xinzhi.scoring import import_facts_csv, post_fact, post_facts
from xinzhi.simulations.replay import score_chunk

GOOD = {"id": "good", "type": "activity", "resident": "r1", "occurred_at": "2021-05-03T10:00:00+08:00",
        "fields": {"name": "邻里节"}}
BAD = {"id": "bad", "type": "cleanup", "resident": "r1", "occurred_at": "2021-05-04T10:00:00+08:00",
       "fields": {"count": 3}}


def bad(*, drop: str | None = None, **changes) -> dict:
    fact = {**BAD, **changes}
    fact.pop(drop or "", None)
    return fact


# (fact, code, path from the fact, whether the check needs the registry: residents, dates in force)
CASES = [
    pytest.param(bad(fields={"count": "many"}), "fact_invalid", "fields.count", False, id="wrong-field-type"),
    pytest.param(bad(fields={}), "fact_invalid", "fields.count", False, id="missing-field"),
    pytest.param(bad(fields={"count": 3, "colour": "red"}), "fact_invalid", "fields.colour", False,
                 id="unknown-field"),
    pytest.param(bad(drop="resident"), "fact_invalid", "resident", False, id="missing-resident-key"),
    pytest.param(bad(occurred_at="last tuesday"), "fact_invalid", "occurred_at", False, id="bad-time"),
    pytest.param(bad(type="gardening"), "fact_unknown_type", "type", False, id="unknown-type"),
    pytest.param(bad(resident="ghost"), "fact_unknown_resident", "resident", True, id="unknown-resident"),
    pytest.param(bad(occurred_at="2020-06-01T10:00:00+08:00"), "fact_not_in_force", "occurred_at", True,
                 id="not-in-force"),
]


@pytest.fixture(scope="module")
def compiled():
    return compile_ruleset(load_ruleset(CIVIC_V1, name="civic.yaml"))


def refused(call, *args, **kwargs) -> ServiceError:
    with pytest.raises(ServiceError) as raised:
        call(*args, **kwargs)
    assert raised.value.code == ServiceCode.FACTS_REJECTED
    return raised.value


def found(problems: list[Problem]) -> list[tuple[str, str | None, str | None]]:
    return [(p.code, p.path, p.fact_id) for p in problems]


def as_csv(*facts: dict) -> str:
    columns = ["id", "type", "resident", "occurred_at", "name", "count", "colour"]
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, lineterminator="\n")
    writer.writeheader()
    for fact in facts:
        writer.writerow({**{k: v for k, v in fact.items() if k != "fields"}, **fact.get("fields", {})})
    return out.getvalue()


@pytest.mark.parametrize(("fact", "code", "path", "registry_only"), CASES)
def test_the_same_bad_fact_gets_the_same_code_and_path_everywhere(service, community, compiled, fact, code, path,
                                                                   registry_only):
    expected = [(code, path, "bad")]
    in_batch = [(code, f"facts[1].{path}", "bad")]

    assert found(refused(post_fact, service, community, fact).problems) == expected
    assert found(refused(post_facts, service, community, [GOOD, fact]).problems) == in_batch

    imported = refused(import_facts_csv, service, community, as_csv(GOOD, fact), name="office.csv").problems
    assert found(imported) == expected
    assert [(p.file, p.row) for p in imported] == [("office.csv", 3)]  # the header is row 1
    skipped = import_facts_csv(service, community, as_csv(GOOD, fact), skip_bad_rows=True)
    assert found(skipped.errors) == expected and skipped.errors[0].row == 3

    if registry_only:  # a dry-run names its version and residents are the registry's: nothing to refuse
        assert dry_run(service, community, "civic", 1, [GOOD, fact]).awards
        return
    assert found(refused(dry_run, service, community, "civic", 1, [GOOD, fact]).problems) == in_batch
    assert found(refused(dry_run_draft, service, community, CIVIC_V1, [GOOD, fact]).problems) == in_batch

    with pytest.raises(FactError) as raised:
        evaluate(compiled, [fact])
    assert found(raised.value.problems) == expected
    with pytest.raises(FactError) as raised:
        validate_facts(compiled, [GOOD, fact], label="facts")
    assert found(raised.value.problems) == in_batch
    chunk = score_chunk(compiled, ["r1"], [GOOD, fact], ["2021-05"])
    assert chunk.rejected == {f"{fact['type']}: {code}": 1}


def test_an_item_is_dumped_with_its_known_members_only(service, community):
    problem = refused(post_facts, service, community, [GOOD, bad(fields={"count": "many"})]).problems[0]
    dumped = problem.model_dump(mode="json")
    assert set(dumped) == {"code", "message", "path", "fact_id"}
    assert (dumped["code"], dumped["path"], dumped["fact_id"]) == ("fact_invalid", "facts[1].fields.count", "bad")
