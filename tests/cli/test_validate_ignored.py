"""Nothing a ruleset says is ever silently ignored: ``xinzhi validate`` refuses each such construct at its line.

Each case is the reference ruleset with one construct added that scoring could not honour
as written — it would cap nothing, choose among nothing, or never be read. All go through
one ``xinzhi validate`` call, as a committee member would run it.
"""

from __future__ import annotations

import re

from tests.cli.test_cli import xinzhi
from tests.conftest import RULESETS

YIHE = (RULESETS / "yihe_2021.yaml").read_text(encoding="utf-8")
ACTIVITY = "    award: {points: 2}\n    limits: [{period: month, max: 10}]\n"
PARKING = "    award: {points: -3}\n    repeats: {period: year, amounts: [-3, -6]}\n"

#: (construct, the text replaced, its replacement, the code expected)
IGNORED = [
    ("a deductions limit on a rule that only awards", ACTIVITY,
     ACTIVITY.replace("max: 10}", "max: 10, applies_to: deductions}"), "ruleset_limit_caps_nothing"),
    ("an awards limit on a rule that only deducts", PARKING, PARKING + "    limits: [{period: month, times: 1, "
     "applies_to: awards}]\n", "ruleset_limit_caps_nothing"),
    ("a limit on a category with no enabled rule", "  - id: culture_sports\n    title: 文体活动\n",
     "  - id: culture_sports\n    title: 文体活动\n    limits: [{period: year, max: 5}]\n"
     "  - id: unused\n    title: 未用\n    limits: [{period: month, times: 1}]\n", "ruleset_limit_caps_nothing"),
    ("two limits of one rule over the same span", ACTIVITY,
     ACTIVITY.replace("max: 10}]", "max: 10}, {period: month, times: 3}]"), "ruleset_limit_caps_nothing"),
    ("an exclusive group of one rule", ACTIVITY, ACTIVITY + "    exclusive: alone\n",
     "ruleset_exclusive_group"),
    ("repeat amounts on a per-unit award", "    award: {points: 1, per: count}\n",
     "    award: {points: 1, per: count}\n    repeats: {period: year, amounts: [1, 2]}\n", "ruleset_bad_value"),
    ("a repeat amount of the other sign", PARKING, PARKING.replace("[-3, -6]", "[-3, 6]"), "ruleset_bad_value"),
    ("a sequence after a fact type that does not exist", PARKING,
     PARKING + "    after: {fact: warning, within_days: 30}\n", "ruleset_unknown_fact_type"),
    ("a sequence after a field the earlier fact does not have", PARKING,
     PARKING + "    after: {fact: mediation, when: {rating: 5}, within_days: 30}\n", "ruleset_unknown_field"),
    ("a carry-over on a rule that awards points", ACTIVITY, ACTIVITY + "    carries_over: true\n",
     "ruleset_bad_value"),
    ("a carry-over where no account is reset", PARKING, PARKING + "    carries_over: true\n", "ruleset_bad_value"),
    ("a reset of points that also expire", "    after_months: 24\n",
     "    after_months: 24\n  resets: [{account: points, every: year}]\n", "ruleset_bad_value"),
    ("one account reset twice", "    after_months: 24\n",
     "    after_months: 24\n  resets: [{account: index, every: year},\n           {account: index, every: month}]\n",
     "ruleset_bad_value"),
    ("lifting a rule that neither vetoes nor carries over", PARKING,
     PARKING + "    lifts: [community_activity_join]\n", "ruleset_unknown_rule"),
    ("a rule that lifts itself", "    lifts: [serious_offence_veto]\n",
     "    lifts: [serious_offence_veto, rectification_lifts_veto]\n", "ruleset_bad_value"),
    ("a head charged with a fact that names a resident", "  - id: rectification\n    title: 整改到位并书面承诺\n",
     "  - id: rectification\n    title: 整改到位并书面承诺\n    charged_to_role: head\n", "ruleset_bad_value"),
    ("a misspelt key", ACTIVITY, ACTIVITY.replace("limits:", "limit:"), "ruleset_unknown_key"),
]


def test_validate_refuses_every_construct_that_would_otherwise_be_ignored(tmp_path):
    files, spans = [], []
    for number, (_, old, new, _) in enumerate(IGNORED):
        at = YIHE.index(old)
        first = YIHE[:at].count("\n") + 1
        spans.append(range(first, first + new.count("\n")))  # the lines the construct was written on
        path = tmp_path / f"case{number:02d}.yaml"
        path.write_text(YIHE[:at] + new + YIHE[at + len(old):], encoding="utf-8")
        files.append(str(path))
    result = xinzhi("validate", *files)
    assert result.returncode != 0
    for number, (construct, _, _, code) in enumerate(IGNORED):
        found = [(int(m[1]), m[2]) for m in re.finditer(rf"case{number:02d}\.yaml:(\d+):\d+: .*\[(\w+)\]",
                                                          result.stdout + result.stderr)]
        assert found and all(line in spans[number] and got == code for line, got in found), (construct, found)
