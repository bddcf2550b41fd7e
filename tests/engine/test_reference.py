"""The engine against an independent reference scorer (tests/engine/reference.py).

(a) every embedded test of every ruleset; (b) generated fact streams; (c) determinism;
(d) limits never exceeded; (e) explanations agree with matching; (f) threads; (g) more
than 5,000 residents in one run; (h) two rulesets interleaved fact by fact.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import math
import os
import random
import subprocess
import sys
import threading
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.engine import reference as ref
from xinzhi.engine import History, compile_ruleset, evaluate, load_ruleset, load_ruleset_file
from xinzhi.engine import balances as engine_balances
from xinzhi.engine.ruleset import Condition

ROOT = Path(__file__).resolve().parents[2]
RULESETS = ROOT / "rulesets"
SHANGHAI = ref.SHANGHAI
UTC = dt.UTC

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# A ruleset that exercises every part of the condition language (yihe uses only a few):
# optional fields under is_not / not_in / not, nested all / any / not, dates, bools,
# numbers, tables with else and negative entries, per-unit deductions, accounts
# overrides, unsorted limits of every period, a tie between a rule and a category limit,
# a disabled rule and a rule that can never hold.
WORKOUT_YAML = r"""
id: workout
version: 1
title: 条件语言测试
community: 测试社区
effective_from: 2021-01-01
accounts:
  starting_index: 50
  awards_raise: [index, points]
  deductions_lower: [index]
  points_expire: {after_months: 1}
tiers:
  - {id: LOW, title: 低, index_below: 50}
  - {id: MID, title: 中, index_from: 50, index_below: 60}
  - {id: HIGH, title: 高, index_from: 60}
categories:
  - {id: alpha, title: 甲, limits: [{period: week, max: 12}, {period: day, max: 5}]}
  - {id: beta, title: 乙, limits: [{period: month, max: 25}]}
  - {id: gamma, title: 丙}
  - {id: minus, title: 扣分}
fact_types:
  - id: probe
    title: 探针
    fields:
      label: {type: string, max_length: 12}
      note: {type: string, required: false}
      level: {type: int, min: -5, max: 20}
      extra: {type: int, min: 0, max: 9, required: false}
      amount: {type: number, min: -10, max: 30, required: false}
      flag: {type: bool, required: false}
      color: {type: enum, values: [red, green, blue]}
      shade: {type: enum, values: [light, dark], required: false}
      day: {type: date, required: false}
  - id: ping
    title: 简单
    fields:
      n: {type: int, min: 0, max: 3}
      tag: {type: string, required: false}
rules:
  - {id: eq_label, title: 等于, category: alpha, fact: probe, when: {label: a},
     award: {points: 2}, limits: [{period: day, max: 5}]}
  - {id: note_is_not, title: 不等于（可选字段）, category: gamma, fact: probe,
     when: {label: {present: true}, note: {is_not: x}}, award: {points: 1}}
  - {id: shade_not_in, title: 不在其中（可选字段）, category: beta, fact: probe,
     when: {color: red, shade: {not_in: [dark]}}, award: {points: 3},
     limits: [{period: year, max: 40}, {period: day, max: 6}, {period: quarter, max: 30}, {period: month, max: 20}]}
  - {id: not_extra, title: 非（可选字段）, category: beta, fact: probe,
     when: {level: {at_least: 0}, not: {extra: {at_least: 5}}}, award: {points: 1, per: level}}
  - {id: any_mix, title: 任一, category: alpha, fact: probe,
     when: {any: [{flag: true}, {amount: {above: 2.5}}, {day: {below: 2021-06-01}}]},
     award: {table: {field: shade, values: {light: 2, dark: 4}, else: 1}}}
  - {id: all_not_any, title: 全部且非任一, category: beta, fact: probe,
     when: {all: [{level: {above: -2}}, {level: {below: 10}}], not: {any: [{color: blue}, {shade: light}]}},
     award: {points: 2}}
  - {id: date_range, title: 日期区间, category: gamma, fact: probe,
     when: {day: {at_least: 2021-03-01, at_most: 2021-09-30}}, award: {points: 1}, accounts: [index]}
  - {id: green_no_note, title: 缺少字段, category: gamma, fact: probe,
     when: {color: green, note: {present: false}}, award: {points: 1}, accounts: [points]}
  - {id: level_in_no_flag, title: 在其中且无标记, category: alpha, fact: probe,
     when: {level: {in: [1, 2, 3]}, not: {flag: {present: true}}},
     award: {table: {field: level, values: {1: 4, 2: 0, 3: 7}}}}
  - {id: double_not, title: 双重否定, category: gamma, fact: probe,
     when: {not: {not: {color: blue}}}, award: {points: 1}}
  - {id: not_all, title: 非全部, category: beta, fact: probe,
     when: {label: {present: true}, not: {all: [{flag: true}, {extra: {at_most: 3}}]}}, award: {points: 1}}
  - {id: flag_false, title: 布尔假, category: alpha, fact: probe, when: {flag: false}, award: {points: 3}}
  - {id: amount_in, title: 数值在其中, category: gamma, fact: probe,
     when: {amount: {in: [2.5, 0, 3]}}, award: {points: 5}}
  - {id: color_table, title: 查表含扣分, category: alpha, fact: probe,
     when: {label: {present: true}}, award: {table: {field: color, values: {red: 3, green: -2}, else: 1}}}
  - {id: per_amount, title: 按数值（可为负）, category: beta, fact: probe,
     when: {amount: {present: true}}, award: {points: 2, per: amount}}
  - {id: per_extra_minus, title: 按件扣分, category: minus, fact: probe,
     when: {extra: {present: true}}, award: {points: -3, per: extra}}
  - {id: switched_off, title: 已停用, category: gamma, fact: probe, when: {label: a},
     award: {points: 100}, enabled: false}
  - {id: never, title: 永不成立, category: gamma, fact: probe,
     when: {label: {present: true}, not: {label: {present: true}}}, award: {points: 1}}
  - {id: day_eq, title: 日期相等, category: gamma, fact: probe, when: {day: 2021-05-01}, award: {points: 1}}
  - {id: label_in, title: 文字在其中, category: alpha, fact: probe,
     when: {label: {in: ["中文", "a\"b", "a"]}}, award: {points: 1}}
  - {id: note_not_in_neg, title: 非在其中（可选字段）, category: gamma, fact: probe,
     when: {color: {is_not: green}, not: {note: {in: [x, y]}}}, award: {points: 1}}
  - {id: day_in, title: 日期在其中, category: gamma, fact: probe,
     when: {day: {in: [2021-01-01, 2021-12-31]}}, award: {points: 1}}
  - {id: ping_n, title: 按次数, category: alpha, fact: ping,
     when: {n: {at_least: 1}}, award: {points: 2, per: n}, limits: [{period: week, max: 6}]}
  - {id: ping_any, title: 任一（可选字段）, category: beta, fact: ping,
     when: {any: [{n: 0}, {tag: {present: true}}]}, award: {points: 1}}
"""


# ---------------------------------------------------------------- rulesets

@functools.cache
def compiled_file(name: str):
    return compile_ruleset(load_ruleset_file(RULESETS / name))


@functools.cache
def compiled_workout():
    return compile_ruleset(load_ruleset(WORKOUT_YAML, name="workout.yaml"))


def as_dict(compiled) -> dict:
    return compiled.ruleset.model_dump(by_alias=True)


# ---------------------------------------------------------------- comparing results

def engine_rows(awards) -> list[tuple]:
    return [(a.fact_id, a.resident, a.occurred_at, a.ruleset, a.rule_id, a.category, a.raw_amount,
             a.amount, a.limited_by, tuple(a.accounts), a.points_expire_on, a.occurrence, tuple(a.earlier),
             a.after_fact, tuple(a.reached), a.reached_total, a.period, tuple(a.qualified)) for a in awards]


def reference_rows(awards) -> list[tuple]:
    return [(a.fact_id, a.resident, a.occurred_at, a.ruleset, a.rule_id, a.category, a.raw_amount,
             a.amount, a.limited_by, a.accounts, a.points_expire_on, a.occurrence, a.earlier, a.after_fact,
             a.reached, a.reached_total, a.period, a.qualified) for a in awards]


def short(rows: list[tuple]) -> list[tuple]:
    """(fact, rule, amount, limited_by) of each award."""
    return [(r[0], r[4], r[7], r[8]) for r in rows]


def assert_agrees(compiled, facts: list[dict], evaluation=None, closes_until: dt.date | None = None) -> None:
    """The engine's awards and balances equal the reference's, in the same order."""
    ruleset = as_dict(compiled)
    evaluation = evaluation if evaluation is not None else evaluate(compiled, facts, closes_until=closes_until)
    expected = ref.score(ruleset, facts, closes_until)
    got, want = engine_rows(evaluation.awards), reference_rows(expected.awards)
    assert short(got) == short(want)
    assert got == want
    engine = engine_balances(compiled.ruleset, evaluation.awards, evaluation.residents, evaluation.resets)
    assert {r: (b.index, b.points, b.tier) for r, b in engine.items()} == \
        ref.balances(ruleset, expected.awards, closes_until, tuple(evaluation.residents))
    assert {r: b.flags for r, b in engine.items()} == {
        r: ref.veto_flags(ruleset, expected.awards, r, closes_until, tuple(engine)) for r in engine}


# ---------------------------------------------------------------- generating facts

YEAR_START = dt.datetime(2021, 1, 1, tzinfo=SHANGHAI)
YEAR_END = dt.datetime(2022, 1, 1, tzinfo=SHANGHAI)
YEAR_SECONDS = int((YEAR_END - YEAR_START).total_seconds())
MONTH_STARTS = [dt.datetime(2021, m, 1, tzinfo=SHANGHAI) for m in range(1, 13)] + [YEAR_END]
MONDAYS = [dt.datetime(2021, 1, 4, tzinfo=SHANGHAI) + dt.timedelta(weeks=w) for w in range(52)]
BOUNDARIES = sorted(set(MONTH_STARTS + MONDAYS))
JITTERS = [dt.timedelta(0), dt.timedelta(seconds=-1), dt.timedelta(seconds=1), dt.timedelta(microseconds=-1),
           dt.timedelta(minutes=-30), dt.timedelta(minutes=30), dt.timedelta(hours=-8), dt.timedelta(hours=8),
           dt.timedelta(hours=-8, seconds=-1)]
STYLES = ["naive", "shanghai", "utc_z", "offset", "object_utc", "object_naive"]
OTHER_ZONE = dt.timezone(dt.timedelta(hours=-5, minutes=-30))


def clip(moment: dt.datetime) -> dt.datetime:
    return max(YEAR_START, min(YEAR_END - dt.timedelta(microseconds=1), moment))


def written(moment: dt.datetime, style: str):
    """One moment written the ways facts arrive: naive (Shanghai), with offsets, objects."""
    local = moment.astimezone(SHANGHAI)
    if style == "naive":
        return local.replace(tzinfo=None).isoformat()
    if style == "shanghai":
        return local.isoformat()
    if style == "utc_z":
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if style == "offset":
        return moment.astimezone(OTHER_ZONE).isoformat()
    if style == "object_utc":
        return moment.astimezone(UTC)
    return local.replace(tzinfo=None)


def constants(ruleset: dict) -> dict[tuple[str, str], list]:
    """(fact type, field) → the values the ruleset's conditions and tables mention."""
    found: dict[tuple[str, str], set] = defaultdict(set)

    def walk(fact_type: str, when: dict | None) -> None:
        for key, test in (when or {}).items():
            if test is None:
                continue
            if key in ("all", "any"):
                for child in test:
                    walk(fact_type, child)
            elif key == "not":
                walk(fact_type, test)
            elif isinstance(test, dict):
                for op, value in test.items():
                    if value is None or op == "present":
                        continue
                    found[(fact_type, key)].update(value if isinstance(value, list) else [value])
            else:
                found[(fact_type, key)].add(test)

    for rule in ruleset["rules"]:
        walk(rule["fact"], rule.get("when"))
        table = rule["award"].get("table")
        if table:
            found[(rule["fact"], table["field"])].update(table["values"])
    return {k: sorted(v, key=repr) for k, v in found.items()}


def _bounds(spec: dict, low: float, high: float) -> tuple[float, float]:
    return (low if spec.get("min") is None else spec["min"], high if spec.get("max") is None else spec["max"])


def _in_range(spec: dict, values: list, low: float, high: float) -> list:
    lo, hi = _bounds(spec, low, high)
    return [v for v in values if lo <= v <= hi]


def _near(spec: dict, known: list, kind: type) -> list:
    """Constants of a numeric field and their neighbours, within the field's range."""
    numbers = [v for v in known if isinstance(v, (int, float)) and not isinstance(v, bool)]
    step = 1 if kind is int else 0.5
    near = {kind(v + d) for v in numbers for d in (-step, 0, step)} if kind is int else \
        {float(v + d) for v in numbers for d in (-step, 0, step)}
    return sorted(_in_range(spec, list(near), -1e9, 1e9))


TINY = [1e-05, 3e-07, 5e-324, 2.5e-10, 1e-4]  # exponent forms, which durable-rules once choked on


def value_strategy(spec: dict, known: list) -> st.SearchStrategy:
    kind = spec["type"]
    if kind == "int":
        lo, hi = _bounds(spec, -20, 50)
        options = [st.integers(math.ceil(lo), math.floor(hi))]
        near = _near(spec, known, int)
        return st.one_of(*options, st.sampled_from(near)) if near else options[0]
    if kind == "number":
        lo, hi = _bounds(spec, -100, 100)
        # Every half in range, drawn as from a list of them: a range stays lazy (dongshan's donation
        # goes up to 10,000,000 yuan, and a list of its 20 million halves took seconds per fact to build and label).
        halves = st.sampled_from(range(math.ceil(lo * 2), math.floor(hi * 2) + 1)).map(lambda x: x / 2)
        options = [st.floats(lo, hi, allow_nan=False, allow_infinity=False),
                   st.integers(math.ceil(lo), math.floor(hi)), halves]
        extra = _near(spec, known, float) + _in_range(spec, TINY, lo, hi)
        return st.one_of(*options, *([st.sampled_from(extra)] if extra else []))
    if kind == "string":
        size = min(spec.get("max_length") or 200, 12)
        texts = st.text(max_size=size)
        strings = [v for v in known if isinstance(v, str) and len(v) <= size]
        return st.one_of(texts, st.sampled_from(strings)) if strings else texts
    if kind == "bool":
        return st.booleans()
    if kind == "enum":
        return st.sampled_from(spec["values"])
    if kind == "date":
        days = [d + dt.timedelta(days=k) for d in known if isinstance(d, dt.date) for k in (-1, 0, 1)]
        dates = st.dates(dt.date(2020, 12, 25), dt.date(2022, 1, 5))
        pick = st.one_of(dates, st.sampled_from(days)) if days else dates
        return st.tuples(pick, st.booleans()).map(lambda p: p[0].isoformat() if p[1] else p[0])
    raise AssertionError(f"no strategy for {kind}")


def moments(focus: dt.datetime, earlier: list[dt.datetime]) -> st.SearchStrategy:
    anywhere = st.integers(0, YEAR_SECONDS - 1).map(lambda s: YEAR_START + dt.timedelta(seconds=s))
    boundary = st.tuples(st.sampled_from(BOUNDARIES), st.sampled_from(JITTERS)).map(lambda p: clip(p[0] + p[1]))
    midnight = st.tuples(st.integers(0, 364), st.sampled_from(JITTERS)).map(
        lambda p: clip(YEAR_START + dt.timedelta(days=p[0]) + p[1]))
    near = st.integers(-10 * 86400, 10 * 86400).map(lambda s: clip(focus + dt.timedelta(seconds=s)))
    options = [anywhere, boundary, midnight, near, near]
    if earlier:
        options.append(st.sampled_from(earlier))  # the same moment again: ties broken by id
    return st.one_of(*options)


@st.composite
def fact_streams(draw, ruleset: dict, max_size: int = 30, residents: tuple[str, ...] = ("r1", "r2", "r3"),
                 types: tuple[str, ...] | None = None) -> list[dict]:
    """Valid facts for ``ruleset``: every fact type, times in 2021 (boundaries included)."""
    fact_types = {t["id"]: t for t in ruleset["fact_types"]}
    known = constants(ruleset)
    type_ids = list(types or fact_types)
    size = draw(st.integers(0, max_size))
    ids = draw(st.lists(st.text("abcxyz019-", min_size=1, max_size=5), min_size=size, max_size=size, unique=True))
    focus = draw(st.integers(0, YEAR_SECONDS - 1).map(lambda s: YEAR_START + dt.timedelta(seconds=s)))
    facts, earlier = [], []
    for fact_id in ids:
        type_id = draw(st.sampled_from(type_ids))
        fields = {}
        for name, spec in fact_types[type_id]["fields"].items():
            value = value_strategy(spec, known.get((type_id, name), []))
            if not spec["required"]:
                choice = draw(st.sampled_from(["value", "value", "missing", "none"]))
                if choice == "missing":
                    continue
                if choice == "none":
                    fields[name] = None
                    continue
            fields[name] = draw(value)
        moment = draw(moments(focus, earlier))
        earlier.append(moment)
        facts.append({"id": fact_id, "type": type_id, "resident": draw(st.sampled_from(residents)),
                      "occurred_at": written(moment, draw(st.sampled_from(STYLES))), "fields": fields})
    return facts


def random_value(rng: random.Random, spec: dict, known: list):
    kind = spec["type"]
    if kind == "int":
        lo, hi = _bounds(spec, -20, 50)
        near = _near(spec, known, int)
        return rng.choice(near) if near and rng.random() < 0.5 else rng.randint(math.ceil(lo), math.floor(hi))
    if kind == "number":
        lo, hi = _bounds(spec, -100, 100)
        r = rng.random()
        if r < 0.4:
            return rng.randint(math.ceil(lo), math.floor(hi))
        if r < 0.7:
            return rng.randint(math.ceil(lo * 2), math.floor(hi * 2)) / 2
        return rng.uniform(lo, hi)
    if kind == "string":
        strings = [v for v in known if isinstance(v, str)]
        return rng.choice(strings) if strings and rng.random() < 0.5 else \
            "".join(rng.choice("abc中文 ") for _ in range(rng.randint(0, 6)))
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "enum":
        return rng.choice(spec["values"])
    if kind == "date":
        days = [d for d in known if isinstance(d, dt.date)]
        if days and rng.random() < 0.3:
            return rng.choice(days) + dt.timedelta(days=rng.choice((-1, 0, 0, 1)))
        return dt.date(2021, 1, 1) + dt.timedelta(days=rng.randint(-3, 368))
    raise AssertionError(kind)


def random_facts(rng: random.Random, ruleset: dict, count: int, residents: list[str], prefix: str = "f",
                 types: list[str] | None = None, start: dt.datetime = YEAR_START,
                 span_days: int = 365) -> list[dict]:
    """A seeded stream of valid facts (no hypothesis): for the large, fixed tests."""
    fact_types = {t["id"]: t for t in ruleset["fact_types"]}
    known = constants(ruleset)
    facts = []
    for i in range(count):
        type_id = rng.choice(types or list(fact_types))
        fields = {}
        for name, spec in fact_types[type_id]["fields"].items():
            if not spec["required"] and rng.random() < 0.3:
                continue
            fields[name] = random_value(rng, spec, known.get((type_id, name), []))
        if rng.random() < 0.2:
            moment = clip(rng.choice(BOUNDARIES) + rng.choice(JITTERS))
        else:
            moment = clip(start + dt.timedelta(seconds=rng.randrange(span_days * 86400)))
        facts.append({"id": f"{prefix}{i:06d}", "type": type_id, "resident": rng.choice(residents),
                      "occurred_at": written(moment, rng.choice(STYLES)), "fields": fields})
    rng.shuffle(facts)
    return facts


# ---------------------------------------------------------------- (a) embedded tests

def _embedded_cases():
    cases = []
    for path in sorted(RULESETS.glob("*.yaml")):
        ruleset = load_ruleset_file(path)
        cases += [pytest.param(path.name, i, id=f"{path.stem}:{i}:{test.name}")
                  for i, test in enumerate(ruleset.tests)]
    return cases


EMBEDDED = _embedded_cases()


def test_every_ruleset_has_embedded_tests_to_compare():
    assert {case.values[0] for case in EMBEDDED} == {p.name for p in RULESETS.glob("*.yaml")}


@pytest.mark.parametrize(("file", "index"), EMBEDDED)
def test_reference_agrees_with_engine_on_embedded_tests(file, index):
    compiled = compiled_file(file)
    test = compiled.ruleset.tests[index]
    facts = [fact.model_dump() for fact in test.facts]
    assert_agrees(compiled, facts, closes_until=test.closes_until)

    # the reference also meets the test's own expectations, so it is not merely agreeing
    ruleset = as_dict(compiled)
    result = ref.score(ruleset, facts, test.closes_until)
    if test.expect.awards is not None:
        with_limits = any(e.limited_by for e in test.expect.awards)
        got = Counter((a.fact_id, a.period, a.rule_id, a.amount, a.limited_by if with_limits else None)
                      for a in result.awards)
        want = Counter((e.fact, e.period, e.rule, e.amount, e.limited_by if with_limits else None)
                       for e in test.expect.awards)
        assert got == want
    start = ruleset["accounts"]["starting_index"]
    got_balances = ref.balances(ruleset, result.awards, test.closes_until)
    for resident, expected in (test.expect.balances or {}).items():
        index, points, tier = got_balances.get(resident, (start, 0, ref.tier_of(ruleset, start)))
        for key, value in (("index", index), ("points", points), ("tier", tier)):
            if getattr(expected, key) is not None:
                assert value == getattr(expected, key), (resident, key)


# ---------------------------------------------------------------- (b) generated streams

YIHE = "yihe_2021.yaml"
YIHE_DICT = as_dict(compiled_file(YIHE))
WORKOUT_DICT = as_dict(compiled_workout())


@settings(max_examples=150, **SETTINGS)
@given(facts=fact_streams(YIHE_DICT))
def test_engine_equals_reference_on_generated_yihe_facts(facts):
    assert_agrees(compiled_file(YIHE), facts)


@settings(max_examples=40, **SETTINGS)
@given(facts=fact_streams(YIHE_DICT, max_size=60, residents=("r1",)))
def test_engine_equals_reference_for_one_busy_resident(facts):
    assert_agrees(compiled_file(YIHE), facts)


@settings(max_examples=100, **SETTINGS)
@given(facts=fact_streams(WORKOUT_DICT))
def test_engine_equals_reference_on_every_part_of_the_condition_language(facts):
    assert_agrees(compiled_workout(), facts)


def test_generated_yihe_streams_cover_every_fact_type():
    """The generator can produce every fact type of the ruleset (else (b) proves less)."""
    rng = random.Random(7)
    facts = random_facts(rng, YIHE_DICT, 500, ["r1"])
    assert {f["type"] for f in facts} == {t["id"] for t in YIHE_DICT["fact_types"]}
    rules_hit = {a.rule_id for a in ref.score(YIHE_DICT, facts).awards}
    assert rules_hit == {r["id"] for r in YIHE_DICT["rules"] if r["enabled"]}


def test_workout_ruleset_exercises_what_it_claims():
    rng = random.Random(11)
    facts = random_facts(rng, WORKOUT_DICT, 3000, ["r1", "r2"], start=dt.datetime(2021, 5, 1, tzinfo=SHANGHAI),
                         span_days=30)
    result = ref.score(WORKOUT_DICT, facts)
    enabled = {r["id"] for r in WORKOUT_DICT["rules"] if r["enabled"]}
    assert {a.rule_id for a in result.awards} == enabled - {"never"}
    assert any(a.limited_by and a.limited_by.startswith("category:") for a in result.awards)
    assert any(a.limited_by and a.limited_by.startswith("rule:") for a in result.awards)
    assert any(a.amount < 0 for a in result.awards)
    assert any(rules for rules in result.zero.values())
    assert_agrees(compiled_workout(), facts)


# ---------------------------------------------------------------- (c) determinism

@settings(max_examples=60, **SETTINGS)
@given(data=st.data())
def test_same_facts_in_any_order_give_identical_results(data):
    compiled = compiled_file(YIHE)
    facts = data.draw(fact_streams(YIHE_DICT))
    shuffled = data.draw(st.permutations(facts))
    first = evaluate(compiled, facts, explain=True)
    again = evaluate(compiled, shuffled, explain=True)
    assert first == again
    assert engine_rows(first.awards) == engine_rows(again.awards)


_SUBPROCESS = """
import json, sys
from xinzhi.engine import compile_ruleset, evaluate, load_ruleset_file
facts = json.load(sys.stdin)
compiled = compile_ruleset(load_ruleset_file(sys.argv[1]))
print(evaluate(compiled, facts, explain=True).model_dump_json())
"""


def test_same_facts_give_the_same_ledger_in_other_processes():
    rng = random.Random(3)
    facts = random_facts(rng, YIHE_DICT, 400, ["r1", "r2", "r3"])
    for fact in facts:  # JSON cannot carry datetime objects
        if isinstance(fact["occurred_at"], dt.datetime):
            fact["occurred_at"] = fact["occurred_at"].isoformat()
    here = json.loads(evaluate(compiled_file(YIHE), facts, explain=True).model_dump_json())
    outputs = []
    for seed in ("1", "2"):
        reversed_facts = list(reversed(facts)) if seed == "2" else facts
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run([sys.executable, "-c", _SUBPROCESS, str(RULESETS / YIHE)], cwd=ROOT, env=env,
                             input=json.dumps(reversed_facts), capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, run.stderr
        outputs.append(json.loads(run.stdout))
    assert outputs[0] == here
    assert outputs[1] == here


# ---------------------------------------------------------------- (d) limits

def limit_overruns(ruleset: dict, awards) -> list[str]:
    """Every span of every limit (ending at some granted amount) whose amounts exceed its max or its times."""
    rules = {r["id"]: r for r in ruleset["rules"]}
    granted = [(award, limit) for award in awards if award.amount and award.period is None  # period rules: no limits
               for limit in ref.rule_limits(ruleset, rules[award.rule_id]) if limit.sign * award.amount > 0]
    overruns = set()
    for last, limit in granted:
        sizes = [abs(a.amount) for a, lim in granted if lim == limit and a.resident == last.resident
                 and a.occurred_at <= last.occurred_at and limit.spans(a.occurred_at, last.occurred_at)]
        if (limit.max is not None and sum(sizes) > limit.max) or (limit.times is not None and len(sizes) > limit.times):
            overruns.add(f"{last.resident} {limit.name} up to {last.fact_id}: {sizes}")
    return sorted(overruns)


def dense_streams(ruleset: dict) -> st.SearchStrategy:
    return fact_streams(ruleset, max_size=50, residents=("r1", "r2"))


@settings(max_examples=80, **SETTINGS)
@given(facts=dense_streams(YIHE_DICT))
def test_no_limit_is_ever_exceeded(facts):
    evaluation = evaluate(compiled_file(YIHE), facts)
    assert limit_overruns(YIHE_DICT, evaluation.awards) == []
    for award in evaluation.awards:  # a limit only ever cuts an amount toward 0, and says so
        assert 0 <= award.amount / award.raw_amount <= 1
        assert (award.limited_by is not None) == (award.amount != award.raw_amount)


@settings(max_examples=50, **SETTINGS)
@given(facts=dense_streams(WORKOUT_DICT))
def test_no_limit_is_ever_exceeded_with_overlapping_rule_and_category_limits(facts):
    evaluation = evaluate(compiled_workout(), facts)
    assert limit_overruns(WORKOUT_DICT, evaluation.awards) == []


def test_limit_check_itself_catches_an_overrun():
    """The property above can fail: an award over its limit is reported."""
    facts = [{"id": f"x{i}", "type": "community_activity", "resident": "r", "occurred_at": f"2021-04-0{i + 1}T10:00:00",
              "fields": {"activity": "a"}} for i in range(6)]
    awards = evaluate(compiled_file(YIHE), facts).awards
    assert limit_overruns(YIHE_DICT, awards) == []
    inflated = [dataclasses.replace(a, amount=a.raw_amount) for a in awards]
    assert limit_overruns(YIHE_DICT, inflated) != []


# ---------------------------------------------------------------- (e) explanations

def explanation_problems(compiled, facts: list[dict]) -> list[str]:
    """Where the explanation (explain=True) disagrees with what the engine matched."""
    ruleset = as_dict(compiled)
    evaluation = evaluate(compiled, facts, explain=True)
    awarded, missed = defaultdict(list), defaultdict(list)
    for award in evaluation.awards:
        awarded[award.fact_id].append(award.rule_id)
    for miss in evaluation.misses:
        missed[miss.fact_id].append(miss)
    problems = []
    awarded_by_reference = {(a.fact_id, a.rule_id) for a in ref.score(ruleset, facts).awards}
    for fact in facts:
        fid = fact["id"]
        values = ref.fact_values(ruleset, fact)
        rules = [r for r in ruleset["rules"] if r["fact"] == fact["type"]]
        by_id = {r["id"]: r for r in rules}
        outcomes = awarded[fid] + [m.rule_id for m in missed[fid]]
        if sorted(outcomes) != sorted(by_id):
            problems.append(f"{fid}: outcomes {sorted(outcomes)} for rules {sorted(by_id)}")
            continue
        matched = set(awarded[fid])
        for miss in missed[fid]:
            rule = by_id[miss.rule_id]
            if not rule["enabled"]:
                if miss.op is not None:
                    problems.append(f"{fid}/{miss.rule_id}: a switched-off rule explained by a test")
                continue
            if miss.op in ("after", "not_after", "reaches", "exclusive"):  # it matched; history or a row decided
                matched.add(miss.rule_id)
                if (fid, miss.rule_id) in awarded_by_reference:
                    problems.append(f"{fid}/{miss.rule_id}: '{miss.reason}' but the reference awards it")
                continue
            if miss.op is None:  # not a failed test: the award was 0
                matched.add(miss.rule_id)
                if ref.raw_amount(rule["award"], values) != 0:
                    problems.append(f"{fid}/{miss.rule_id}: '{miss.reason}' but the raw award is not 0")
                continue
            if ref.explained_test_holds(miss.field, miss.op, miss.expected, values):
                problems.append(f"{fid}/{miss.rule_id}: blamed test {miss.field} {miss.op} {miss.expected!r} "
                                f"holds for {values!r}")
            if miss.field not in values:
                if miss.actual is not None:
                    problems.append(f"{fid}/{miss.rule_id}: actual {miss.actual!r} for a missing field")
            elif not isinstance(values[miss.field], dt.date) and miss.actual != values[miss.field]:
                problems.append(f"{fid}/{miss.rule_id}: actual {miss.actual!r} != {values[miss.field]!r}")
        holds = {r["id"] for r in rules if r["enabled"] and ref.condition_holds(r.get("when"), values)}
        if matched != holds:
            problems.append(f"{fid}: engine matched {sorted(matched)}, conditions hold for {sorted(holds)}")
    return problems


@settings(max_examples=100, **SETTINGS)
@given(facts=fact_streams(YIHE_DICT))
def test_explanation_never_disagrees_with_the_engine(facts):
    assert explanation_problems(compiled_file(YIHE), facts) == []


@settings(max_examples=80, **SETTINGS)
@given(facts=fact_streams(WORKOUT_DICT))
def test_explanation_never_disagrees_with_the_engine_on_every_condition_form(facts):
    assert explanation_problems(compiled_workout(), facts) == []


@settings(max_examples=30, **SETTINGS)
@given(facts=fact_streams(as_dict(compiled_file("dongshan_2022.yaml"))))
def test_extending_ruleset_agrees_and_explains(facts):
    compiled = compiled_file("dongshan_2022.yaml")
    assert_agrees(compiled, facts)
    assert explanation_problems(compiled, facts) == []


# ---------------------------------------------------------------- (f) threads

def test_eight_threads_at_once_give_the_sequential_results():
    compiled = compiled_file(YIHE)
    batches = [random_facts(random.Random(100 + t), YIHE_DICT, 250, [f"t{t}-r{i}" for i in range(5)],
                            prefix=f"t{t}-") for t in range(8)]
    sequential = [evaluate(compiled, batch, explain=True) for batch in batches]
    for batch, evaluation in zip(batches, sequential, strict=True):
        assert_agrees(compiled, batch, evaluation)

    def run(barrier: threading.Barrier, batch):
        barrier.wait()
        return evaluate(compiled, batch, explain=True)

    for _ in range(3):
        with ThreadPoolExecutor(max_workers=8) as pool:
            concurrent = list(pool.map(functools.partial(run, threading.Barrier(8)), batches))
        for got, want in zip(concurrent, sequential, strict=True):
            assert engine_rows(got.awards) == engine_rows(want.awards)
            assert got == want


# ---------------------------------------------------------------- (g) many residents

@pytest.mark.slow
def test_more_than_5000_residents_in_one_run():
    compiled = compiled_file(YIHE)
    rng = random.Random(5)
    residents = [f"resident-{i:05d}" for i in range(5200)]
    facts = []
    for i, resident in enumerate(residents):
        day = YEAR_START + dt.timedelta(seconds=rng.randrange(YEAR_SECONDS))
        facts.append({"id": f"g{i:05d}-a", "type": "community_activity", "resident": resident,
                      "occurred_at": written(day, "shanghai"), "fields": {"activity": "邻里节"}})
        if rng.random() < 0.5:
            facts += random_facts(rng, YIHE_DICT, 1, [resident], prefix=f"g{i:05d}-b")
    evaluation = evaluate(compiled, facts)
    assert len({a.resident for a in evaluation.awards}) >= 5000
    assert_agrees(compiled, facts, evaluation)
    # and the engine is still healthy afterwards
    assert_agrees(compiled, [facts[0]])


# ---------------------------------------------------------------- (h) two rulesets interleaved

def modified_copy(compiled):
    """yihe with another version, a changed award and a changed condition."""
    ruleset = compiled.ruleset
    rules = []
    for rule in ruleset.rules:
        if rule.id == "community_activity_join":
            rule = rule.model_copy(update={"award": rule.award.model_copy(update={"points": rule.award.points + 2})})
        elif rule.id == "garbage_sorting_check":
            rule = rule.model_copy(update={"when": Condition.model_validate({"result": "excellent"})})
        rules.append(rule)
    changed = ruleset.model_copy(update={"version": ruleset.version + 1, "rules": rules, "tests": []})
    return compile_ruleset(changed)


@pytest.mark.parametrize("seed", [1, 2])
def test_two_rulesets_interleaved_give_the_same_results_as_each_alone(seed):
    base = compiled_file(YIHE)
    other = modified_copy(base)
    assert other.ref != base.ref
    facts = random_facts(random.Random(seed), YIHE_DICT, 600, ["r1", "r2", "r3", "r4"],
                         types=["community_activity", "garbage_check", "volunteering", "small_ad_cleanup",
                                "mediation", "competition"])
    alone = {c.ref: evaluate(c, facts, explain=True) for c in (base, other)}
    assert engine_rows(alone[base.ref].awards) != engine_rows(alone[other.ref].awards)

    usage = {base.ref: History(), other.ref: History()}
    interleaved = {base.ref: [], other.ref: []}
    for fact in sorted(facts, key=ref.fact_order):
        for compiled in ((base, other) if len(interleaved[base.ref]) % 2 else (other, base)):
            evaluation = evaluate(compiled, [fact], history=usage[compiled.ref], explain=True)
            interleaved[compiled.ref].append(evaluation)
    for compiled in (base, other):
        awards = [a for e in interleaved[compiled.ref] for a in e.awards]
        misses = [m for e in interleaved[compiled.ref] for m in e.misses]
        assert engine_rows(awards) == engine_rows(alone[compiled.ref].awards)
        assert misses == alone[compiled.ref].misses
        assert_agrees(compiled, facts, alone[compiled.ref])
