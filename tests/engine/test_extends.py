"""``extends``: a community reuses another's standard and states only what differs."""

from __future__ import annotations

import pytest

from tests.conftest import RULESETS
from xinzhi.engine import (
    DirectorySource,
    ErrorCode,
    MemorySource,
    RulesetError,
    compile_ruleset,
    evaluate,
    load_ruleset,
)

PARENT = """\
id: parent
version: 1
title: 母标准
community: 母社区
effective_from: 2021-01-01
accounts:
  starting_index: 100
tiers:
  - {id: A, title: 良好, index_from: 110}
  - {id: B, title: 一般, index_below: 110}
categories:
  - {id: env, title: 环境, limits: [{period: month, max: 20}]}
  - {id: vol, title: 志愿}
fact_types:
  - id: volunteering
    title: 志愿服务
    fields:
      hours: {type: number, min: 0, max: 24}
  - id: garbage_check
    title: 垃圾分类检查
    fields:
      result: {type: enum, values: [excellent, passed, failed]}
rules:
  - id: volunteer_hours
    title: 志愿服务时长
    category: vol
    fact: volunteering
    when: {hours: {above: 0}}
    award: {points: 2, per: hours}
    limits: [{period: day, max: 16}]
  - id: garbage_sorting_check
    title: 垃圾分类合格
    category: env
    fact: garbage_check
    when: {result: {in: [excellent, passed]}}
    award: {table: {field: result, values: {excellent: 3, passed: 2}}}
    limits: [{period: month, max: 10}]
  - id: garbage_sorting_failed
    title: 垃圾分类不合格
    category: env
    fact: garbage_check
    when: {result: failed}
    award: {points: -2}
"""

#: the child's own text starts with these six lines; what a case adds begins on line 7
CHILD_HEAD = """\
id: child
version: 1
title: 子标准
community: 子社区
effective_from: 2022-01-01
extends: parent@1
"""


def child(body: str = "", *, head: str = CHILD_HEAD) -> str:
    return head + body


def lookup(**texts: str) -> MemorySource:
    """Parents held in memory, ``{id_at_version: text}`` (``parent_1`` → ``parent@1``)."""
    return MemorySource({ref.replace("_", "@"): (text, f"{ref.split('_')[0]}.yaml") for ref, text in texts.items()})


def load(text: str, **parents: str):
    return load_ruleset(text, name="child.yaml", parents=lookup(parent_1=PARENT, **parents))


def score(ruleset, *facts: tuple[str, dict], explain: bool = False):
    """Evaluate ``(type, fields)`` facts for one resident, a day apart in May 2022."""
    batch = [{"id": f"f{i}", "type": type_, "resident": "r", "occurred_at": f"2022-05-{i + 1:02d}T10:00:00+08:00",
              "fields": values} for i, (type_, values) in enumerate(facts)]
    return evaluate(compile_ruleset(ruleset), batch, explain=explain)


def amounts(evaluation) -> list[tuple[str, int]]:
    return [(a.rule_id, a.amount) for a in evaluation.awards]


EXCELLENT = ("garbage_check", {"result": "excellent"})
FAILED = ("garbage_check", {"result": "failed"})


def hours(n: float) -> tuple[str, dict]:
    return ("volunteering", {"hours": n})


# --- resolution -------------------------------------------------------------------------------

def test_child_without_changes_behaves_like_its_parent():
    ruleset = load(child())
    assert ruleset.ref == "child@1" and ruleset.title == "子标准"
    assert str(ruleset.effective_from) == "2022-01-01"
    assert ruleset.extends is None and ruleset.overrides == []
    assert [r.id for r in ruleset.rules] == ["volunteer_hours", "garbage_sorting_check", "garbage_sorting_failed"]
    assert ruleset.accounts.starting_index == 100 and [t.id for t in ruleset.tiers] == ["A", "B"]
    assert amounts(score(ruleset, hours(10), EXCELLENT, FAILED)) == [
        ("volunteer_hours", 16), ("garbage_sorting_check", 3), ("garbage_sorting_failed", -2)]


def test_lineage():
    assert load_ruleset(PARENT).lineage == ("parent@1",)
    assert load(child()).lineage == ("child@1", "parent@1")


def test_override_award_keeps_the_parents_limits():
    ruleset = load(child("""\
overrides:
  - rule: garbage_sorting_check
    award: {table: {field: result, values: {excellent: 4, passed: 3}}}
"""))
    rule = next(r for r in ruleset.rules if r.id == "garbage_sorting_check")
    assert rule.award.table.values == {"excellent": 4, "passed": 3}
    assert [(lim.period, lim.max) for lim in rule.limits] == [("month", 10)]
    assert rule.title == "垃圾分类合格"
    evaluation = score(ruleset, EXCELLENT, EXCELLENT, EXCELLENT)
    assert [(a.amount, a.limited_by) for a in evaluation.awards] == [
        (4, None), (4, None), (2, "rule:garbage_sorting_check/month")]


@pytest.mark.parametrize(("limits", "expected"), [
    pytest.param("[{period: day, max: 20}]", [("volunteer_hours", 20)], id="raised"),
    pytest.param("[{period: day, max: 5}]", [("volunteer_hours", 5)], id="lowered"),
    pytest.param("[]", [("volunteer_hours", 24)], id="removed"),
])
def test_override_limits(limits, expected):
    ruleset = load(child(f"overrides:\n  - rule: volunteer_hours\n    limits: {limits}\n"))
    assert amounts(score(ruleset, hours(12))) == expected


def test_override_condition():
    ruleset = load(child("overrides:\n  - rule: volunteer_hours\n    when: {hours: {at_least: 2}}\n"))
    assert amounts(score(ruleset, hours(1), hours(3))) == [("volunteer_hours", 6)]


def test_disabled_rule_stops_firing_and_explain_says_switched_off():
    ruleset = load(child("overrides:\n  - rule: garbage_sorting_failed\n    enabled: false\n"))
    compiled = compile_ruleset(ruleset)
    assert "garbage_sorting_failed" not in compiled.definition
    assert "garbage_sorting_failed" not in compiled.rules
    evaluation = score(ruleset, FAILED, explain=True)
    assert evaluation.awards == []
    assert [m.rule_id for m in evaluation.misses] == ["garbage_sorting_check", "garbage_sorting_failed"]
    assert evaluation.misses[0].field == "result"
    assert evaluation.misses[1].reason == "the rule is switched off"


def test_added_rule_comes_after_the_parents_rules():
    ruleset = load(child("""\
categories:
  - {id: care, title: 邻里关爱}
fact_types:
  - id: elderly_visit
    title: 探访独居老人
    fields:
      minutes: {type: int, min: 1, max: 600}
rules:
  - id: elderly_visit
    title: 探访独居老人
    category: care
    fact: elderly_visit
    when: {minutes: {at_least: 30}}
    award: {points: 3}
  - id: long_volunteering
    title: 长时志愿服务
    category: vol
    fact: volunteering
    when: {hours: {at_least: 8}}
    award: {points: 5}
"""))
    assert [r.id for r in ruleset.rules][-2:] == ["elderly_visit", "long_volunteering"]
    assert [c.id for c in ruleset.categories] == ["env", "vol", "care"]
    evaluation = score(ruleset, hours(8), ("elderly_visit", {"minutes": 45}), ("elderly_visit", {"minutes": 10}))
    assert amounts(evaluation) == [("volunteer_hours", 16), ("long_volunteering", 5), ("elderly_visit", 3)]


def test_child_category_replaces_the_parents():
    ruleset = load(child("categories:\n  - {id: env, title: 环境卫生, limits: [{period: month, max: 5}]}\n"))
    assert [(c.id, c.title) for c in ruleset.categories] == [("env", "环境卫生"), ("vol", "志愿")]
    evaluation = score(ruleset, EXCELLENT, EXCELLENT, EXCELLENT)
    assert [(a.amount, a.limited_by) for a in evaluation.awards] == [
        (3, None), (2, "category:env/month"), (0, "category:env/month")]


def test_child_accounts_and_tiers_replace_the_parents():
    ruleset = load(child("""\
accounts:
  starting_index: 60
tiers:
  - {id: X, title: 唯一}
"""))
    assert ruleset.accounts.starting_index == 60
    assert [t.id for t in ruleset.tiers] == ["X"]


def test_three_level_chain_applies_every_layer():
    middle = child("""\
overrides:
  - rule: garbage_sorting_check
    award: {table: {field: result, values: {excellent: 5, passed: 4}}}
  - rule: garbage_sorting_failed
    enabled: false
rules:
  - id: long_volunteering
    title: 长时志愿服务
    category: vol
    fact: volunteering
    when: {hours: {at_least: 8}}
    award: {points: 5}
""")
    top = """\
id: grandchild
version: 2
title: 孙标准
community: 孙社区
effective_from: 2023-01-01
extends: child@1
overrides:
  - rule: garbage_sorting_check
    limits: [{period: month, max: 7}]
  - rule: garbage_sorting_failed
    enabled: true
  - rule: long_volunteering
    award: {points: 1}
"""
    ruleset = load(top, child_1=middle)
    assert ruleset.lineage == ("grandchild@2", "child@1", "parent@1")
    assert ruleset.title == "孙标准"
    evaluation = score(ruleset, EXCELLENT, EXCELLENT, FAILED, hours(9))
    assert [(a.rule_id, a.amount, a.limited_by) for a in evaluation.awards] == [
        ("garbage_sorting_check", 5, None), ("garbage_sorting_check", 2, "rule:garbage_sorting_check/month"),
        ("garbage_sorting_failed", -2, None), ("volunteer_hours", 16, "rule:volunteer_hours/day"),
        ("long_volunteering", 1, None)]


def test_child_of_the_yihe_standard_found_in_the_rulesets_directory(yihe):
    text = """\
id: neighbour
version: 1
title: 邻近社区标准（示例）
community: 邻近社区
effective_from: 2022-01-01
extends: yihe_2021@1
overrides:
  - rule: competition_podium
    enabled: false
"""
    ruleset = load_ruleset(text, name="neighbour.yaml", parents=DirectorySource(RULESETS))
    assert ruleset.lineage == ("neighbour@1", "yihe_2021@1")
    assert len(ruleset.rules) == len(yihe.ruleset.rules)
    fact = {"id": "c", "type": "competition", "resident": "r", "occurred_at": "2022-05-20T15:00:00+08:00",
            "fields": {"kind": "sports", "placement": 1}}
    assert amounts(evaluate(compile_ruleset(ruleset), [fact])) == [("sports_competition", 3)]
    assert amounts(evaluate(yihe, [fact])) == [("sports_competition", 3), ("competition_podium", 10)]


# --- problems ----------------------------------------------------------------------------------

GRAND = """\
id: grandchild
version: 1
title: 孙标准
community: 孙社区
effective_from: 2023-01-01
extends: child@1
"""

PROBLEM_CASES = [
    pytest.param(child("overrides:\n  - rule: garbage_sorting_chek\n    enabled: false\n"), {},
                 [(ErrorCode.UNKNOWN_RULE, "child.yaml", 8, 5, "did you mean 'garbage_sorting_check'")],
                 id="unknown-override-rule"),
    pytest.param(child("overrides:\n  - rule: litter_picking\n    enabled: false\n"), {},
                 [(ErrorCode.UNKNOWN_RULE, "child.yaml", 8, 5, "unknown rule 'litter_picking' in parent@1")],
                 id="unknown-override-rule-no-hint"),
    pytest.param(child("""\
rules:
  - id: volunteer_hours
    title: 重新定义
    category: vol
    fact: volunteering
    award: {points: 1}
"""), {}, [(ErrorCode.DUPLICATE_ID, "child.yaml", 8, 5, "change it under 'overrides'")],
        id="child-redefines-parent-rule"),
    pytest.param(child("extends: parnet@1\n", head=CHILD_HEAD.replace("extends: parent@1\n", "")), {},
                 [(ErrorCode.EXTENDS_UNKNOWN, "child.yaml", 6, 1, "'parnet@1'")], id="unknown-parent"),
    pytest.param(child(head=CHILD_HEAD.replace("parent@1", "parent@2")), {},
                 [(ErrorCode.EXTENDS_UNKNOWN, "child.yaml", 6, 1, "'parent@2'")], id="unknown-parent-version"),
    pytest.param(GRAND, {"child_1": child(head=CHILD_HEAD.replace("parent@1", "grandchild@1"))},
                 [(ErrorCode.EXTENDS_CYCLE, "child.yaml", 6, 1, "grandchild@1 → child@1 → grandchild@1")],
                 id="cycle-a-b-a"),
    pytest.param(GRAND, {"child_1": child(), "parent_1": PARENT.replace(
        "effective_from: 2021-01-01\n", "effective_from: 2021-01-01\nextends: grandchild@1\n")},
                 [(ErrorCode.EXTENDS_CYCLE, "parent.yaml", 6, 1, "grandchild@1 → child@1 → parent@1 → grandchild@1")],
                 id="cycle-three-long"),
    pytest.param(child(), {"parent_1": PARENT.replace("  - {id: vol, title: 志愿}\n", "  - {id: vol, titel: 志愿}\n")},
                 [(ErrorCode.MISSING_KEY, "parent.yaml", 13, 5, "'title'"),
                  (ErrorCode.UNKNOWN_KEY, "parent.yaml", 13, 15, "did you mean 'title'")],
                 id="broken-parent-reported-in-its-file"),
    pytest.param(child("overrides:\n  - rule: volunteer_hours\n    when: {hour: {above: 1}}\n"), {},
                 [(ErrorCode.UNKNOWN_FIELD, "child.yaml", 9, 12, "did you mean 'hours'")],
                 id="override-condition-checked-in-child-file"),
    pytest.param(child("fact_types:\n  - id: volunteering\n    title: 志愿服务\n    fields:\n"
                       "      minutes: {type: int}\n"), {},
                 [(ErrorCode.UNKNOWN_FIELD, "parent.yaml", 28, 12, "'hours'"),
                  (ErrorCode.UNKNOWN_FIELD, "parent.yaml", 29, 24, "'hours'")],
                 id="child-removes-field-parent-rule-uses"),
]


@pytest.mark.parametrize(("text", "parents", "expected"), PROBLEM_CASES)
def test_extends_problem(text, parents, expected):
    with pytest.raises(RulesetError) as caught:
        load_ruleset(text, name="child.yaml" if text.startswith("id: child") else "grandchild.yaml",
                     parents=lookup(**{"parent_1": PARENT, **parents}))
    problems = caught.value.problems
    assert [(p.code, p.file, p.line, p.column) for p in problems] == [e[:4] for e in expected], \
        "\n".join(map(str, problems))
    for problem, want in zip(problems, expected, strict=True):
        assert want[4] in problem.message
