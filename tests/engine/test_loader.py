"""Loading rulesets: each broken file fails with the right code, at the right line and column.

Every case starts from ``BASE``, a small valid ruleset, and changes one thing, so the
expected line numbers can be read straight off the listing below.
"""

from __future__ import annotations

import json
from typing import NamedTuple

import pytest

from xinzhi.engine import ErrorCode, MemorySource, RulesetError, load_ruleset, load_ruleset_file

#: line numbers, for reading the cases below:
#:  1 id          9 tier A        17 fields:          25 category
#:  2 version    10 tier B        18 hours (number)   26 fact
#:  3 title      11 categories:   19 kind (enum)      27 when
#:  4 community  12 - id          20 activity (str)   28 award
#:  5 effective  13 title         21 remark (opt str) 29 limits
#:  6 accounts:  14 fact_types:   22 rules:
#:  7 starting   15 - id          23 - id
#:  8 tiers:     16 title         24 title
BASE = """\
id: base
version: 1
title: 测试标准
community: 测试社区
effective_from: 2021-01-01
accounts:
  starting_index: 100
tiers:
  - {id: A, title: 良好, index_from: 110}
  - {id: B, title: 一般, index_below: 110}
categories:
  - id: volunteering
    title: 志愿服务
fact_types:
  - id: volunteering
    title: 志愿服务
    fields:
      hours: {type: number, min: 0, max: 24}
      kind: {type: enum, values: [elder, child]}
      activity: {type: string}
      remark: {type: string, required: false}
rules:
  - id: volunteer_hours
    title: 志愿服务时长
    category: volunteering
    fact: volunteering
    when: {hours: {above: 0}}
    award: {points: 2, per: hours}
    limits: [{period: month, max: 40}]
"""

EXTRA_RULE = """\
  - id: volunteer_hours
    title: 又一条同名规则
    category: volunteering
    fact: volunteering
    award: {points: 1}
"""

FILE = "broken.yaml"


def broken(old: str, new: str, base: str = BASE) -> str:
    """``base`` with its one occurrence of ``old`` replaced by ``new``."""
    assert base.count(old) == 1, f"{old!r} must occur exactly once in the base ruleset"
    return base.replace(old, new)


def when(condition: str) -> str:
    return broken("when: {hours: {above: 0}}", f"when: {condition}")


def extending(ruleset_id: str, parent: str) -> str:
    """BASE renamed to ``ruleset_id`` and extending ``parent`` (``extends`` is line 6)."""
    text = broken("id: base\n", f"id: {ruleset_id}\n")
    return broken("effective_from: 2021-01-01\n", f"effective_from: 2021-01-01\nextends: {parent}\n", text)


# Nine anchors, each a list of nine aliases of the previous: 370 bytes naming 9^9 values.
ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8))


class P(NamedTuple):
    """An expected problem: code, position and a word its message must contain."""

    code: ErrorCode
    line: int
    column: int
    word: str
    file: str = FILE


def case(text: str, *expected: P, id: str, parents: dict[str, tuple[str, str]] | None = None):
    return pytest.param(text, list(expected), parents, id=id)


CASES = [
    # --- YAML itself ---------------------------------------------------------------------
    case(broken("community: 测试社区\n", "community: 测试社区: 坏\n"),
         P(ErrorCode.YAML_SYNTAX, 4, 16, "mapping values"), id="yaml-syntax-colon-in-value"),
    case(broken("  starting_index: 100\n", "\tstarting_index: 100\n"),
         P(ErrorCode.YAML_SYNTAX, 7, 1, "'\\t'"), id="yaml-syntax-tab"),
    case(broken("title: 测试标准\n", "title: 测试标准\ntitle: 又一个标题\n"),
         P(ErrorCode.DUPLICATE_KEY, 4, 1, "'title' appears twice"), id="yaml-duplicate-key"),
    case(broken("    category: volunteering\n", "    category: volunteering\n    category: volunteering\n"),
         P(ErrorCode.DUPLICATE_KEY, 26, 5, "'category' appears twice"), id="yaml-duplicate-key-in-rule"),
    case("- just\n- a list\n", P(ErrorCode.WRONG_TYPE, 1, 1, "mapping"), id="not-a-mapping"),
    # --- hostile YAML: bounded work, located refusals ---------------------------------------
    case(ALIAS_BOMB, P(ErrorCode.TOO_LARGE, 1, 1, "aliases"), id="alias-bomb-of-a-billion-values"),
    case("[" * 50_000, P(ErrorCode.TOO_LARGE, 1, 65, "deeper than 64"), id="fifty-thousand-open-brackets"),
    case(broken("title: 测试标准\n", "title: 测试\x01标准\n"),
         P(ErrorCode.BAD_CHARACTER, 3, 10, "U+0001"), id="raw-control-character"),
    case(broken("title: 测试标准\n", 'title: "测试\\x00标准"\n'),
         P(ErrorCode.BAD_CHARACTER, 3, 8, "U+0000"), id="escaped-nul-in-text"),
    case(broken("title: 测试标准\n", 'title: "\\ud800"\n'),
         P(ErrorCode.BAD_CHARACTER, 3, 8, "U+D800"), id="lone-surrogate-in-text"),
    # --- shape: types, required and unknown keys ------------------------------------------
    case(broken("version: 1\n", "version: one\n"),
         P(ErrorCode.WRONG_TYPE, 2, 1, "integer"), id="wrong-type-version"),
    case(broken("  starting_index: 100\n", "  starting_index: [100]\n"),
         P(ErrorCode.WRONG_TYPE, 7, 3, "integer"), id="wrong-type-list-for-int"),
    case(broken("when: {hours: {above: 0}}", "when: {hours: {above: abc}}"),
         P(ErrorCode.WRONG_TYPE, 27, 20, "wrong type"), id="wrong-type-comparison-value"),
    case(broken("community: 测试社区\n", ""),
         P(ErrorCode.MISSING_KEY, 1, 1, "'community'"), id="missing-community"),
    case(broken("    title: 志愿服务时长\n", ""),
         P(ErrorCode.MISSING_KEY, 23, 5, "'title'"), id="missing-rule-title"),
    case(broken("title: 测试标准\n", "titel: 测试标准\n"),
         P(ErrorCode.MISSING_KEY, 1, 1, "'title'"),
         P(ErrorCode.UNKNOWN_KEY, 3, 1, "did you mean 'title'"), id="unknown-key-titel"),
    case(when("{hours: {at_leest: 1}}"),
         P(ErrorCode.UNKNOWN_KEY, 27, 20, "did you mean 'at_least'"), id="unknown-key-at_leest"),
    case(broken("    limits: [{period: month, max: 40}]\n", "    limit: [{period: month, max: 40}]\n"),
         P(ErrorCode.UNKNOWN_KEY, 29, 5, "did you mean 'limits'"), id="unknown-key-limit"),
    case(broken("award: {points: 2, per: hours}",
                "award: {points: 2, per: hours, table: {field: kind, values: {elder: 1}}}"),
         P(ErrorCode.BAD_VALUE, 28, 5, "either 'points'"), id="award-with-two-forms"),
    case(broken("award: {points: 2, per: hours}", "award: {points: -3000000000, per: hours}"),
         P(ErrorCode.BAD_VALUE, 28, 13, "greater than or equal to -1000000"), id="points-beyond-a-ledger"),
    case(broken("award: {points: 2, per: hours}", "award: {table: {field: kind, values: {elder: 1000001}}}"),
         P(ErrorCode.BAD_VALUE, 28, 43, "less than or equal to 1000000"), id="table-value-beyond-a-ledger"),
    case(broken("{period: month, max: 40}", "{period: monthly, max: 40}"),
         P(ErrorCode.BAD_PERIOD, 29, 15, "'monthly' is not a period"), id="bad-period-monthly"),
    case(broken("{period: month, max: 40}", "{period: month, max: 0}"),
         P(ErrorCode.BAD_VALUE, 29, 30, "greater than 0"), id="limit-max-zero"),
    # --- cross-references ------------------------------------------------------------------
    case(BASE + EXTRA_RULE,
         P(ErrorCode.DUPLICATE_ID, 30, 5, "'volunteer_hours' is defined twice"), id="duplicate-rule-id"),
    case(broken("    category: volunteering\n", "    category: volunteer\n"),
         P(ErrorCode.UNKNOWN_CATEGORY, 25, 5, "did you mean 'volunteering'"), id="unknown-category"),
    case(broken("    fact: volunteering\n", "    fact: volunteerin\n"),
         P(ErrorCode.UNKNOWN_FACT_TYPE, 26, 5, "did you mean 'volunteering'"), id="unknown-fact-type"),
    case(when("{hour: {above: 0}}"),
         P(ErrorCode.UNKNOWN_FIELD, 27, 12, "did you mean 'hours'"), id="unknown-field-in-condition"),
    case(when("{all: [{hours: {above: 0}}, {kindd: elder}]}"),
         P(ErrorCode.UNKNOWN_FIELD, 27, 40, "did you mean 'kind'"), id="unknown-field-inside-all"),
    case(broken("per: hours}", "per: hour}"),
         P(ErrorCode.UNKNOWN_FIELD, 28, 24, "did you mean 'hours'"), id="unknown-per-field"),
    case(broken("award: {points: 2, per: hours}", "award: {table: {field: kinds, values: {elder: 1}}}"),
         P(ErrorCode.UNKNOWN_FIELD, 28, 21, "did you mean 'kind'"), id="unknown-table-field"),
    # --- values of the wrong type for the field --------------------------------------------
    case(when("{hours: ten}"),
         P(ErrorCode.TYPE_MISMATCH, 27, 12, "the field is number, the value is str"), id="number-field-vs-string"),
    case(when("{hours: {in: ['3']}}"),
         P(ErrorCode.TYPE_MISMATCH, 27, 20, "the field is number"), id="number-field-in-strings"),
    case(when("{activity: {at_least: 3}}"),
         P(ErrorCode.TYPE_MISMATCH, 27, 23, "compares order"), id="ordering-on-string-field"),
    case(when("{kind: {above: 3}}"),
         P(ErrorCode.TYPE_MISMATCH, 27, 19, "compares order"), id="ordering-on-enum-field"),
    case(when("{kind: adult}"),
         P(ErrorCode.TYPE_MISMATCH, 27, 12, "not one of elder, child"), id="enum-value-not-in-enum"),
    case(when("{kind: {in: [elder, adult]}}"),
         P(ErrorCode.TYPE_MISMATCH, 27, 19, "'adult'"), id="enum-in-list-not-in-enum"),
    case(when("{hours: {above: 0}, kind: {is_not: grown_up}}"),
         P(ErrorCode.TYPE_MISMATCH, 27, 38, "'grown_up'"), id="enum-is_not-not-in-enum"),
    case(broken("per: hours}", "per: kind}"),
         P(ErrorCode.TYPE_MISMATCH, 28, 24, "numeric field"), id="per-on-enum-field"),
    case(broken("award: {points: 2, per: hours}", "award: {table: {field: kind, values: {elder: 2, adult: 1}}}"),
         P(ErrorCode.TYPE_MISMATCH, 28, 53, "adult"), id="table-key-not-in-enum"),
    # --- tiers -----------------------------------------------------------------------------
    case(broken("index_below: 110}", "index_below: 120}"),
         P(ErrorCode.TIER_OVERLAP, 9, 24, "'B' and 'A' overlap"), id="tiers-overlap"),
    case(broken("index_below: 110}", "index_below: 100}"),
         P(ErrorCode.TIER_GAP, 9, 24, "from 100 up to 110"), id="tiers-gap"),
    case(broken("  - {id: B, title: 一般, index_below: 110}",
                "  - {id: B, title: 一般, index_from: 50, index_below: 110}"),
         P(ErrorCode.TIER_GAP, 10, 24, "below 50"), id="tiers-gap-at-bottom"),
    case(broken("index_from: 110}", "index_from: 110, index_below: 200}"),
         P(ErrorCode.TIER_GAP, 9, 41, "200 or more"), id="tiers-gap-at-top"),
    # --- conditions the engine must refuse --------------------------------------------------
    case(when("{remark: {present: false}}"),
         P(ErrorCode.ABSENCE_ONLY, 27, 5, "only because fields are missing"), id="absence-only"),
    case(when("{not: {remark: {present: true}}}"),
         P(ErrorCode.ABSENCE_ONLY, 27, 5, "only because fields are missing"), id="absence-only-through-not"),
    case(when("{any: [{hours: {above: 0}}, {remark: {present: false}}]}"),
         P(ErrorCode.ABSENCE_ONLY, 27, 5, "only because fields are missing"), id="absence-only-in-one-branch"),
    case(when("{}"), P(ErrorCode.BAD_VALUE, 27, 5, "empty condition"), id="empty-condition"),
    case(when("{hours: {above: 0}, not: {}}"),
         P(ErrorCode.BAD_VALUE, 27, 31, "empty condition"), id="empty-condition-under-not"),
    case(broken("      activity: {type: string}\n", "      resident: {type: string}\n"),
         P(ErrorCode.BAD_VALUE, 20, 7, "'resident' is reserved"), id="reserved-field-name"),
    # --- extends ---------------------------------------------------------------------------
    case(extending("base", "nowhere@1"),
         P(ErrorCode.EXTENDS_UNKNOWN, 6, 1, "'nowhere@1'"), id="extends-unknown-parent"),
    case(extending("a", "b@1"),
         P(ErrorCode.EXTENDS_CYCLE, 6, 1, "a@1 → b@1 → a@1", file="b.yaml"),
         parents={"a@1": (extending("a", "b@1"), "a.yaml"), "b@1": (extending("b", "a@1"), "b.yaml")},
         id="extends-cycle-a-b-a"),
    case(extending("a", "a@1"),
         P(ErrorCode.EXTENDS_CYCLE, 6, 1, "a@1 → a@1"),
         parents={"a@1": (extending("a", "a@1"), FILE)}, id="extends-itself"),
]


@pytest.mark.parametrize(("text", "expected", "parents"), CASES)
def test_broken_ruleset_is_reported_exactly(text, expected, parents):
    with pytest.raises(RulesetError) as caught:
        load_ruleset(text, name=FILE, parents=MemorySource(parents))
    problems = caught.value.problems
    assert [(p.code, p.file, p.line, p.column) for p in problems] == \
        [(e.code, e.file, e.line, e.column) for e in expected], "\n".join(map(str, problems))
    for problem, want in zip(problems, expected, strict=True):
        assert want.word in problem.message
    assert caught.value.code == expected[0].code


def test_a_key_holding_a_lone_surrogate_is_refused_where_it_stands_and_never_echoed():
    """Found by fuzzing (tests/api/test_fuzz.py): keys were not checked, and a problem under such a key
    carried it in its ``path``; no JSON answer can encode a lone surrogate, so the server answered 500."""
    text = broken("title: 测试标准\n", 'title: 测试标准\nrules_x: {"\\ud800": {"\\udfff": "\\u0001"}}\n')
    with pytest.raises(RulesetError) as caught:
        load_ruleset(text, name=FILE)
    [bad] = caught.value.problems  # nothing else: every later problem would be placed by the key
    assert (bad.code, bad.line, bad.column, bad.path) == (ErrorCode.BAD_CHARACTER, 4, 11, "rules_x")
    assert "U+D800" in bad.message
    json.dumps(bad.model_dump(mode="json"), ensure_ascii=False).encode("utf-8")


@pytest.mark.parametrize(("written", "reason"), [("2021-02-30", "day is out of range"),
                                                 ("2021-01-01 25:00:00", "hour must be in 0..23")])
def test_a_moment_that_does_not_exist_is_refused_where_it_is_written(written, reason):
    with pytest.raises(RulesetError) as caught:
        load_ruleset(broken("effective_from: 2021-01-01", f"effective_from: {written}"), name=FILE)
    (bad,) = caught.value.problems
    line = next(n for n, text in enumerate(BASE.splitlines(), 1) if text.startswith("effective_from:"))
    assert (bad.code, bad.line, bad.column, bad.says) == (ErrorCode.YAML_SYNTAX, line, 17, "yaml_value")
    assert reason in bad.message


@pytest.mark.parametrize(("written", "read"), [("010", 10), ("+3", 3), ("3.0", 3), ("1e3", None), ("1:30", None),
                                              ("0x10", None), ("0o7", None), ("0b11", None), ("1_0", None)])
def test_a_number_is_read_as_written_or_refused_where_it_stands(written, read):
    """Found by attack: YAML 1.1 read ``points: 1:30`` as 90 (base 60), ``010`` as 8 and ``0x10`` as 16."""
    text = broken("award: {points: 2, per: hours}", f"award: {{points: {written}, per: hours}}")
    if read is not None:
        assert load_ruleset(text, name=FILE).rules[0].award.points == read
        return
    with pytest.raises(RulesetError) as caught:
        load_ruleset(text, name=FILE)
    line = next(n for n, row in enumerate(BASE.splitlines(), 1) if "award:" in row)
    assert [(p.line, p.path) for p in caught.value.problems] == [(line, "rules[0].award.points")]


def test_base_ruleset_is_valid():
    ruleset = load_ruleset(BASE, name=FILE)
    assert [rule.id for rule in ruleset.rules] == ["volunteer_hours"]
    assert ruleset.lineage == ("base@1",)


def test_problems_carry_the_key_path():
    with pytest.raises(RulesetError) as caught:
        load_ruleset(when("{hours: {at_leest: 1}}"), name=FILE)
    assert [p.path for p in caught.value.problems] == ["rules[0].when.hours.at_leest"]
    assert str(caught.value) == (f"{FILE}:27:20: unknown key 'at_leest'; did you mean 'at_least'? "
                                 "[ruleset_unknown_key]")


def test_every_shape_problem_is_reported_sorted_by_line():
    text = broken("{period: month, max: 40}", "{period: monthly, max: 40}")
    text = broken("when: {hours: {above: 0}}", "when: {hours: {at_leest: 1}}", text)
    text = broken("    title: 志愿服务时长\n", "    titel: 志愿服务时长\n", text)
    text = broken("  starting_index: 100\n", "  starting_index: lots\n", text)
    with pytest.raises(RulesetError) as caught:
        load_ruleset(text, name=FILE)
    got = [(p.line, p.column, p.code) for p in caught.value.problems]
    assert got == [
        (7, 3, ErrorCode.WRONG_TYPE),
        (23, 5, ErrorCode.MISSING_KEY),
        (24, 5, ErrorCode.UNKNOWN_KEY),
        (27, 20, ErrorCode.UNKNOWN_KEY),
        (29, 15, ErrorCode.BAD_PERIOD),
    ]
    assert got == sorted(got, key=lambda item: item[:2])


def test_every_reference_problem_is_reported_sorted_by_line():
    text = broken("    category: volunteering\n", "    category: volunteer\n")
    text = broken("when: {hours: {above: 0}}", "when: {hour: {above: 0}, kind: adult}", text)
    text = broken("index_below: 110}", "index_below: 100}", text)
    text = broken("      activity: {type: string}\n", "      sid: {type: string}\n", text)
    with pytest.raises(RulesetError) as caught:
        load_ruleset(text + EXTRA_RULE, name=FILE)
    got = [(p.line, p.code) for p in caught.value.problems]
    assert got == [
        (9, ErrorCode.TIER_GAP),
        (20, ErrorCode.BAD_VALUE),
        (25, ErrorCode.UNKNOWN_CATEGORY),
        (27, ErrorCode.UNKNOWN_FIELD),
        (27, ErrorCode.TYPE_MISMATCH),
        (30, ErrorCode.DUPLICATE_ID),
    ]


def test_file_problems_name_the_file(tmp_path):
    path = tmp_path / "draft.yaml"
    path.write_text(broken("    category: volunteering\n", "    category: volunteer\n"), encoding="utf-8")
    with pytest.raises(RulesetError) as caught:
        load_ruleset_file(path)
    assert [(p.file, p.line, p.code) for p in caught.value.problems] == \
        [(str(path), 25, ErrorCode.UNKNOWN_CATEGORY)]


def test_file_parent_is_found_beside_it(tmp_path):
    (tmp_path / "base.yaml").write_text(BASE, encoding="utf-8")
    child = tmp_path / "child.yaml"
    child.write_text(extending("child", "base@1").replace(BASE[BASE.index("categories:"):], ""), encoding="utf-8")
    ruleset = load_ruleset_file(child)
    assert ruleset.lineage == ("child@1", "base@1")
    assert [rule.id for rule in ruleset.rules] == ["volunteer_hours"]
