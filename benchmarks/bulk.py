"""The bulk (Polars) evaluator against ``evaluate``, on the synthetic population, per repository standard.

    .venv/bin/python benchmarks/bulk.py                       # 5,000 residents × 12 months, yihe and dongshan
    .venv/bin/python benchmarks/bulk.py --residents 20000     # larger

Both standards are timed whole, threshold rules (``reaches``: yihe one, dongshan three, two of
them rows of one exclusive group) included; a standard the bulk path refused rules of would be
timed with those rules switched off (``without_refused``) on both sides, and marked so. The same
awards are checked before anything is printed.
The bulk path's time is split into its phases, to show where the rest of the way to
1M residents × 12 months in 10 minutes lies: validating facts one by one (the engine's
validator), laying the validated facts out as columns (a simulation's worker hands the bulk
path facts already validated, so this is its own first phase), scoring column-wise, and
building one ``Award`` per award.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_here = str(Path(__file__).resolve().parent)  # as a script, this folder would shadow the project's packages
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _here]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from xinzhi.engine import compile_ruleset, evaluate, load_ruleset_file  # noqa: E402
from xinzhi.engine.evaluator import validate_facts  # noqa: E402
from xinzhi.simulations.bulk import bulk_supports, candidates, without_refused  # noqa: E402
from xinzhi.simulations.bulk_frame import columns  # noqa: E402
from xinzhi.simulations.bulk_limits import limited  # noqa: E402
from xinzhi.simulations.bulk_output import awards  # noqa: E402
from xinzhi.simulations.population import (  # noqa: E402
    DEFAULT_SCENARIO,
    Scenario,
    generate_facts,
    generate_population,
    load_scenario,
)

RULESETS = ("yihe_2021", "dongshan_2022")


def scenario(residents: int, months: int) -> Scenario:
    data = load_scenario(DEFAULT_SCENARIO).model_dump(by_alias=True, exclude_none=True)
    data["residents"] = residents
    data["period"]["months"] = months
    return Scenario.model_validate(data)


def timed(work):
    start = time.perf_counter()
    result = work()
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=5000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    stream = list(generate_facts(generate_population(scenario(args.residents, args.months), args.seed)))
    print(f"{args.residents:,} residents × {args.months} months, seed {args.seed}; times are wall-clock seconds")
    print(f"{'ruleset':<24}{'facts':>10}{'awards':>10}{'evaluate f/s':>14}{'bulk f/s':>12}{'ratio':>8}"
          f"{'validate':>10}{'lay out':>9}{'score':>8}{'Awards':>8}")
    for name in RULESETS:
        compiled = compile_ruleset(load_ruleset_file(ROOT / "rulesets" / f"{name}.yaml"))
        refused = bulk_supports(compiled)
        if refused:
            compiled = without_refused(compiled)
            name += f" (less {len(refused)})"
        known = {t.id for t in compiled.ruleset.fact_types}
        facts = [f for f in stream if f["type"] in known]
        expected, engine = timed(lambda: evaluate(compiled, facts).awards)  # noqa: B023 (called at once)
        valid, validate = timed(lambda: validate_facts(compiled, facts))  # noqa: B023
        laid, layout = timed(lambda: columns(compiled, valid))  # noqa: B023
        rules = list(compiled.rules.values())
        (scored, refs), score = timed(lambda: limited(candidates(compiled, laid, rules), rules, laid.ordered))  # noqa: B023
        got, build = timed(lambda: awards(compiled, scored, rules, refs, laid.ordered))  # noqa: B023
        if got != expected:
            sys.exit(f"{name}: the bulk path disagrees with evaluate; nothing timed is worth printing")
        bulk = validate + layout + score + build
        print(f"{name:<24}{len(facts):>10,}{len(got):>10,}{len(facts) / engine:>14,.0f}{len(facts) / bulk:>12,.0f}"
              f"{engine / bulk:>7.1f}×{validate:>10.2f}{layout:>9.2f}{score:>8.2f}{build:>8.2f}")


if __name__ == "__main__":
    main()
