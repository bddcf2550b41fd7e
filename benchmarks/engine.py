"""Throughput and memory of the Xinzhi engine against what it is built on, side by side.

    .venv/bin/python benchmarks/engine.py                    # 200,000 facts, 5,000 residents
    .venv/bin/python benchmarks/engine.py --facts 50000      # quicker
    .venv/bin/python benchmarks/engine.py --soak 1000000     # memory over 1,000,000 facts
    .venv/bin/python benchmarks/engine.py --history          # also: history-aware rules vs per-fact rules
    .venv/bin/python benchmarks/engine.py --soak 1000000 --history   # their memory, one History for all

Rows (each variant runs in a fresh process started with multiprocessing 'spawn', so its
peak RSS is its own; the facts are regenerated there from the same seed):

  (0)  the full engine: ``evaluate(compiled, facts)`` on raw fact dicts, over the stream
       in time order in chunks of --chunk facts sharing one History (as the store and
       the simulations call it): validation and coercion, sorting, matching through
       durable-rules, amounts, limits, Award objects; once without and once with
       explanations. The engine drives durable-rules' C core directly (engine/_matcher.py).
  (0s) the same two rows with the engine's matcher swapped for durable-rules' stock Python
       host (tests/engine/stock_host.py, what the engine ran before issue 15): the lean
       path's gain, with and without explanations (targets: 2× and 1.5×).
  (a)  durable-rules on its own: the same compiled definition registered (deep-copied) in a
       ``durable.engine.Host`` whose dispatcher is off, one-argument callbacks that only record,
       each message asserted then retracted in one session (messages built beforehand).
  (b)  plain Python: hand-written predicates for the yihe_2021 rules (an if-chain).
  (c)  GoRules zen-engine: the same conditions as one JDM decision table ("collect" hit
       policy, one row per rule, one input column per fact field), evaluated per fact;
       with --zen-batch, a second row uses ``ZenEngine.evaluate_batch`` (multi-threaded).
       ``--zen-facts N`` measures both on the first N facts only (marked * in the table).
  (h)  with --history: row (0) for yihe without the rules that read a resident's history
       (repeats, sequences, count caps, rolling windows) and for yihe with more of them, on the
       same stream; the second must score at least half as fast as the first (issue 11).

Before timing, an agreement check runs every matcher on the first facts and stops the
benchmark if any of them disagrees with the engine.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import datetime as dt
import gc
import json
import multiprocessing
import os
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this file's folder comes first on sys.path and would shadow the
# ``engine`` package with this very module (benchmarks/engine.py): put the project first.
_here = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _here]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_RULESET = ROOT / "rulesets" / "yihe_2021.yaml"
SEED = 20211029
YEAR_START = dt.datetime(2021, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
YEAR_SECONDS = 365 * 24 * 3600
CHECK_FACTS = 5_000


# --------------------------------------------------------------------------- memory


def rss_mb() -> float:
    """Current resident set size (Linux /proc), in MiB."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:  # not Linux: fall back to the peak
        return peak_rss_mb()


def peak_rss_mb() -> float:
    """Peak resident set size of this process (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _since(start: tuple[float, float]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (all threads of this process) since ``start``."""
    wall, cpu = _clock()
    return wall - start[0], cpu - start[1]


def cpu_pressure() -> float | None:
    """Total microseconds some task waited for a CPU (Linux PSI), to spot a busy machine."""
    try:
        with open("/proc/pressure/cpu") as f:
            return float(f.readline().rsplit("total=", 1)[1])
    except (OSError, IndexError, ValueError):
        return None


# --------------------------------------------------------------------------- facts


def _field_value(rng: random.Random, name: str, spec):
    """A valid value for one field spec; ints and numbers mostly small, as in real use."""
    lo = spec.min if spec.min is not None else 0
    hi = spec.max if spec.max is not None else lo + 100
    if spec.type == "int":
        lo, hi = int(lo), int(hi)
        return rng.randint(lo, min(hi, lo + 9)) if rng.random() < 0.8 else rng.randint(lo, hi)
    if spec.type == "number":
        return round(rng.uniform(lo, min(hi, lo + 8)) * 2) / 2  # half hours, 0.0 .. 8.0
    if spec.type == "enum":
        return rng.choice(spec.values)
    if spec.type == "bool":
        return rng.random() < 0.5
    if spec.type == "date":
        return (YEAR_START.date() + dt.timedelta(days=rng.randrange(365))).isoformat()
    return f"{name}-{rng.randrange(1000)}"[: spec.max_length]


def fact_stream(ruleset, count: int, residents: int, seed: int = SEED, first_id: int = 0,
                start: dt.datetime = YEAR_START, seconds: int = YEAR_SECONDS):
    """``count`` valid fact dicts for every fact type of ``ruleset``, spread over 2021 (or ``seconds`` on)."""
    rng = random.Random(seed)
    types = list(ruleset.fact_types)
    for i in range(first_id, first_id + count):
        fact_type = rng.choice(types)
        fields = {}
        for name, spec in fact_type.fields.items():
            if not spec.required and rng.random() < 0.3:
                continue  # optional fields are left out 30% of the time
            fields[name] = _field_value(rng, name, spec)
        moment = start + dt.timedelta(seconds=rng.randrange(seconds))
        yield {"id": f"f{i:07d}", "type": fact_type.id, "resident": f"r{rng.randrange(residents):05d}",
               "occurred_at": moment.isoformat(), "fields": fields}


def message_of(fact: dict, date_fields: frozenset[str] = frozenset()) -> dict:
    """The message a matcher sees: type plus field values (dates as yyyymmdd integers)."""
    fields = fact["fields"]
    if date_fields:
        fields = {k: int(v.replace("-", "")) if k in date_fields else v for k, v in fields.items()}
    return {"type": fact["type"], **fields}


def _date_fields(ruleset) -> frozenset[str]:
    return frozenset(n for t in ruleset.fact_types for n, s in t.fields.items() if s.type == "date")


def _load(path: str):
    from xinzhi.engine import compile_ruleset_file
    return compile_ruleset_file(path)


# --------------------------------------------------------------------------- rules that read history

#: Added to yihe for the history-aware variant, so that most fact types read History beyond a
#: calendar sum: repeat offences, sequences, count caps and rolling windows (issue 11).
HISTORY_RULES = [
    {"id": "littering", "title": "乱扔垃圾", "category": "violations", "fact": "violation",
     "when": {"kind": "littering"}, "award": {"points": -2}, "repeats": {"days": 90, "multipliers": [1, 2, 4]}},
    {"id": "activity_without_violation", "title": "无违规参加活动", "category": "participation",
     "fact": "community_activity", "not_after": {"fact": "violation", "within_days": 30}, "award": {"points": 1},
     "limits": [{"days": 30, "times": 2}]},
    {"id": "volunteer_after_mediation", "title": "调解后参加志愿服务", "category": "volunteering",
     "fact": "volunteering", "when": {"hours": {"above": 0}},
     "after": {"fact": "mediation", "when": {"role": "party"}, "within_days": 60}, "award": {"points": 3},
     "limits": [{"period": "month", "times": 1}]},
    {"id": "meeting_after_report", "title": "上报问题后参加议事", "category": "governance", "fact": "owners_meeting",
     "after": {"fact": "alley_steward_duty", "when": {"task": "app_report"}, "within_days": 30},
     "award": {"points": 1}},
]
#: Limits and repeats added to yihe's own rules (and categories) in the history-aware variant.
HISTORY_LIMITS = {
    "community_activity_join": [{"days": 30, "times": 4}],
    "alley_steward_patrol": [{"days": 30, "max": 15}],
    "owners_meeting_attendance": [{"days": 14, "times": 1}],
    "small_ads_cleanup": [{"days": 7, "times": 1}],
    "sports_competition": [{"days": 90, "times": 2}],
    "mediation_party": [{"days": 90, "times": 1}],
    "violations": [{"days": 30, "max": 12, "applies_to": "deductions"}],  # a category
    "culture_sports": [{"days": 90, "max": 20}],  # a category
}
HISTORY_REPEATS = {
    "garbage_sorting_failed": {"days": 365, "of": "category", "multipliers": [1, 2, 3]},
    "parking_space_occupied": {"period": "year", "amounts": [-3, -6, -10]},
}


def _reads_history(limit: dict) -> bool:
    return "times" in limit or "days" in limit


def variant_ruleset(path: str, kind: str):
    """yihe without what reads a resident's history (``per_fact``), or with more of it (``history``).

    Built here rather than committed, so the two stay yihe plus or minus issue 11's constructs;
    calendar ``max`` limits stay in both (the engine kept them before issue 11). The fact types
    are yihe's own, so both variants see the same stream. The embedded tests are left out: they
    check yihe's amounts, which the variants change on purpose.
    """
    import yaml

    from xinzhi.engine import compile_ruleset, load_ruleset

    doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    doc.pop("tests", None)
    doc["id"] = f"{doc['id']}_{kind}"
    owners = [*doc["rules"], *doc["categories"]]
    if kind == "per_fact":
        for owner in owners:
            for key in ("repeats", "after", "not_after"):
                owner.pop(key, None)
            owner["limits"] = [lim for lim in owner.get("limits", []) if not _reads_history(lim)]
    elif kind == "history":
        doc["rules"] += copy.deepcopy(HISTORY_RULES)
        for owner in owners:
            owner["limits"] = owner.get("limits", []) + copy.deepcopy(HISTORY_LIMITS.get(owner["id"], []))
            if owner["id"] in HISTORY_REPEATS:
                owner["repeats"] = dict(HISTORY_REPEATS[owner["id"]])
    else:
        raise ValueError(kind)
    text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    return compile_ruleset(load_ruleset(text, name=f"{Path(path).stem}_{kind}.yaml"))


def history_share(compiled) -> float:
    """The share of a uniform stream's fact types that a repeat, sequence, count cap or rolling window reads."""
    types = {c.rule.fact for c in compiled.rules.values()
             if c.repeat or c.after or c.not_after or any(lim.times or lim.days for lim in
                                                            (*c.limits, *c.deduction_limits))}
    types |= {c.after.fact for c in compiled.rules.values() if c.after}
    types |= {c.not_after.fact for c in compiled.rules.values() if c.not_after}
    return len(types) / len(compiled.ruleset.fact_types)


def history_counts(awards) -> dict:
    """How often the stream met what reads history: repeats, sequences, count caps, rolling windows."""
    return {"repeats": sum(1 for a in awards if a.occurrence and a.occurrence > 1),
            "sequences": sum(1 for a in awards if a.after_fact),
            "count caps": sum(1 for a in awards if a.limit_times),
            "windows": sum(1 for a in awards if a.limited_by and a.limited_by.split("/")[1].endswith("d"))}


# --------------------------------------------------------------------------- (a) durable-rules


class RawDurable:
    """The compiled definition in its own durable-rules host: assert, then retract, each message."""

    def __init__(self, definition: dict, name: str = "bench_raw"):
        from durable.engine import Host, MessageNotHandledException

        class QuietHost(Host):
            def _run(self) -> None:  # no background dispatcher (only timers need it)
                return None

        self.not_handled = MessageNotHandledException
        self.unmatched = contextlib.suppress(MessageNotHandledException)  # one for every call, as the engine's
        self.name = name
        self.fired: list[str] = []
        rules = copy.deepcopy(definition)  # set_rulesets mutates what it is given
        for rule_id, rule in rules.items():
            rule["run"] = self._callback(rule_id)
        self.host = QuietHost()
        self.host.set_rulesets({name: rules})

    def _callback(self, rule_id: str):
        fired = self.fired

        def record(_context) -> None:  # one argument: durable-rules' synchronous callback
            fired.append(rule_id)
        return record

    def match(self, message: dict) -> list[str]:
        """Every rule the message matches (``message`` carries a unique id and a sid)."""
        self.fired.clear()
        host, name = self.host, self.name
        try:
            host.assert_fact(name, message)
        except self.not_handled:
            return []
        finally:
            with self.unmatched:
                host.retract_fact(name, message)
        return list(self.fired)


# --------------------------------------------------------------------------- (b) plain Python


def yihe_if_chain(m: dict) -> list[str]:
    """The yihe_2021 rules hand-written; a missing field fails any comparison on it."""
    t = m["type"]
    if t == "community_activity":
        return ["community_activity_join"] if "activity" in m else []
    if t == "alley_steward_duty":
        task = m["task"]
        if task == "patrol" or task == "persuasion":
            return ["alley_steward_patrol"]
        reports = m.get("reports")
        return ["alley_steward_app_report"] if task == "app_report" and reports is not None and reports >= 1 else []
    if t == "owners_meeting":
        suggestions = m.get("suggestions")
        if suggestions is not None and suggestions >= 1:
            if m.get("adopted") is True:
                return ["owners_meeting_attendance", "owners_meeting_suggestion", "suggestion_adopted"]
            return ["owners_meeting_attendance", "owners_meeting_suggestion"]
        return ["owners_meeting_attendance"]
    if t == "small_ad_cleanup":
        return ["small_ads_cleanup"]
    if t == "garbage_check":
        result = m["result"]
        if result == "excellent" or result == "passed":
            return ["garbage_sorting_check"]
        return ["garbage_sorting_failed"] if result == "failed" else []
    if t == "competition":
        kind = m["kind"]
        out = ["sports_competition"] if kind == "sports" else ["culture_competition"] if kind == "culture" else []
        placement = m.get("placement")
        if placement is not None and placement <= 3:
            out.append("competition_podium")
        return out
    if t == "volunteering":
        hours = m.get("hours")
        return ["volunteer_hours"] if hours is not None and hours > 0 else []
    if t == "mediation":
        role = m["role"]
        return ["mediation_mediator"] if role == "mediator" else ["mediation_party"] if role == "party" else []
    if t == "violation":
        kind = m["kind"]
        if kind == "night_disturbance":
            return ["night_disturbance_after_mediation"]
        if kind == "serious_offence":
            return ["serious_offence_veto"]
        return ["parking_space_occupied"] if kind == "parking_space_occupied" else []
    if t == "rectification":
        return ["rectification_lifts_veto"]
    return []


# --------------------------------------------------------------------------- (c) zen-engine


def _dnf(expr) -> list[list]:
    """The condition as a list of alternatives, each a list of tests that must all hold."""
    from xinzhi.engine.conditions import All, Test
    if isinstance(expr, Test):
        return [[expr]]
    if isinstance(expr, All):
        rows: list[list] = [[]]
        for part in expr.parts:
            rows = [row + alt for row in rows for alt in _dnf(part)]
        return rows
    return [alt for part in expr.parts for alt in _dnf(part)]


def _zen_literal(value) -> str:
    from xinzhi.engine.conditions import engine_value
    return json.dumps(engine_value(value), ensure_ascii=False)


def _zen_test(test) -> str:
    """One test as a zen unary expression on ``$``; comparisons on a missing (null) field are false."""
    op, value = test.op, test.value
    if op == "present":
        return "$ != null"
    if op == "absent":
        return "$ == null"
    if op == "eq":
        return f"$ == {_zen_literal(value)}"
    if op == "in":
        return f"$ in [{', '.join(_zen_literal(v) for v in value)}]"
    if op == "not_in":
        return f"$ != null and $ not in [{', '.join(_zen_literal(v) for v in value)}]"
    symbol = {"ne": "!=", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}[op]
    return f"$ != null and $ {symbol} {_zen_literal(value)}"


def zen_decision_table(compiled) -> dict:
    """A JDM graph (input → decision table → output): one row per rule (per alternative)."""
    names = ["type"] + sorted({n for t in compiled.ruleset.fact_types for n in t.fields})
    inputs = [{"id": f"in_{n}", "name": n, "field": n} for n in names]
    rows = []
    for rule_id, compiled_rule in compiled.rules.items():
        for k, alternative in enumerate(_dnf(compiled_rule.condition)):
            row = {"_id": f"{rule_id}#{k}", **{f"in_{n}": "" for n in names}, "out_rule": json.dumps(rule_id)}
            row["in_type"] = f"$ == {json.dumps(compiled_rule.rule.fact)}"
            by_field: dict[str, list[str]] = {}
            for test in alternative:
                by_field.setdefault(test.field, []).append(_zen_test(test))
            for field_name, tests in by_field.items():
                # no parentheses: zen's unary parser rejects "($ > 0)", and the table then
                # silently treats the cell as not matching (each test is a conjunction anyway)
                row[f"in_{field_name}"] = " and ".join(tests)
            rows.append(row)
    table = {"hitPolicy": "collect", "inputs": inputs,
             "outputs": [{"id": "out_rule", "name": "rule", "field": "rule"}], "rules": rows}
    return {
        "nodes": [
            {"id": "request", "type": "inputNode", "name": "Request", "position": {"x": 0, "y": 0}, "content": {}},
            {"id": "rules", "type": "decisionTableNode", "name": compiled.ref, "position": {"x": 300, "y": 0},
             "content": table},
            {"id": "response", "type": "outputNode", "name": "Response", "position": {"x": 600, "y": 0},
             "content": {}},
        ],
        "edges": [
            {"id": "e1", "sourceId": "request", "targetId": "rules", "type": "edge"},
            {"id": "e2", "sourceId": "rules", "targetId": "response", "type": "edge"},
        ],
    }


def zen_matched(response: dict) -> list[str]:
    result = response["result"]
    seen: dict[str, None] = {}  # a rule split into several rows may hit more than once
    for hit in result if isinstance(result, list) else [result]:
        if hit:
            seen.setdefault(hit["rule"], None)
    return list(seen)


# --------------------------------------------------------------------------- variants


VARIANTS = {
    "engine": "(0) full engine: evaluate(), 10k chunks",
    "engine_explain": "(0) full engine: evaluate(explain=True)",
    "engine_stock": "(0s) engine on the stock durable-rules host",
    "engine_stock_explain": "(0s) same, explain=True",
    "engine_per_fact": "(h) engine, yihe without history-aware rules",
    "engine_history": "(h) engine, yihe with history-aware rules",
    "durable": "(a) durable-rules alone: assert+retract",
    "python": "(b) plain Python if-chain",
    "zen": "(c) zen-engine decision table, per fact",
    "zen_batch": "(c) zen-engine evaluate_batch (threads)",
}


def run_variant(variant: str, ruleset_path: str, n: int, residents: int, seed: int, limit: int | None,
                chunk: int = 10_000) -> dict:
    """Runs in a fresh spawned process: generate, set up, then time one variant."""
    compiled = variant_ruleset(ruleset_path, variant[len("engine_"):]) if variant in HISTORY_VARIANTS \
        else _load(ruleset_path)
    facts = list(fact_stream(compiled.ruleset, n, residents, seed))
    if limit is not None and limit < len(facts):
        facts = facts[:limit]
    dates = _date_fields(compiled.ruleset)
    measured, results = len(facts), 0
    extra: dict = {}
    if variant in ("engine", "engine_explain", "engine_stock", "engine_stock_explain", *HISTORY_VARIANTS):
        from xinzhi.engine import MATCHER, History, evaluate
        explain = variant.endswith("_explain")
        matcher = MATCHER
        if variant.startswith("engine_stock"):
            from tests.engine.stock_host import StockHost
            matcher = StockHost()
        # A stream in time order, evaluated in chunks with one History, as the store and
        # the simulations call the engine: the same awards as one call over all facts.
        facts.sort(key=lambda f: (f["occurred_at"], f["id"]))
        history = History()
        awards = []
        gc.collect()
        rss_before = rss_mb()
        start = _clock()
        for i in range(0, len(facts), chunk):
            awards += evaluate(compiled, facts[i:i + chunk], history=history, explain=explain,
                               matcher=matcher).awards
        seconds, cpu = _since(start)
        results = len(awards)
        if variant in HISTORY_VARIANTS:
            extra = {"met": history_counts(awards), "share": history_share(compiled)}
    elif variant == "durable":
        raw = RawDurable(compiled.definition)
        messages = [{**message_of(f, dates), "id": f["id"], "sid": "0"} for f in facts]
        del facts
        gc.collect()
        rss_before = rss_mb()
        match = raw.match
        start = _clock()
        for message in messages:
            results += len(match(message))
        seconds, cpu = _since(start)
    elif variant == "python":
        messages = [message_of(f, dates) for f in facts]
        del facts
        gc.collect()
        rss_before = rss_mb()
        start = _clock()
        for message in messages:
            results += len(yihe_if_chain(message))
        seconds, cpu = _since(start)
    elif variant == "zen":
        import zen
        decision = zen.ZenEngine().create_decision(json.dumps(zen_decision_table(compiled), ensure_ascii=False))
        messages = [message_of(f, dates) for f in facts]
        del facts
        gc.collect()
        rss_before = rss_mb()
        evaluate_one = decision.evaluate
        start = _clock()
        for message in messages:
            results += len(zen_matched(evaluate_one(message)))
        seconds, cpu = _since(start)
    elif variant == "zen_batch":
        import zen
        graph = json.dumps(zen_decision_table(compiled), ensure_ascii=False)
        engine = zen.ZenEngine({"loader": lambda key: graph})
        requests = [{"key": "yihe", "context": message_of(f, dates)} for f in facts]
        del facts
        gc.collect()
        rss_before = rss_mb()
        start = _clock()
        for i in range(0, len(requests), 10_000):
            for answer in engine.evaluate_batch(requests[i:i + 10_000]):
                if not answer.get("success"):
                    raise RuntimeError(f"zen evaluate_batch failed: {answer.get('error')}")
                results += len(zen_matched(answer["data"]))
        seconds, cpu = _since(start)
    else:
        raise ValueError(variant)
    return {"variant": variant, "facts": measured, "seconds": seconds, "cpu": cpu, "results": results,
            "rss_before": rss_before, "peak": peak_rss_mb(), **extra}


HISTORY_VARIANTS = ("engine_per_fact", "engine_history")


def agreement_check(ruleset_path: str, n: int, residents: int, seed: int, is_yihe: bool) -> dict:
    """Every matcher on the first facts: the same (fact, rule) matches as the engine's awards."""
    import zen

    from xinzhi.engine import evaluate, validate_facts
    from xinzhi.engine.evaluator import raw_amount

    compiled = _load(ruleset_path)
    facts = list(fact_stream(compiled.ruleset, n, residents, seed))
    dates = _date_fields(compiled.ruleset)
    valid = {f.id: f for f in validate_facts(compiled, facts)}
    engine_pairs = {(a.fact_id, a.rule_id) for a in evaluate(compiled, facts).awards}
    raw = RawDurable(compiled.definition, name="bench_check")
    decision = zen.ZenEngine().create_decision(json.dumps(zen_decision_table(compiled), ensure_ascii=False))
    matchers = {
        "durable": lambda f: raw.match({**message_of(f, dates), "id": f["id"], "sid": "0"}),
        "zen": lambda f: zen_matched(decision.evaluate(message_of(f, dates))),
    }
    if is_yihe:
        matchers["python"] = lambda f: yihe_if_chain(message_of(f, dates))
    problems = []
    matches = {}
    # a sequence or threshold matching is not yet its award (it needs the earlier facts): left out here
    plain = {r for r, c in compiled.rules.items() if c.after is None and c.not_after is None and not c.rule.reaches}
    engine_pairs = {(fid, r) for fid, r in engine_pairs if r in plain}
    for name, match in matchers.items():
        pairs = {(f["id"], r) for f in facts for r in match(f) if r in plain}
        matches[name] = len(pairs)
        # the engine leaves out matches whose amount is 0 (e.g. a mediator's satisfaction of 2)
        nonzero = {(fid, r) for fid, r in pairs if raw_amount(compiled.rules[r], valid[fid], compiled.decimals) != 0}
        if nonzero != engine_pairs:
            diff = sorted(nonzero ^ engine_pairs)[:5]
            problems.append(f"{name} disagrees with the engine on {len(nonzero ^ engine_pairs)} matches, e.g. {diff}")
    return {"facts": len(facts), "awards": len(engine_pairs), "matches": matches, "problems": problems}


def _spawned(function, *args):
    """Run ``function(*args)`` in a fresh interpreter (spawn), so its peak RSS is its own."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(1, maxtasksperchild=1) as pool:
        return pool.apply(function, args)


# --------------------------------------------------------------------------- report


def benchmark(args) -> None:
    ruleset_path = str(args.ruleset)
    is_yihe = Path(ruleset_path).name == "yihe_2021.yaml"
    print(f"ruleset {Path(ruleset_path).relative_to(ROOT) if Path(ruleset_path).is_relative_to(ROOT) else ruleset_path}"
          f", {args.facts:,} facts over {args.residents:,} residents, seed {args.seed}, "
          f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs", flush=True)

    check_n = min(CHECK_FACTS, args.facts)
    check = _spawned(agreement_check, ruleset_path, check_n, args.residents, args.seed, is_yihe)
    if check["problems"]:
        print("agreement check FAILED:\n  " + "\n  ".join(check["problems"]))
        sys.exit(1)
    print(f"agreement check: on the first {check['facts']:,} facts every matcher agrees with the engine "
          f"({check['awards']:,} awards; rule matches {check['matches']})", flush=True)

    zen_limit = args.zen_facts if args.zen_facts and args.zen_facts < args.facts else None
    plan = ["engine", "engine_explain", "engine_stock", "engine_stock_explain", "durable"] + \
        (["python"] if is_yihe else []) + ["zen"]
    if args.zen_batch or (args.only and "zen_batch" in args.only):
        plan.append("zen_batch")
    if args.history or (args.only and args.only & set(HISTORY_VARIANTS)):
        plan += HISTORY_VARIANTS
    if args.only:
        plan = [v for v in plan if v in args.only]
    rows = []
    pressure, wall = cpu_pressure(), time.perf_counter()
    while plan:
        variant = plan.pop(0)
        limit = zen_limit if variant.startswith("zen") else None
        print(f"  running {VARIANTS[variant]} ...", flush=True)
        rows.append(_spawned(run_variant, variant, ruleset_path, args.facts, args.residents, args.seed, limit,
                                     args.chunk))
    contention = None
    if pressure is not None:
        contention = (cpu_pressure() - pressure) / 1e6 / (time.perf_counter() - wall)

    print()
    header = f"{'variant':<44} {'facts':>9} {'wall s':>7} {'CPU s':>7} {'facts/s':>10} {'facts/CPU-s':>11} " \
             f"{'results':>9} {'RSS start MB':>12} {'peak RSS MB':>11}"
    print(header)
    print("-" * len(header))
    for row in rows:
        label = VARIANTS[row["variant"]]
        if row["facts"] < args.facts:
            label += " *"
        print(f"{label:<44} {row['facts']:>9,} {row['seconds']:>7.2f} {row['cpu']:>7.2f} "
              f"{row['facts'] / row['seconds']:>10,.0f} {row['facts'] / row['cpu']:>11,.0f} "
              f"{row['results']:>9,} {row['rss_before']:>12.0f} {row['peak']:>11.0f}")
    print("-" * len(header))
    if zen_limit:
        print(f"* measured on the first {zen_limit:,} facts only (--zen-facts)")
    print("facts/s: per wall-clock second; facts/CPU-s: per CPU second of the variant's process (all its "
          "threads), steadier when the machine is shared")
    print("results: awards for the engine rows (matches with a non-zero amount); rule matches for the others")
    print("RSS start: resident memory once facts and matcher are set up, before timing; "
          "peak: ru_maxrss of the variant's own process")
    if contention is not None:
        busy = "; the machine was busy, so trust facts/CPU-s" if contention > 0.1 else ""
        print(f"CPU contention during the run (Linux PSI 'some'): {contention:.0%} of the time{busy}")
    by = {row["variant"]: row for row in rows}
    rate = {k: r["facts"] / r["seconds"] for k, r in by.items()}
    cpu_rate = {k: r["facts"] / r["cpu"] for k, r in by.items()}
    if all(v in by for v in HISTORY_VARIANTS):
        history_report(by)
    for lean, stock, target in (("engine", "engine_stock", 2.0), ("engine_explain", "engine_stock_explain", 1.5)):
        if lean in by and stock in by:
            gain = cpu_rate[lean] / cpu_rate[stock]
            print(f"lean path / stock host{' with explanations' if 'explain' in lean else ''} = "
                  f"{cpu_rate[lean]:,.0f} / {cpu_rate[stock]:,.0f} facts per CPU-second = {gain:.2f}× "
                  f"({'meets' if gain >= target else 'BELOW'} the {target}× target of issue 15)")
    if "durable" not in by:
        return
    print()
    if "engine" in by:
        ratio, wall_ratio = cpu_rate["engine"] / cpu_rate["durable"], rate["engine"] / rate["durable"]
        verdict = "meets" if ratio >= 0.5 else "BELOW"
        print(f"full engine / raw durable-rules = {cpu_rate['engine']:,.0f} / {cpu_rate['durable']:,.0f} facts "
              f"per CPU-second = {ratio:.0%} ({verdict} the 50% target; by wall clock {wall_ratio:.0%})")
    if "engine_explain" in by:
        print(f"with explanations / raw durable-rules = {cpu_rate['engine_explain'] / cpu_rate['durable']:.0%}")
    if "python" in by:
        print(f"plain Python is {cpu_rate['python'] / cpu_rate['durable']:,.0f}x raw durable-rules")
    if "zen" in by:
        idle = 1 - by["zen"]["cpu"] / by["zen"]["seconds"]
        print(f"zen-engine per fact is {cpu_rate['zen'] / cpu_rate['durable']:.2f}x raw durable-rules per "
              f"CPU-second, {rate['zen'] / rate['durable']:.2f}x by wall clock (its calls spent {idle:.0%} of "
              f"their wall time off-CPU)")


def history_report(by: dict) -> None:
    """The history-aware rules against the same rules without them, on the same stream."""
    print()
    header = f"{'yihe_2021':<34} {'facts/CPU-s':>11} {'awards':>9} {'reads':>6} " \
             f"{'repeats':>8} {'sequences':>9} {'count caps':>10} {'windows':>8}"
    print(header)
    print("-" * len(header))
    for variant, label in (("engine_per_fact", "without history-aware rules"),
                           ("engine_history", "with history-aware rules")):
        row = by[variant]
        met = row["met"]
        print(f"{label:<34} {row['facts'] / row['cpu']:>11,.0f} {row['results']:>9,} {row['share']:>6.0%} "
              f"{met['repeats']:>8,} {met['sequences']:>9,} {met['count caps']:>10,} {met['windows']:>8,}")
    print("-" * len(header))
    print("reads: share of the stream's facts whose type a repeat, sequence, count cap or rolling window reads; "
          "repeats: awards with occurrence > 1; sequences: awards after an earlier fact; count caps: awards cut "
          "by 'times'; windows: awards cut by a rolling window")
    per_fact, history = (by[v]["facts"] / by[v]["cpu"] for v in HISTORY_VARIANTS)
    wall = (by["engine_history"]["facts"] / by["engine_history"]["seconds"]) / \
        (by["engine_per_fact"]["facts"] / by["engine_per_fact"]["seconds"])
    verdict = "meets" if history / per_fact >= 0.5 else "BELOW"
    print(f"history-aware / per-fact = {history:,.0f} / {per_fact:,.0f} facts per CPU-second = "
          f"{history / per_fact:.0%} ({verdict} the 50% target; by wall clock {wall:.0%})")


def soak(args) -> None:
    """One process, ``args.soak`` facts in chunks, each evaluated with a fresh History.

    With ``--history``: yihe with history-aware rules, and one History for the whole stream,
    the worst case for memory. The stream then runs in time order over as many years as it
    takes at 40 facts a resident a year (the benchmark's density), so what History must keep
    (a year, the longest span read) is reached after the first year and should stay flat.
    """
    from xinzhi.engine import History, evaluate

    compiled = variant_ruleset(str(args.ruleset), "history") if args.history else _load(str(args.ruleset))
    every = args.every
    per_year = 40 * args.residents
    if args.history:
        print(f"soak: {args.soak:,} facts in chunks of {args.chunk:,} over {args.residents:,} residents, yihe with "
              f"history-aware rules, one History for all, in time order from 2021 at {per_year:,} facts a year, "
              f"RSS every {every:,} facts (after gc.collect())", flush=True)
    else:
        print(f"soak: {args.soak:,} facts in chunks of {args.chunk:,} over {args.residents:,} residents, "
              f"fresh History per chunk, RSS every {every:,} facts (after gc.collect())", flush=True)
    header = f"{'facts':>10} {'wall s':>7} {'facts/CPU-s':>11} {'awards':>10} {'RSS MB':>8} {'peak RSS MB':>11}"
    if args.history:
        header += f" {'up to':>10} {'History holds (limit counters, window entries, occurrences, kept facts)':>72}"
    print(header)
    print("-" * len(header))
    stream = fact_stream(compiled.ruleset, args.soak, args.residents, args.seed)
    history = History()
    done = awards = 0
    evaluating = 0.0
    checkpoints: list[tuple[int, float]] = []
    start = time.perf_counter()
    next_report = every
    while done < args.soak:
        size = min(args.chunk, args.soak - done)
        if args.history:  # the chunk's own slice of time, so chunks follow each other
            begins = YEAR_START + dt.timedelta(seconds=done * YEAR_SECONDS // per_year)
            chunk = list(fact_stream(compiled.ruleset, size, args.residents, args.seed + done, first_id=done,
                                     start=begins, seconds=max(1, size * YEAR_SECONDS // per_year)))
        else:
            chunk = [next(stream) for _ in range(size)]
        began = time.process_time()
        awards += len(evaluate(compiled, chunk, history=history if args.history else History()).awards)
        evaluating += time.process_time() - began  # CPU time of evaluate() alone, not of generating facts
        done += len(chunk)
        reached = max(f["occurred_at"] for f in chunk)[:10]  # one offset (+08:00): text sorts as time
        del chunk
        if done >= next_report or done == args.soak:
            gc.collect()
            elapsed = time.perf_counter() - start
            rss = rss_mb()
            checkpoints.append((done, rss))
            line = f"{done:>10,} {elapsed:>7.1f} {done / evaluating:>11,.0f} {awards:>10,} {rss:>8.1f} " \
                   f"{peak_rss_mb():>11.1f}"
            if args.history:
                line += f" {reached:>10} {', '.join(f'{n:,}' for n in history.held().values()):>72}"
            print(line, flush=True)
            next_report += every
    print("-" * len(header))
    (first_n, first), (last_n, last_rss) = checkpoints[0], checkpoints[-1]
    growth = last_rss - first
    print(f"RSS growth from the first checkpoint ({first_n:,} facts) to the last ({last_n:,}): "
          f"{growth:+.1f} MB ({growth / first:+.1%})")
    if len(checkpoints) >= 4:
        mid_n, mid = checkpoints[(len(checkpoints) - 1) // 2]
        print(f"RSS growth over the second half ({mid_n:,} to {last_n:,} facts): {last_rss - mid:+.1f} MB "
              f"({(last_rss - mid) / max(1, last_n - mid_n) * 100_000:+.2f} MB per 100,000 facts)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--facts", type=int, default=200_000, help="synthetic facts (default 200,000)")
    parser.add_argument("--residents", type=int, default=5_000, help="distinct residents (default 5,000)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--ruleset", type=Path, default=DEFAULT_RULESET,
                        help="ruleset file (the plain-Python row exists only for yihe_2021)")
    parser.add_argument("--zen-facts", type=int, default=0,
                        help="measure the zen rows on the first N facts only (default 0: all)")
    parser.add_argument("--zen-batch", action="store_true",
                        help="also time ZenEngine.evaluate_batch (multi-threaded; slower here than per-fact calls)")
    shown = ", ".join(VARIANTS)
    parser.add_argument("--only", type=lambda text: set(text.split(",")), metavar="V1,V2",
                        help=f"run only these variants ({shown})")
    parser.add_argument("--history", action="store_true",
                        help="also time yihe with and without history-aware rules (repeats, sequences, count caps, "
                             "rolling windows); with --soak: soak those rules with one History for the whole stream")
    parser.add_argument("--soak", type=int, metavar="M",
                        help="instead: evaluate M facts in one process and report RSS as it goes")
    parser.add_argument("--chunk", type=int, default=10_000, help="facts per evaluate() call (engine rows, soak)")
    parser.add_argument("--every", type=int, default=100_000, help="soak: facts between RSS checkpoints")
    args = parser.parse_args(argv)
    args.ruleset = args.ruleset.resolve()
    if args.soak:
        soak(args)
    else:
        benchmark(args)


if __name__ == "__main__":
    main()
