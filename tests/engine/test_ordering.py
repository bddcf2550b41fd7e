"""Facts sorted on disk come back as ``evaluate`` orders them: validated, each id once, conflicts refused by row.

``OrderedFacts`` is checked against ``validate_facts`` (the in-memory rule of one id, one fact)
on shuffled facts with copies, conflicts and bad values, its runs made tiny so that every
merge — many runs, and runs merged into longer ones first — is exercised.
"""

from __future__ import annotations

import random
from collections import Counter
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import RULESETS
from xinzhi.engine import FactError, compile_ruleset_file, ordering, validate_facts
from xinzhi.engine.ordering import OrderedFacts

YIHE = compile_ruleset_file(RULESETS / "yihe_2021.yaml")


def volunteering(fact_id: str, when: str, hours: object = 2, resident: str = "r1") -> dict:
    return {"id": fact_id, "type": "volunteering", "resident": resident, "occurred_at": when,
            "fields": {"hours": hours}}


def ordered(raws: list[dict], *, run: int = 3, ignore: bool = False) -> OrderedFacts:
    """The facts added with their rows (1, 2, …) in tiny runs."""
    with mock.patch.object(ordering, "RUN", run):
        facts = OrderedFacts(YIHE, name="facts.jsonl", ignore_unknown_types=ignore)
    for row, raw in enumerate(raws, start=1):
        facts.add(row, raw)
    return facts


def read_back(raws: list[dict], *, run: int = 3, fan_in: int = 2) -> list:
    """The facts read back from tiny runs, merged a few at a time: in more than one pass where there are many."""
    facts = ordered(raws, run=run)
    with mock.patch.object(ordering, "FAN_IN", fan_in):
        return list(facts)


def test_shuffled_facts_come_back_in_scoring_order_through_many_runs():
    rng = random.Random(15)
    raws = [volunteering(f"f{i:04d}", f"2021-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:00:00+08:00",
                         resident=f"r{i % 37}") for i in range(600)]
    raws += [volunteering(f"g{i}", "2021-03-01T08:00:00+08:00") for i in range(20)]  # one moment: by id
    rng.shuffle(raws)
    expected = sorted(validate_facts(YIHE, raws), key=lambda f: f.sort_key)
    assert read_back(raws, run=7, fan_in=4) == expected  # 89 runs, merged four at a time until few are left


def test_a_copy_is_dropped_and_the_first_given_stands():
    first = volunteering("v1", "2021-05-01T09:00:00+08:00")
    copy = volunteering("v1", "2021-05-01T01:00:00Z")  # the same moment in another offset: the same fact
    other = volunteering("v2", "2021-04-01T09:00:00+08:00")
    assert [f.id for f in read_back([first, other, copy, copy])] == ["v2", "v1"]


def test_a_conflict_is_refused_at_its_row_at_the_same_moment_or_another():
    raws = [volunteering("v1", "2021-05-01T09:00:00+08:00"),
            volunteering("v2", "2021-05-02T09:00:00+08:00"),
            volunteering("v1", "2021-05-01T09:00:00+08:00", hours=3),  # the same moment, other hours
            volunteering("v2", "2021-06-02T09:00:00+08:00"),  # another moment
            volunteering("v2", "2021-06-02T09:00:00+08:00"),  # a copy of that conflict: a conflict too
            volunteering("v1", "2021-05-01T09:00:00+08:00")]  # a copy of the first: fine
    with pytest.raises(FactError) as refused:
        read_back(raws)
    assert [(p.code, p.file, p.row, p.fact_id) for p in refused.value.problems] == [
        ("fact_id_conflict", "facts.jsonl", 3, "v1"), ("fact_id_conflict", "facts.jsonl", 4, "v2"),
        ("fact_id_conflict", "facts.jsonl", 5, "v2")]
    assert "given earlier in the same input" in refused.value.problems[0].message


def test_bad_facts_are_refused_with_their_rows_and_nothing_comes_back():
    facts = ordered([volunteering("v1", "2021-05-01T09:00:00+08:00"),
                     volunteering("v2", "2021-05-01T10:00:00+08:00", hours="many"),
                     {"id": "b1", "type": "bonfire", "resident": "r1", "occurred_at": "2021-05-01T10:00:00+08:00"}])
    came: list = []
    with pytest.raises(FactError) as refused:
        came.extend(facts)
    assert came == []
    assert [(p.code, p.row, p.path) for p in refused.value.problems] == [
        ("fact_invalid", 2, "fields.hours"), ("fact_unknown_type", 3, "type")]


def test_facts_of_unknown_types_may_be_ignored_and_counted():
    facts = ordered([{"id": "b1", "type": "bonfire", "resident": "r1", "occurred_at": "2021-05-01T10:00:00+08:00"},
                     volunteering("v1", "2021-05-01T09:00:00+08:00")], ignore=True)
    assert [f.id for f in facts] == ["v1"] and facts.ignored == 1


IDS = st.sampled_from(["a", "b", "c", "d", "e"])
MOMENTS = st.sampled_from(["2021-05-01T09:00:00+08:00", "2021-05-01T01:00:00Z", "2021-05-01T09:00:00",
                           "2021-05-02T09:00:00+08:00", "2021-04-30T23:00:00+08:00"])
HOURS = st.sampled_from([1, 2, 2.0, "2", 3, -1])  # -1: refused (hours may not be negative)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(IDS, MOMENTS, HOURS, st.sampled_from(["r1", "r2"])), max_size=14), st.integers(1, 4))
def test_ordered_facts_agree_with_validating_in_memory(items, run):
    raws = [volunteering(fact_id, when, hours, resident) for fact_id, when, hours, resident in items]
    try:
        expected = sorted(validate_facts(YIHE, raws), key=lambda f: f.sort_key)
    except FactError as exc:
        with pytest.raises(FactError) as refused:
            read_back(raws, run=run)
        assert Counter((p.code, p.fact_id, p.path) for p in refused.value.problems) == \
            Counter((p.code, p.fact_id, p.path) for p in exc.problems)
        assert all(raws[p.row - 1]["id"] == p.fact_id for p in refused.value.problems)
    else:
        assert read_back(raws, run=run) == expected
