"""``xinzhi`` — validate, test, score and explain rulesets; serve the API.

Exit status: 0 success, 1 when a ruleset, test or fact has problems, 2 on usage errors.
"""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from pathlib import Path

import yaml

from engine import (
    RulesetError,
    XinzhiError,
    balances,
    compile_ruleset,
    evaluate,
    load_ruleset_file,
    run_tests,
)
from engine.factfiles import read_facts
from engine.schema import ruleset_json_schema_text


def _load(files: list[str]) -> tuple[list, int]:
    loaded, status = [], 0
    for file in files:
        try:
            loaded.append(load_ruleset_file(file))
        except RulesetError as exc:
            for problem in exc.problems:
                print(problem, file=sys.stderr)
            status = 1
    return loaded, status


def _pad(text: str, width: int) -> str:
    """Left-align in a terminal column: CJK characters take two cells."""
    cells = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(0, width - cells)


def cmd_validate(args: argparse.Namespace) -> int:
    loaded, status = _load(args.files)
    for ruleset in loaded:
        print(f"ok  {ruleset.ref}  {ruleset.title}  ({len(ruleset.rules)} rules, {len(ruleset.tests)} tests)")
    return status


def cmd_test(args: argparse.Namespace) -> int:
    loaded, status = _load(args.files)
    for ruleset in loaded:
        for outcome in run_tests(compile_ruleset(ruleset)):
            print(f"{'PASS' if outcome.passed else 'FAIL'}  {ruleset.ref}  {outcome.name}")
            for failure in outcome.failures:
                print(f"      {failure}")
            status = status or (0 if outcome.passed else 1)
    return status


def cmd_score(args: argparse.Namespace) -> int:
    loaded, status = _load([args.file])
    if status:
        return status
    compiled = compile_ruleset(loaded[0])
    try:
        evaluation = evaluate(compiled, read_facts(Path(args.facts)), explain=args.explain)
    except XinzhiError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    totals = balances(compiled.ruleset, evaluation.awards)
    if args.json:
        out = {"ruleset": compiled.ref, "balances": [b.model_dump() for b in totals.values()]}
        if args.explain:
            out["awards"] = [a.model_dump(mode="json") for a in evaluation.awards]
            out["misses"] = [m.model_dump(mode="json") for m in evaluation.misses]
        json.dump(out, sys.stdout, ensure_ascii=False, indent=2, default=str)
        print()
        return 0
    print(f"{'resident':<16} {'index':>6} {'points':>7}  tier")
    for balance in totals.values():
        print(f"{_pad(balance.resident, 16)} {balance.index:>6} {balance.points:>7}  {balance.tier} {balance.tier_title}")
    if args.explain:
        print()
        for award in evaluation.awards:
            cut = f" (raw {award.raw_amount:+d}, limited by {award.limited_by})" if award.limited_by else ""
            print(f"{award.fact_id:<12} {_pad(award.resident, 10)} {award.rule_id:<34} {award.amount:+4d}{cut}  "
                  f"{award.rule_title}")
        for miss in evaluation.misses:
            print(f"{miss.fact_id:<12} {'':<10} {miss.rule_id:<34}   —  {miss.reason}")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    text = ruleset_json_schema_text()
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    loaded, status = _load([args.file])
    if status:
        return status
    ruleset = loaded[0]
    print(f"# {ruleset.ref} fully resolved from: {' ← '.join(ruleset.lineage)}")
    data = ruleset.model_dump(mode="json", by_alias=True, exclude_none=True,
                              exclude={"extends", "overrides", "tests"})
    sys.stdout.write(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="xinzhi", description="信治 Xinzhi community integrity points")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("validate", help="load rulesets and list every problem with its line and column")
    p.add_argument("files", nargs="+")
    p.set_defaults(run=cmd_validate)
    p = sub.add_parser("test", help="run each ruleset's embedded tests")
    p.add_argument("files", nargs="+")
    p.set_defaults(run=cmd_test)
    p = sub.add_parser("score", help="score facts (JSONL or CSV) under a ruleset")
    p.add_argument("file")
    p.add_argument("--facts", required=True)
    p.add_argument("--explain", action="store_true", help="list every award and why other rules gave nothing")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_score)
    p = sub.add_parser("schema", help="print the JSON Schema of the ruleset format")
    p.add_argument("--out")
    p.set_defaults(run=cmd_schema)
    p = sub.add_parser("explain", help="print a ruleset fully resolved (extends applied)")
    p.add_argument("file")
    p.set_defaults(run=cmd_explain)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
