"""New test expectations proposed from what the tests gave: the editor's "update test expectations".

A value changed in a ruleset (an award of 2 points made 3) fails every embedded test that
counted on the old value. The draft-tests endpoint sends each failed test's mismatches
(``engine.testing.Mismatch``); this module turns them into the smallest change of the YAML
text — the expectation lines only — shown to the committee member as old line → new line,
to accept or dismiss. Nothing is stored here: the text is the editor's, and a test changes
only when a person accepts the change.

Places come from the YAML's own node marks (PyYAML ``compose``: nothing is constructed,
no rule text is evaluated). A test whose expectations are written in a way this cannot
rewrite without touching other lines (an expected award written as a block mapping that
gains a key, a block list of flags) is named in ``left``, for the person to edit by hand:
it is never half-updated.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

import yaml

AWARD_KEYS = ("fact", "period", "rule", "amount", "limited_by")

Edit = tuple[int, int, str]  # start and end offsets in the text, and what replaces them


class _Unplaced(Exception):
    """A mismatch this module cannot rewrite in place."""


def propose_expectations(text: str, tests: list[dict[str, Any]]) -> dict[str, Any]:
    """Line edits that make each failed test expect what came, and the names of the tests left to a person.

    ``tests`` are the outcomes of ``text``'s tests in order (``name``, ``passed``, ``mismatches``).
    An edit replaces the ``before`` lines starting at 1-based ``line`` with the ``after`` lines
    (``before`` empty: inserted there), and names its ``test``.
    """
    failed = [(i, t) for i, t in enumerate(tests) if not t["passed"]]
    if not failed:
        return {"edits": [], "left": []}
    try:
        nodes = _get(yaml.compose(text, Loader=yaml.SafeLoader), "tests")
        if not isinstance(nodes, yaml.SequenceNode) or len(nodes.value) != len(tests):
            raise _Unplaced
    except (yaml.YAMLError, _Unplaced):
        return {"edits": [], "left": [t["name"] for _, t in failed]}
    edits: list[Edit] = []
    left: list[str] = []
    spans: list[tuple[int, int, str]] = []  # first and last line of each test changed, with its name
    owners: dict[int, set[int]] = {}  # a node written once (&anchor) and used again (*alias): in several tests
    for index, node in enumerate(nodes.value):
        for part in _nodes(node, set()):
            owners.setdefault(id(part), set()).add(index)
    for index, outcome in failed:
        node = nodes.value[index]
        try:
            mine = _test_edits(text, node, outcome.get("mismatches") or [])
        except _Unplaced:
            left.append(outcome["name"])
            continue
        inside = all(node.start_mark.index <= start <= end <= node.end_mark.index for start, end, _ in mine)
        shared = any(len(owners[id(part)]) > 1 for part in _nodes(node, set()))
        if not inside or shared:  # an alias: changing what it points at would change another place too
            left.append(outcome["name"])
            continue
        edits += mine
        spans.append((node.start_mark.line + 1, node.end_mark.line + 1, outcome["name"]))
    return {"edits": _line_edits(text, _applied(text, edits), spans), "left": left}


def _test_edits(text: str, test: yaml.Node, mismatches: list[dict[str, Any]]) -> list[Edit]:
    if not mismatches:  # the facts themselves were refused: no expectation to change
        raise _Unplaced
    expect = _get(test, "expect")
    awards = [m for m in mismatches if m["path"][0] == "awards"]
    edits = _award_edits(text, _get(expect, "awards"), awards) if awards else []
    for m in mismatches:
        if m["path"][0] == "balances":
            _, resident, key = m["path"]
            edits.append(_replace(_get(_get(_get(expect, "balances"), resident), key), m["actual"]))
    return edits


def _award_edits(text: str, seq: yaml.Node, mismatches: list[dict[str, Any]]) -> list[Edit]:
    """The expected awards as they came: changed in place, the ones not given dropped, unlisted ones added."""
    if not isinstance(seq, yaml.SequenceNode):
        raise _Unplaced
    items = seq.value
    changed = {m["path"][1]: m for m in mismatches if len(m["path"]) == 2 and m["actual"] is not None}
    dropped = {m["path"][1] for m in mismatches if len(m["path"]) == 2 and m["actual"] is None}
    added = [m["actual"] for m in mismatches if len(m["path"]) == 1]
    if any(i >= len(items) for i in [*changed, *dropped]):
        raise _Unplaced
    one_line = all(isinstance(n, yaml.MappingNode) and n.flow_style and n.start_mark.line == n.end_mark.line
                   for n in items)
    if not one_line:  # awards written as block mappings: values change in place, nothing comes or goes
        if dropped or added:
            raise _Unplaced
        return [_replace(_get(items[i], key), m["actual"][key]) for i, m in changed.items()
                for key in _differing(m["expected"], m["actual"], items[i])]

    def written(i: int) -> str:
        if i in changed:
            return _award(changed[i]["actual"], order=[k.value for k, _ in items[i].value])
        return text[items[i].start_mark.index:items[i].end_mark.index]

    kept = [i for i in range(len(items)) if i not in dropped]
    if seq.flow_style:
        parts = [written(i) for i in kept] + [_award(a) for a in added]
        return [(seq.start_mark.index, seq.end_mark.index, f"[{', '.join(parts)}]")]
    if not kept and not added:  # an empty block list is no list at all: "awards:" would stop checking awards
        raise _Unplaced
    # a block list of one-line items: each item's own line, comments between them kept
    first = text.rfind("\n", 0, items[0].start_mark.index) + 1
    rows: list[tuple[str, int, str | None]] = []  # each item's dash ("    - "), its line's end, the lines before it
    for item in items:
        start = text.rfind("\n", 0, item.start_mark.index) + 1
        stop = text.find("\n", item.end_mark.index)
        stop = len(text) if stop < 0 else stop
        dash, rest = text[start:item.start_mark.index], text[item.end_mark.index:stop]
        if dash.strip() != "-" or rest.strip() and not rest.strip().startswith("#"):
            raise _Unplaced
        between = text[rows[-1][1] + 1:start - 1] if rows and start - 1 > rows[-1][1] else None
        rows.append((dash, stop, between))
    out = []
    for i, (dash, stop, between) in enumerate(rows):
        if between is not None:
            out.append(between)
        if i not in dropped:
            out.append(f"{dash}{written(i)}{text[items[i].end_mark.index:stop]}")  # a comment after it stays
    out += [f"{rows[-1][0]}{_award(a)}" for a in added]
    return [(first, rows[-1][1], "\n".join(out))]


def _differing(expected: dict[str, Any], actual: dict[str, Any], item: yaml.Node) -> list[str]:
    """The keys of an award written as a block mapping whose values change (each written already)."""
    keys = [k for k in AWARD_KEYS if expected.get(k) != actual.get(k)]
    written = {k.value for k, _ in item.value}
    if any(k not in written or k not in actual for k in keys):  # a key to add or take away: not in place
        raise _Unplaced
    return keys


def _award(award: dict[str, Any], order: list[str] | None = None) -> str:
    """An award in flow style, its keys in the order the test wrote them."""
    keys = [k for k in (order or []) if k in award] + [k for k in AWARD_KEYS if k in award and k not in (order or [])]
    return _flow({k: award[k] for k in keys})


def _replace(node: yaml.Node, value: Any) -> Edit:
    """The value written over ``node`` when it lies within its own span (a scalar, or a flow list or mapping)."""
    if isinstance(node, yaml.ScalarNode) and node.style not in ("|", ">") or \
            isinstance(node, yaml.CollectionNode) and node.flow_style:
        return node.start_mark.index, node.end_mark.index, _flow(value)
    raise _Unplaced


def _nodes(node: yaml.Node, seen: set[int]) -> list[yaml.Node]:
    """``node`` and every node under it, each once."""
    if id(node) in seen:
        return []
    seen.add(id(node))
    children = [n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode) else \
        node.value if isinstance(node, yaml.SequenceNode) else []
    return [node, *(n for child in children for n in _nodes(child, seen))]


def _get(node: yaml.Node | None, key: str | int) -> yaml.Node:
    """The value of ``key`` in a mapping node (keys compared as written: a resident 101 is "101")."""
    if isinstance(node, yaml.MappingNode):
        for key_node, value in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(key):
                return value
    raise _Unplaced


def _flow(value: Any) -> str:
    """``value`` in YAML flow style, a text plain where it reads back as itself, else double-quoted."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_flow(k)}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    if isinstance(value, str):
        try:
            plain = yaml.safe_load(f"[{value}]") == [value]
        except yaml.YAMLError:
            plain = False
        return value if plain and value.strip() == value else json.dumps(value, ensure_ascii=False)
    return json.dumps(value)


def _applied(text: str, edits: list[Edit]) -> str:
    out, at = [], 0
    for start, end, replacement in sorted(edits):
        out += [text[at:start], replacement]
        at = end
    return "".join(out) + text[at:]


def _line_edits(old: str, new: str, spans: list[tuple[int, int, str]]) -> list[dict[str, Any]]:
    a, b = old.split("\n"), new.split("\n")
    edits = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            test = next((name for first, last, name in spans if first <= i1 + 1 <= last), "")
            edits.append({"line": i1 + 1, "before": a[i1:i2], "after": b[j1:j2], "test": test})
    return edits
