"""Rules that read a resident's history: limits (每月限 1 次 / 每人每月最多加 2 分) and repeats (第二次起加倍).

Examples in the phrasings committees use, the located refusals of what would otherwise be
ignored, and the engine against the reference scorer on generated rulesets of both.
"""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.engine.test_reference import SETTINGS, as_dict, assert_agrees, fact_streams, limit_overruns
from xinzhi.engine import Evaluation, History, RulesetError, compile_ruleset, evaluate, load_ruleset

HEADER = """\
id: limits
version: 1
title: 上限测试
community: 测试
effective_from: 2021-01-01
accounts: {starting_index: 100}
tiers: [{id: A, title: 全部}]
categories:
  - {id: civic, title: 文明, limits: CATEGORY_LIMITS}
  - {id: other, title: 其他}
fact_types:
  - id: arrears
    title: 欠缴物业费
  - id: litter
    title: 乱扔垃圾
    fields: {bags: {type: int, min: 1, max: 10}}
  - id: deed
    title: 好人好事
    fields: {kind: {type: enum, values: [help, clean]}}
rules:
"""


def ruleset(rules: str, category_limits: str = "[]"):
    return compile_ruleset(load_ruleset(HEADER.replace("CATEGORY_LIMITS", category_limits) + rules,
                                        name="limits.yaml"))


def days(*items: tuple[str, str, dict]) -> list[dict]:
    """Facts of resident r1, one per (type, ISO day, fields)."""
    return [{"id": f"f{i}", "type": kind, "resident": "r1", "occurred_at": f"{day}T10:00:00+08:00",
             "fields": fields} for i, (kind, day, fields) in enumerate(items)]


ARREARS = "  - {id: arrears, title: 欠费, category: civic, fact: arrears, award: {points: -10}, limits: LIMITS}\n"
DEED = "  - {id: deed, title: 好人好事, category: civic, fact: deed, award: {points: 2}, limits: LIMITS}\n"
LITTER = ("  - {id: litter, title: 乱扔垃圾, category: civic, fact: litter, award: {points: -2, per: bags},"
          " limits: LIMITS}\n")

CASES = [
    # 欠费每次扣 10 分，每月最多扣 1 次: the second arrears of May is cut to 0, June's counts again
    pytest.param(ARREARS, "[{period: month, times: 1}]", "[]",
                 [("arrears", "2021-05-03", {}), ("arrears", "2021-05-20", {}), ("arrears", "2021-06-01", {})],
                 [(-10, None), (0, "rule:arrears/month/deductions"), (-10, None)], id="deduction at most once a month"),
    # 乱扔垃圾每袋扣 2 分，每月最多扣 5 分: the size of a deduction is capped
    pytest.param(LITTER, "[{period: month, max: 5}]", "[]",
                 [("litter", "2021-05-03", {"bags": 2}), ("litter", "2021-05-04", {"bags": 1})],
                 [(-4, None), (-1, "rule:litter/month/deductions")], id="deduction size a month"),
    # 好人好事每 30 天最多 2 次: a rolling window counts the fact's day and the 29 before it
    pytest.param(DEED, "[{days: 30, times: 2}]", "[]",
                 [("deed", "2021-05-01", {"kind": "help"}), ("deed", "2021-05-10", {"kind": "help"}),
                  ("deed", "2021-05-30", {"kind": "help"}), ("deed", "2021-05-31", {"kind": "help"})],
                 [(2, None), (2, None), (0, "rule:deed/30d"), (2, None)], id="awards twice in 30 days"),
    # 每人每月最多加 3 分, 最多 2 次 on the category: both caps in one limit, the tighter binds
    pytest.param(DEED, "[]", "[{period: month, max: 3, times: 2}]",
                 [("deed", "2021-05-01", {"kind": "help"}), ("deed", "2021-05-02", {"kind": "clean"}),
                  ("deed", "2021-05-03", {"kind": "help"})],
                 [(2, None), (1, "category:civic/month"), (0, "category:civic/month")], id="points and times"),
    # a category holding awards and deductions: its limit caps awards unless it says deductions
    pytest.param(DEED + ARREARS.replace("limits: LIMITS", "limits: []"), "[]",
                 "[{period: year, times: 1, applies_to: deductions}]",
                 [("deed", "2021-05-01", {"kind": "help"}), ("arrears", "2021-05-02", {}),
                  ("deed", "2021-05-03", {"kind": "help"}), ("arrears", "2021-05-04", {})],
                 [(2, None), (-10, None), (2, None), (0, "category:civic/year/deductions")], id="mixed category"),
]


@pytest.mark.parametrize(("rules", "rule_limits", "category_limits", "facts", "expected"), CASES)
def test_limits_in_a_committees_words(rules, rule_limits, category_limits, facts, expected):
    compiled = ruleset(rules.replace("LIMITS", rule_limits), category_limits)
    evaluation = evaluate(compiled, days(*facts))
    assert [(a.amount, a.limited_by) for a in evaluation.awards] == expected
    assert_agrees(compiled, days(*facts))


def test_the_explanation_says_which_cap_bound():
    compiled = ruleset(ARREARS.replace("LIMITS", "[{period: month, times: 1}]"))
    awards = evaluate(compiled, days(("arrears", "2021-05-03", {}), ("arrears", "2021-05-04", {}))).awards
    assert (awards[1].limit_times, awards[1].limit_max) == (1, None)
    assert "cut from -10 by limit rule:arrears/month/deductions (at most 1 times)" in awards[1].summary()


REFUSED = [
    pytest.param(ARREARS.replace("LIMITS", "[{period: month, max: 5, applies_to: awards}]"), "[]",
                 "rules[0].limits[0].applies_to", "caps awards, but no enabled rule of rule 'arrears' awards points",
                 id="awards limit on a deduction"),
    pytest.param(DEED.replace("LIMITS", "[]"), "[{period: month, times: 1, applies_to: deductions}]",
                 "categories[0].limits[0].applies_to", "caps deductions, but no enabled rule of category 'civic'",
                 id="deductions limit on a category of awards"),
    pytest.param(DEED.replace("LIMITS", "[]").replace("category: civic", "category: other"),
                 "[{period: month, max: 1}]", "categories[0].limits[0]", "category 'civic' has no enabled rule",
                 id="category without rules"),
    pytest.param(DEED.replace("LIMITS", "[{period: month, max: 4}, {period: month, times: 1}]"), "[]",
                 "rules[0].limits[1].period", "two limits per month on its awards", id="two limits of one span"),
]


@pytest.mark.parametrize(("rules", "category_limits", "path", "says"), REFUSED)
def test_a_limit_that_would_cap_nothing_is_refused_where_it_is_written(rules, category_limits, path, says):
    with pytest.raises(RulesetError) as raised:
        ruleset(rules, category_limits)
    [problem] = raised.value.problems
    assert (problem.code, problem.path) == ("ruleset_limit_caps_nothing", path) and says in problem.message
    assert problem.line


@pytest.mark.parametrize(("limit", "says"), [
    ("{period: month}", "needs 'max' (points), 'times' (applications), or both"),
    ("{max: 3}", "needs either 'period'"),
    ("{period: month, days: 7, max: 3}", "needs either 'period'"),
    ("{days: 0, max: 3}", "greater than or equal to 1"),
    ("{period: month, times: 0}", "greater than 0"),
])
def test_a_malformed_limit_is_refused_with_its_line(limit, says):
    with pytest.raises(RulesetError) as raised:
        ruleset(DEED.replace("LIMITS", f"[{limit}]"))
    assert any(says in p.message and p.line == 21 for p in raised.value.problems), raised.value.problems


# ---------------------------------------------------------------- repeat offences

NOISE = "  - {id: noise, title: 夜间扰民, category: civic, fact: arrears, award: {points: -5}, repeats: REPEATS}\n"
LITTER_REPEATS = ("  - {id: litter, title: 乱扔垃圾, category: civic, fact: litter, award: {points: -2, per: bags},"
                  " repeats: REPEATS}\n")

REPEAT_CASES = [
    # 一年内第二次起加倍扣分: first −5, second −10, third and later −20, counted per calendar year
    pytest.param(NOISE, "{period: year, amounts: [-5, -10, -20]}",
                 [("arrears", "2021-02-01", {}), ("arrears", "2021-05-01", {}), ("arrears", "2021-09-01", {}),
                  ("arrears", "2021-12-31", {}), ("arrears", "2022-01-01", {})],
                 [(-5, 1, ()), (-10, 2, ("f0",)), (-20, 3, ("f0", "f1")), (-20, 4, ("f0", "f1", "f2")), (-5, 1, ())],
                 id="escalating within the calendar year"),
    # within 365 days: the window rolls, so February 2022 still sees the offence of last March
    pytest.param(NOISE, "{days: 365, amounts: [-5, -10]}",
                 [("arrears", "2021-03-01", {}), ("arrears", "2022-02-01", {}), ("arrears", "2023-01-31", {}),
                  ("arrears", "2024-01-31", {})],
                 [(-5, 1, ()), (-10, 2, ("f0",)), (-10, 2, ("f1",)), (-5, 1, ())], id="within 365 days"),
    # 同类违规一年内再犯加倍: a repeat of the same class (category) doubles the rule's own amount
    pytest.param(NOISE + LITTER_REPEATS.replace("REPEATS", "{period: year, of: category, multipliers: [1, 2]}"),
                 "{period: year, of: category, multipliers: [1, 2]}",
                 [("litter", "2021-04-01", {"bags": 3}), ("arrears", "2021-05-01", {}),
                  ("litter", "2021-06-01", {"bags": 1})],
                 [(-6, 1, ()), (-10, 2, ("f0",)), (-4, 3, ("f0", "f1"))], id="a category's repeats double"),
]


@pytest.mark.parametrize(("rules", "repeats", "facts", "expected"), REPEAT_CASES)
def test_repeat_offences_in_a_committees_words(rules, repeats, facts, expected):
    compiled = ruleset(rules.replace("REPEATS", repeats))
    evaluation = evaluate(compiled, days(*facts))
    assert [(a.amount, a.occurrence, a.earlier) for a in evaluation.awards] == expected
    assert_agrees(compiled, days(*facts))


def test_a_repeat_names_the_earlier_offences_and_is_then_limited():
    compiled = ruleset(NOISE.replace("REPEATS", "{period: year, amounts: [-5, -10]}, "
                                                "limits: [{period: month, max: 12}]"))
    awards = evaluate(compiled, days(("arrears", "2021-05-01", {}), ("arrears", "2021-05-02", {}))).awards
    assert [(a.raw_amount, a.amount, a.limited_by) for a in awards] == [(-5, -5, None),
                                                                       (-10, -7, "rule:noise/month/deductions")]
    assert "occurrence 2 within the year (earlier: f0)" in awards[1].summary()


def test_an_explanation_names_only_the_latest_earlier_facts():
    """A resident's fortieth offence says so, and names ten: later entries do not grow with the history."""
    compiled = ruleset(NOISE.replace("REPEATS", "{period: year, multipliers: [1]}"))
    awards = evaluate(compiled, days(*[("arrears", f"2021-{1 + i // 28:02d}-{1 + i % 28:02d}", {})
                                       for i in range(40)])).awards
    last = awards[-1]
    assert (last.occurrence, len(last.earlier), last.earlier[-1]) == (40, 10, "f38")
    assert "— the latest 10 of 39" in last.summary()


REPEATS_REFUSED = [
    ("{period: year, amounts: [-5, 10]}", NOISE, "rules[0].repeats.amounts[1]", "every amount needs that sign"),
    ("{period: year, amounts: [-2, -4]}", LITTER_REPEATS, "rules[0].repeats.amounts",
     "scales by 'multipliers' instead"),
    ("{amounts: [-5]}", NOISE, "rules[0].repeats", "either 'period'"),
    ("{period: year, amounts: [-5], multipliers: [2]}", NOISE, "rules[0].repeats", "either 'amounts'"),
    ("{period: year, multipliers: [0]}", NOISE, "rules[0].repeats.multipliers[0]", "greater than or equal to 1"),
]


# ---------------------------------------------------------------- sequences

AFTER = ("  - {id: noise_after, title: 调解后再次扰民, category: civic, fact: deed, when: {kind: clean}, "
         "award: {points: -10}, SEQUENCE}\n")
SEQUENCE_FACTS = [("litter", "2021-05-01", {"bags": 1}), ("deed", "2021-05-20", {"kind": "clean"}),
                  ("litter", "2021-06-15", {"bags": 3}), ("deed", "2021-06-20", {"kind": "clean"}),
                  ("deed", "2021-09-30", {"kind": "clean"})]

SEQUENCE_CASES = [
    # 调解后 90 天内再次…扣 10 分: only after an earlier litter fact of 2+ bags within 90 days
    pytest.param("after: {fact: litter, when: {bags: {at_least: 2}}, within_days: 90}",
                 [("f3", "f2")], id="after, within 90 days"),
    # any earlier litter within 30 days: f1 follows f0 (19 days), f3 follows f2, f4 follows nothing
    pytest.param("after: {fact: litter, within_days: 30}", [("f1", "f0"), ("f3", "f2")], id="after, the latest"),
    # 首次不扣: only when there was no earlier clean deed within 60 days
    pytest.param("not_after: {fact: deed, when: {kind: clean}, within_days: 60}", [("f1", None), ("f4", None)],
                 id="not after the same kind of fact"),
]


@pytest.mark.parametrize(("sequence", "expected"), SEQUENCE_CASES)
def test_sequences_in_a_committees_words(sequence, expected):
    compiled = ruleset(LITTER.replace("LIMITS", "[]") + AFTER.replace("SEQUENCE", sequence))
    evaluation = evaluate(compiled, days(*SEQUENCE_FACTS), explain=True)
    assert [(a.fact_id, a.after_fact) for a in evaluation.awards if a.rule_id == "noise_after"] == expected
    assert_agrees(compiled, days(*SEQUENCE_FACTS))
    reasons = [m.reason for m in evaluation.misses if m.rule_id == "noise_after"]
    assert len(reasons) == 3 - len(expected) and all("within" in r and "did not match" not in r for r in reasons)


def test_an_award_after_an_earlier_fact_names_it():
    compiled = ruleset(LITTER.replace("LIMITS", "[]") + AFTER.replace("SEQUENCE", SEQUENCE_CASES[1].values[0]))
    award = next(a for a in evaluate(compiled, days(*SEQUENCE_FACTS)).awards if a.rule_id == "noise_after")
    assert "after fact f0" in award.summary()


SEQUENCES_REFUSED = [
    ("after: {fact: mediation, within_days: 90}", "rules[0].after.fact", "unknown fact type 'mediation'"),
    ("after: {fact: litter, when: {size: 2}, within_days: 90}", "rules[0].after.when.size",
     "unknown field of 'litter' 'size'"),
    ("not_after: {fact: litter, within_days: 0}", "rules[0].not_after.within_days", "greater than or equal to 1"),
    ("after: {fact: litter, when: {bags: {present: false}}, within_days: 9}", "rules[0].after.when",
     "could match only because fields are missing"),
]


@pytest.mark.parametrize(("rule", "path", "says"),
                         [(rules.replace("REPEATS", repeats), path, says)
                          for repeats, rules, path, says in REPEATS_REFUSED]
                         + [(AFTER.replace("SEQUENCE", sequence), path, says)
                            for sequence, path, says in SEQUENCES_REFUSED])
def test_a_malformed_repeat_or_sequence_is_refused_where_it_is_written(rule, path, says):
    with pytest.raises(RulesetError) as raised:
        ruleset(rule)
    [problem] = raised.value.problems
    assert problem.path == path and says in problem.message and problem.line == 21, problem


# ---------------------------------------------------------------- thresholds

HOURS = ("  - {id: hours_50, title: 全年志愿服务满 50 小时, category: civic, fact: deed, award: {points: 20}, "
         "REACHES}\n")
DEEDS = [("deed", f"2021-{month:02d}-10", {"kind": "help"}) for month in range(1, 13)]


@pytest.mark.parametrize(("reaches", "paid"), [
    # 全年累计满 10 次: the tenth deed of the year pays, once
    ("reaches: {period: year, at_least: 10}", [("f9", 10)]),
    # 每季度满 3 次: the third of each quarter
    ("reaches: {period: quarter, at_least: 3}", [("f2", 3), ("f5", 3), ("f8", 3), ("f11", 3)]),
])
def test_a_threshold_pays_once_per_period_on_the_fact_that_reaches_it(reaches, paid):
    compiled = ruleset(HOURS.replace("REACHES", reaches))
    evaluation = evaluate(compiled, days(*DEEDS), explain=True)
    assert [(a.fact_id, len(a.reached)) for a in evaluation.awards] == paid
    assert_agrees(compiled, days(*DEEDS))
    assert all("reaches" in m.reason for m in evaluation.misses)


def test_a_threshold_sums_a_field_exactly_and_names_the_facts():
    compiled = ruleset(LITTER.replace("LIMITS", "[]") + HOURS.replace("fact: deed", "fact: litter").replace(
        "REACHES", "reaches: {period: month, sum: bags, at_least: 5}"))
    facts = days(("litter", "2021-05-01", {"bags": 2}), ("litter", "2021-05-09", {"bags": 2}),
                 ("litter", "2021-05-20", {"bags": 3}), ("litter", "2021-05-21", {"bags": 3}))
    award = next(a for a in evaluate(compiled, facts).awards if a.rule_id == "hours_50")
    assert (award.fact_id, award.reached, award.reached_total) == ("f2", ("f0", "f1", "f2"), "7")
    assert "total 7 reached with facts f0, f1, f2" in award.summary()


@pytest.mark.parametrize(("reaches", "path", "says"), [
    ("reaches: {period: year, sum: size, at_least: 5}", "rules[0].reaches.sum", "unknown field of 'deed' 'size'"),
    ("reaches: {period: year, sum: kind, at_least: 5}", "rules[0].reaches.sum", "'kind' is enum"),
    ("reaches: {period: year, at_least: 0}", "rules[0].reaches.at_least", "greater than 0"),
    ("reaches: {days: 30, at_least: 3}", "rules[0].reaches", "period"),
])
def test_a_malformed_threshold_is_refused_where_it_is_written(reaches, path, says):
    with pytest.raises(RulesetError) as raised:
        ruleset(HOURS.replace("REACHES", reaches))
    assert any(p.path and p.path.startswith(path) and says in p.message and p.line == 21
               for p in raised.value.problems), raised.value.problems


# ---------------------------------------------------------------- a long stream

def test_a_history_scoring_a_stream_in_time_order_holds_only_the_longest_span():
    """One History over three years, as the simulations and the benchmark's soak use it: what it holds stays
    at about a year's (the longest span read), and the awards are still the reference's."""
    compiled = ruleset(DEED.replace("LIMITS", "[{days: 30, times: 2}, {period: month, max: 5}]")
                       + NOISE.replace("REPEATS", "{days: 365, amounts: [-5, -10]}")
                       + LITTER.replace("LIMITS", "[{period: week, times: 1}]")
                       + AFTER.replace("SEQUENCE", "after: {fact: litter, within_days: 90}"))
    kinds = [("deed", {"kind": "help"}), ("arrears", {}), ("litter", {"bags": 2}), ("deed", {"kind": "clean"})]
    start = dt.date(2021, 1, 1)
    facts = days(*((kinds[i % 4][0], (start + dt.timedelta(days=2 * i)).isoformat(), kinds[i % 4][1])
                   for i in range(3 * 365 // 2)))
    history, awards, held = History(), [], []
    for i in range(0, len(facts), 15):  # a month's facts a call
        awards += evaluate(compiled, facts[i:i + 15], history=history).awards
        held.append(sum(history.held().values()))
    after_a_year = held[len(held) // 3]
    assert max(held[len(held) // 3:]) <= after_a_year * 1.05, held
    assert_agrees(compiled, facts, Evaluation(awards=awards, residents=["r1"]))




# ---------------------------------------------------------------- generated rulesets of limits, repeats and sequences

SPANS = [{"period": p} for p in ("day", "week", "month", "quarter", "year")] + [{"days": n} for n in (1, 2, 7, 30)]


@st.composite
def limit_lists(draw, signs: set[int]) -> list[dict]:
    """Up to two limits of distinct spans, each with max and/or times, applies_to only where it caps something."""
    limits = []
    for span in draw(st.lists(st.sampled_from(SPANS), max_size=2, unique_by=lambda s: tuple(s.items()))):
        caps = draw(st.sampled_from([("max",), ("times",), ("max", "times")]))
        limit = {**span, **({"max": draw(st.integers(1, 12))} if "max" in caps else {}),
                 **({"times": draw(st.integers(1, 3))} if "times" in caps else {})}
        if len(signs) == 2 and draw(st.booleans()):
            limit["applies_to"] = draw(st.sampled_from(["awards", "deductions"]))
        limits.append(limit)
    return limits


def _signs(award: dict, low: int) -> set[int]:
    if "table" in award:
        amounts = [*award["table"]["values"].values(), award["table"]["else"]]
    else:
        amounts = [award["points"], -award["points"] if "per" in award and low < 0 else 0]
    return {1 if a > 0 else -1 for a in amounts if a}


@st.composite
def repeat_specs(draw, award: dict) -> dict:
    """Repeats over a span, of the rule or its category, by amounts (fixed points only) or multipliers."""
    spec = {**draw(st.sampled_from(SPANS)), "of": draw(st.sampled_from(["rule", "category"]))}
    if "points" in award and "per" not in award and draw(st.booleans()):
        sign = 1 if award["points"] > 0 else -1
        spec["amounts"] = [sign * n for n in draw(st.lists(st.integers(1, 9), min_size=1, max_size=3))]
    else:
        spec["multipliers"] = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3))
    return spec


@st.composite
def earlier_specs(draw) -> dict:
    """An earlier fact of either type, maybe with a condition on its kind, within 1–40 days."""
    spec = {"fact": draw(st.sampled_from(["deed", "offence"])), "within_days": draw(st.integers(1, 40))}
    if draw(st.booleans()):
        spec["when"] = {"kind": draw(st.sampled_from("abc"))}
    return spec


@st.composite
def history_rulesets(draw) -> str:
    """2–5 rules (fixed, per-unit and table amounts of both signs): limits, repeats and sequences on them."""
    points = st.integers(-6, 6).filter(bool)
    rules, category_signs = [], {"c1": set(), "c2": set()}
    for number in range(draw(st.integers(2, 5))):
        fact = draw(st.sampled_from(["deed", "offence"]))
        form = draw(st.sampled_from(["points", "per", "table"]))
        if form == "table":
            award = {"table": {"field": "kind", "values": {k: draw(st.integers(-5, 5)) for k in ("a", "b")},
                               "else": draw(st.integers(-3, 3))}}
        else:
            award = {"points": draw(points), **({"per": "n"} if form == "per" else {})}
        signs = _signs(award, low=-2 if fact == "offence" else 0)
        if not signs:
            continue
        category = draw(st.sampled_from(["c1", "c2"]))
        category_signs[category] |= signs
        rule = {"id": f"r{number}", "title": f"规则{number}", "category": category, "fact": fact, "award": award,
                "limits": draw(limit_lists(signs))}
        if draw(st.integers(0, 2)) == 0:
            rule["repeats"] = draw(repeat_specs(award))
        for key in ("after", "not_after"):
            if draw(st.integers(0, 3)) == 0:
                rule[key] = draw(earlier_specs())
        if draw(st.integers(0, 3)) == 0:
            rule["reaches"] = {"period": draw(st.sampled_from(["week", "month", "quarter", "year"])),
                               "at_least": draw(st.integers(1, 6)), **({"sum": "n"} if draw(st.booleans()) else {})}
        if draw(st.booleans()):
            rule["when"] = {"kind": {"in": draw(st.lists(st.sampled_from("abc"), min_size=1, max_size=2,
                                                         unique=True))}}
        if draw(st.integers(0, 3)) == 0:
            rule["veto"] = {**draw(st.sampled_from([{"tier_at_most": "B"}, {"tier_at_most": "C"}, {"flag": "x"},
                                                    {"tier_at_most": "B", "flag": "y"}, {"score_to": 0},
                                                    {"score_to": 101, "tier_at_most": "C"}])),
                            **draw(st.sampled_from([{"until_end_of": p} for p in ("week", "month", "year")]
                                                   + [{"months": n} for n in (1, 2)]))}
        if signs == {-1} and draw(st.integers(0, 2)) == 0:
            rule["carries_over"] = True  # kept only if some account is reset (below)
        rules.append(rule)
    resets = draw(st.lists(st.fixed_dictionaries(
        {"account": st.sampled_from(["index", "points"]), "every": st.sampled_from(["month", "quarter", "year"])},
        optional={"to": st.integers(95, 105)}), max_size=2, unique_by=lambda r: r["account"]))
    for rule in rules:
        if not resets:
            rule.pop("carries_over", None)
    liftable = [r["id"] for r in rules if "veto" in r or "carries_over" in r]
    for rule in rules:
        others = [other for other in liftable if other != rule["id"]]  # a rule never lifts itself
        if others and draw(st.integers(0, 3)) == 0:
            rule["lifts"] = draw(st.lists(st.sampled_from(others), min_size=1, max_size=2, unique=True))
    fields = {"n": {"type": "int", "min": 0, "max": 4}, "kind": {"type": "enum", "values": ["a", "b", "c"]}}
    data = {
        "id": "generated", "version": 1, "title": "生成的上限", "community": "测试", "effective_from": "2021-01-01",
        "accounts": {"starting_index": 100, "resets": resets},
        "tiers": [{"id": "A", "title": "好", "index_from": 103}, {"id": "B", "title": "中", "index_from": 97,
                                                                  "index_below": 103},
                  {"id": "C", "title": "差", "index_below": 97}],
        "categories": [{"id": c, "title": c, "limits": draw(limit_lists(s)) if s else []}
                       for c, s in category_signs.items()],
        "fact_types": [{"id": "deed", "title": "好事", "fields": fields},
                       {"id": "offence", "title": "违规", "fields": {**fields, "n": {"type": "int", "min": -2,
                                                                                    "max": 4}}}],
        "rules": rules,
        "period_rules": draw(st.lists(period_rule_specs(), max_size=2, unique_by=lambda r: r["id"])),
    }
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


@st.composite
def period_rule_specs(draw) -> dict:
    """A streak of periods without a category, or with a category's points bounded."""
    rule = {"id": f"p{draw(st.integers(0, 9))}", "title": "期末", "category": draw(st.sampled_from(["c1", "c2"])),
            "period": draw(st.sampled_from(["week", "month", "quarter"])), "streak": draw(st.integers(1, 3)),
            "award": draw(st.integers(-5, 5).filter(bool))}
    if draw(st.booleans()):
        rule["without"] = draw(st.lists(st.sampled_from(["c1", "c2"]), min_size=1, max_size=2, unique=True))
    else:
        bound = draw(st.sampled_from(["at_least", "at_most"]))
        rule["points"] = {"category": draw(st.sampled_from(["c1", "c2"])), bound: draw(st.integers(-4, 6))}
    return rule


@settings(max_examples=150, **SETTINGS)
@given(data=st.data())
def test_engine_equals_reference_on_generated_rulesets_of_limits_repeats_and_sequences(data):
    compiled = compile_ruleset(load_ruleset(data.draw(history_rulesets()), name="generated.yaml"))
    stream = data.draw(fact_streams(as_dict(compiled), max_size=40, residents=("r1", "r2")))
    closes_until = data.draw(st.sampled_from([None, dt.date(2021, 4, 1), dt.date(2021, 10, 1), dt.date(2022, 1, 1)]))
    evaluation = evaluate(compiled, stream, explain=True, closes_until=closes_until)
    assert_agrees(compiled, stream, evaluation, closes_until)
    assert limit_overruns(as_dict(compiled), evaluation.awards) == []
    assert not [m for m in evaluation.misses if "did not match" in m.reason]  # the explanation agrees
