"""``xinzhi score`` streams: a file in any order prints, to the byte, what scoring it in memory printed.

The command no longer holds the facts or the awards (issue 15): the facts are sorted on disk,
scored by a history that forgets ended periods, and the balances and awards written as they
come. What it prints is checked against ``evaluate`` over the whole file, rendered as the
command rendered it before, for a file in time order and the same file shuffled, copies
included; a conflicting copy is refused naming its line, as ``evaluate`` refuses it.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from unittest import mock

import pytest

from tests.cli.test_cli import xinzhi
from tests.conftest import RULESETS
from xinzhi.cli.main import main
from xinzhi.engine import FactError, compile_ruleset_file, evaluate, ordering
from xinzhi.engine.factfiles import read_facts
from xinzhi.simulations.population import DEFAULT_SCENARIO
from xinzhi.simulations.run import export_facts, scenario_with

YIHE, DONGSHAN = RULESETS / "yihe_2021.yaml", RULESETS / "dongshan_2022.yaml"


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """A synthetic year of 30 residents with every 40th fact given twice: in time order, and shuffled."""
    folder = tmp_path_factory.mktemp("facts")
    export_facts(scenario_with(DEFAULT_SCENARIO, residents=30, months=12), 15, folder / "generated.jsonl")
    lines = (folder / "generated.jsonl").read_text(encoding="utf-8").splitlines()
    lines += lines[::40]
    in_order = sorted(lines, key=lambda line: (json.loads(line)["occurred_at"], json.loads(line)["id"]))
    random.Random(15).shuffle(lines)
    out = {}
    for name, ordered in (("in_order", in_order), ("shuffled", lines)):
        out[name] = folder / f"{name}.jsonl"
        out[name].write_text("\n".join(ordered) + "\n", encoding="utf-8")
    return out


def in_memory(ruleset: Path, facts: Path) -> str:
    """What ``xinzhi score --explain --json`` printed before it streamed: ``evaluate`` over the whole file."""
    compiled = compile_ruleset_file(ruleset)
    evaluation = evaluate(compiled, read_facts(facts), explain=True, ignore_unknown_types=True)
    out = {"ruleset": compiled.ref, "ignored": evaluation.ignored,
           "balances": [b.model_dump(mode="json") for b in evaluation.balances(compiled.ruleset).values()],
           "awards": [a.as_json() for a in evaluation.awards], "misses": [m.as_json() for m in evaluation.misses]}
    return json.dumps(out, ensure_ascii=False, indent=2, default=str) + "\n"


@pytest.mark.parametrize("ruleset", [YIHE, DONGSHAN], ids=["yihe", "dongshan"])
def test_the_json_of_a_file_in_any_order_is_what_scoring_it_in_memory_prints(files, ruleset):
    expected = in_memory(ruleset, files["in_order"])
    assert json.loads(expected)["awards"] and json.loads(expected)["misses"]
    for facts in files.values():
        result = xinzhi("score", str(ruleset), "--facts", str(facts), "--explain", "--json",
                        "--ignore-unknown-types")
        assert result.returncode == 0, result.stderr
        assert result.stdout == expected


def test_the_table_of_a_file_in_any_order_is_the_same(files):
    printed = [xinzhi("score", str(YIHE), "--facts", str(facts), "--explain") for facts in files.values()]
    assert all(result.returncode == 0 for result in printed)
    assert printed[0].stdout == printed[1].stdout
    expected = json.loads(in_memory(YIHE, files["in_order"]))
    table = printed[0].stdout.splitlines()
    assert [line.split()[:3] for line in table[1:1 + len(expected["balances"])]] == \
        [[b["resident"], str(b["index"]), str(b["points"])] for b in expected["balances"]]
    assert len(table) == 2 + len(expected["balances"]) + len(expected["awards"]) + len(expected["misses"])


def test_many_runs_merged_in_passes_print_the_same(files, capsys):
    """Runs of 64 facts, merged three at a time: the file's ~900 facts take two passes to merge."""
    with mock.patch.object(ordering, "RUN", 64), mock.patch.object(ordering, "FAN_IN", 3):
        status = main(["score", str(DONGSHAN), "--facts", str(files["shuffled"]), "--explain", "--json",
                       "--ignore-unknown-types"])
    assert status == 0
    assert capsys.readouterr().out == in_memory(DONGSHAN, files["in_order"])


def test_a_conflicting_copy_is_refused_naming_its_line(files, tmp_path):
    lines = files["shuffled"].read_text(encoding="utf-8").splitlines()
    ids = [json.loads(line)["id"] for line in lines]
    once = [n for n, fact_id in enumerate(ids) if ids.count(fact_id) == 1]
    at_the_same_moment = json.loads(lines[once[10]])
    at_the_same_moment["resident"] = "someone else"
    at_another_moment = json.loads(lines[once[20]])
    at_another_moment["occurred_at"] = "2021-03-01T08:00:00+08:00"
    lines.insert(5, json.dumps(at_the_same_moment, ensure_ascii=False))  # line 6: given first, so it stands
    lines.append(json.dumps(at_another_moment, ensure_ascii=False))
    path = tmp_path / "conflicts.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = xinzhi("score", str(YIHE), "--facts", str(path))
    assert result.returncode == 1 and result.stdout == ""
    refused = [line for line in result.stderr.splitlines() if "[fact_id_conflict]" in line]
    later = once[10] + 2  # the fact first written, now after the conflicting copy (1-based)
    assert [line.split(": ")[0] for line in refused] == [f"{path}:{later}", f"{path}:{len(lines)}"]
    assert f"'{at_the_same_moment['id']}'" in refused[0] and f"'{at_another_moment['id']}'" in refused[1]
    with pytest.raises(FactError) as in_memory_too:
        evaluate(compile_ruleset_file(YIHE), read_facts(path))
    assert sorted(p.fact_id for p in in_memory_too.value.problems) == \
        sorted([at_the_same_moment["id"], at_another_moment["id"]])
