"""Calendar periods column-wise: what limits, repeats and thresholds count within.

The engine keys a period by text ('2021-05', '2021-W17', ``accounting.period_keys``) of the
fact's local day; a frame needs only a key that is equal exactly when those are, so an integer
per period name does (the day's number since 1970, 202117 for a week, 202105, 20212, 2021).
"""

from __future__ import annotations

import polars as pl

from xinzhi.engine.evaluator import NAMED


def period_key(period: pl.Expr) -> pl.Expr:
    """The calendar ``period`` holding the fact's local day, as an integer per period name (``period_keys``)."""
    day = pl.col("day")
    return (pl.when(period == "day").then(day.cast(pl.Int64))
            .when(period == "week").then(day.dt.iso_year().cast(pl.Int64) * 100 + day.dt.week())
            .when(period == "month").then(day.dt.year().cast(pl.Int64) * 100 + day.dt.month())
            .when(period == "quarter").then(day.dt.year().cast(pl.Int64) * 10 + day.dt.quarter())
            .otherwise(day.dt.year().cast(pl.Int64)))


def latest_ids(key: list, *, own: bool) -> pl.Expr:
    """The ids of the latest ``NAMED`` facts of the row's group before it (and its own, if ``own``), oldest first.

    What an award names of a resident's period (``earlier``, ``reached``): the latest only, as the engine does.
    """
    backs = range(NAMED - 1, -1, -1) if own else range(NAMED, 0, -1)
    return pl.concat_list([pl.col("id").shift(back).over(key) for back in backs]).list.drop_nulls()
