"""``trusted`` makes what ``model_construct`` makes, for every model made that way."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from xinzhi.engine.evaluator import Balance
from xinzhi.engine.facts import FactIn
from xinzhi.engine.trusted import trusted
from xinzhi.scoring import EntryBrief, FactBrief, FactResult

ENTRY = {"seq": 7, "rule_id": "volunteer_hours", "amount": Decimal(6), "raw_amount": Decimal(8),
         "limited_by": "volunteer_hours: 10 per month", "index_delta": Decimal(6), "points_delta": Decimal(0)}
CASES = [
    (FactIn, {"id": "f-1", "type": "volunteering", "household": None, "resident": "N001",
              "occurred_at": dt.datetime(2024, 5, 1, 9, tzinfo=dt.UTC), "fields": {"hours": 2.5}}),
    (EntryBrief, ENTRY),
    (FactBrief, {"fact_id": "f-1", "resident": "N001", "ruleset": "yihe_2021@1", "duplicate": False,
                 "entries": [EntryBrief.model_construct(**ENTRY)], "under_review": []}),
    (FactResult, {"fact_id": "f-1", "resident": "N001", "ruleset": "yihe_2021@1", "duplicate": True, "entries": [],
                  "under_review": []}),  # ``restated`` left to its default
    (Balance, {"resident": "N001", "index": Decimal(100), "points": Decimal(3), "tier": "good", "tier_title": "良好",
               "flags": [], "capped_by": None}),
]


@pytest.mark.parametrize(("model", "values"), CASES, ids=[model.__name__ for model, _ in CASES])
def test_trusted_makes_what_model_construct_makes(model, values):
    made, constructed = trusted(model, **values), model.model_construct(**values)
    assert type(made) is model
    assert made == constructed
    assert made.model_fields_set == constructed.model_fields_set
    assert made.model_dump_json() == constructed.model_dump_json()
    assert made.__pydantic_extra__ == constructed.__pydantic_extra__
    assert made.__pydantic_private__ == constructed.__pydantic_private__


def test_private_attributes_are_each_instances_own():
    first, second = (trusted(FactIn, **CASES[0][1]) for _ in range(2))
    first._origin = ("source", ("facts", 0))
    assert second._origin is None
