"""Summaries add up to what the whole population's lists would give, in any order and any split.

``Spread`` keeps amounts as value → count; its statistics are checked here against the
plain definitions over the sorted list of every value (the report's before issue 15).
"""

from __future__ import annotations

import math
import random
import statistics
from collections import Counter
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from tests.simulations.conftest import small_scenario
from xinzhi.simulations.population import Census, case_facts, generate_population
from xinzhi.simulations.shards import shard_of
from xinzhi.simulations.summary import Spread, r4

AMOUNTS = st.lists(st.decimals(min_value=-300, max_value=300, places=1, allow_nan=False), max_size=60)


def listed_quantile(values: list[Decimal], q: float) -> float:
    if not values:
        return 0.0
    pos = (len(values) - 1) * q
    lo = int(pos)
    low, high = float(values[lo]), float(values[min(lo + 1, len(values) - 1)])
    return r4(low + (high - low) * (pos - lo))


def listed_gini(values: list[Decimal]) -> float:
    xs = sorted(max(float(v), 0.0) for v in values)
    n, total = len(xs), sum(xs)
    if n == 0 or total == 0:
        return 0.0
    return r4(2 * sum((i + 1) * x for i, x in enumerate(xs)) / (n * total) - (n + 1) / n)


def listed_histogram(values: list[Decimal]) -> list[tuple[int, int, int]]:
    if not values:
        return []
    floors = [math.floor(v) for v in values]
    lo, hi = min(floors), max(floors)
    if lo == hi:
        return [(lo, lo + 1, len(floors))]
    width = max(1, -(-(hi - lo + 1) // 20))
    start = lo - (lo % width)
    counts = Counter((v - start) // width for v in floors)
    return [(start + k * width, start + (k + 1) * width, counts.get(k, 0)) for k in range((hi - start) // width + 1)]


@given(AMOUNTS, st.integers(1, 5), st.randoms(use_true_random=False))
def test_a_spread_split_anyhow_reads_as_the_sorted_list_of_all_its_values(values, parts, rng):
    shuffled = list(values)
    rng.shuffle(shuffled)
    pieces = [Spread() for _ in range(parts)]
    for value in shuffled:
        pieces[rng.randrange(parts)].add(value)
    spread = Spread()
    for piece in pieces:
        spread.merge(piece)
    ordered = sorted(values)
    assert len(spread) == len(values) and spread.total == sum(values, Decimal(0))
    for q in (0.05, 0.25, 0.5, 0.75, 0.95):
        assert spread.quantile(q) == listed_quantile(ordered, q)
    assert spread.median() == (r4(float(statistics.median(ordered))) if values else 0.0)
    # the exact mean and a float one can round apart at the fourth place (0.04375 found by hypothesis)
    assert abs(spread.mean() - (r4(statistics.fmean(ordered)) if values else 0.0)) <= 0.0001 + 1e-12  # two roundings
    assert abs(spread.gini() - listed_gini(ordered)) <= 0.0001  # the same up to the float sums' last bits
    assert spread.histogram() == listed_histogram(ordered)
    assert spread.signs() == (sum(v > 0 for v in values), sum(v < 0 for v in values), sum(v == 0 for v in values))
    assert spread.bounds() == ((ordered[0], ordered[-1]) if values else (0, 0))


def test_a_household_has_one_shard_on_every_machine():
    """blake2b of the id, not Python's salted ``hash``: a cluster's workers agree on who is whose."""
    assert [shard_of(h, 7) for h in ("N0001", "S0420", "G1-0007")] == [
        int.from_bytes(__import__("hashlib").blake2b(h.encode(), digest_size=8).digest(), "big") % 7
        for h in ("N0001", "S0420", "G1-0007")]
    homes = [f"N{n:04d}" for n in range(1, 2001)]
    sizes = Counter(shard_of(h, 4) for h in homes)
    assert set(sizes) == {0, 1, 2, 3} and min(sizes.values()) > 400  # about a quarter each


def test_each_shard_draws_the_same_cases_and_keeps_only_its_own():
    population = generate_population(small_scenario(residents=900, months=6), 13)
    census = Census.of(population.scenario, population.seed)
    everyone = case_facts(census)
    assert sum(map(len, everyone.values())) > 20
    homes = {r.id: r.household for r in population.residents}
    parts = [case_facts(census, lambda household, k=k: shard_of(household, 3) == k) for k in range(3)]
    assert {rid for part in parts for rid in part} == set(everyone)
    for k, part in enumerate(parts):
        assert all(shard_of(homes[rid], 3) == k for rid in part)
        assert all(part[rid] == everyone[rid] for rid in part)


def test_a_city_census_keeps_a_few_bytes_a_resident_and_ids_sort_as_places():
    scenario = small_scenario(residents=30_000, months=1)
    census = Census.of(scenario, 3)
    roll = census.rolls["south"]
    assert roll.size == 16_500 and roll.starts.itemsize * len(roll.starts) < 8 * roll.size
    places = sorted(random.Random(1).sample(range(roll.size), 50))
    ids = [roll.resident(p)[0] for p in places]
    assert ids == sorted(ids)  # a place in the zone is a place in the population sorted by id
