"""Points as exact decimals: 1019 plus ten awards of 0.1 (捐款每 100 元计 0.1 分) is exactly 1020.

Every amount — stated in a ruleset, computed for an award, summed into a balance, kept in
the ledger, shown by the API and in a CSV — is a ``Decimal`` with at most ``MAX_DECIMALS``
places (a ruleset states how many it uses, ``accounts.decimals``). A binary float never
holds one: a YAML or JSON number is read from the digits it was written with, and written
back with exactly those digits.
"""

from __future__ import annotations

import math
from decimal import ROUND_DOWN, Decimal
from functools import lru_cache
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, PlainSerializer, WithJsonSchema
from pydantic_core import PydanticCustomError

#: The most decimal places an amount may have: the ledger keeps hundredths of a point.
MAX_DECIMALS = 2
#: The largest amount one award may be: far beyond any standard's, far inside the ledger's columns.
LARGEST = 1_000_000


def exact(value: int | float | str | Decimal) -> Decimal:
    """The decimal a number was written as: a float by its shortest repr (YAML's 0.1 is 0.1, not 0.1000…055)."""
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def places(value: Decimal) -> int:
    """How many decimal places ``value`` needs (1.50 needs 1)."""
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def round_down(value: Decimal, decimals: int) -> Decimal:
    """``value`` cut toward zero to ``decimals`` places: a per-unit award never over-awards."""
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_DOWN)


@lru_cache(maxsize=4096, typed=True)  # every award's summary writes its amount: a batch's are a few values
def text(value: Decimal | int) -> str:
    """The amount as people write it: 1020, 0.1, -2.5 (no exponent, no trailing zeros); equal amounts alike."""
    if isinstance(value, int):
        return str(value)
    written = format(value.normalize(), "f")
    return "0" if written in ("-0", "0") else written


def signed(value: Decimal | int) -> str:
    """The amount with its sign, as an explanation shows a movement: +5, -0.5, +0."""
    shown = text(value)
    return shown if shown.startswith("-") else "+" + shown


@lru_cache(maxsize=4096, typed=True)  # a batch's results and explanations write a few amounts thousands of times
def to_json(value: Decimal | int) -> int | float:
    """A JSON number with the amount's exact digits: an int when whole, else the float whose repr they are.

    An amount has at most ``MAX_DECIMALS`` places and fewer than 15 digits, so the float's
    shortest repr — what ``json`` writes — is exactly the decimal's text.
    """
    return int(value) if value == int(value) else float(value)


def json_ready(value: Any) -> Any:
    """``value`` with every amount in it as its JSON number: what an explanation stores and shows alike."""
    if isinstance(value, Decimal):
        return to_json(value)
    if isinstance(value, dict):
        return {key: json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(item) for item in value]
    return value


def _number(value: object) -> object:
    """A ruleset's or a request's number as its exact decimal; text and booleans are not numbers here."""
    if isinstance(value, bool | str) or isinstance(value, float) and not math.isfinite(value):
        raise PydanticCustomError("decimal_type", "an amount is a finite number, e.g. 5 or 0.1 (not text, "
                                                  "not true/false)")
    return exact(value) if isinstance(value, int | float) else value


def schema(**bounds: int) -> WithJsonSchema:
    """An amount's JSON Schema: a number in hundredths, within ``bounds`` (``minimum=…``) if any."""
    return WithJsonSchema({"type": "number", "multipleOf": 0.01, **bounds})


#: How a model reads and writes an amount: exactly, and to JSON as a number with its exact digits.
EXACT = (BeforeValidator(_number), Field(allow_inf_nan=False, decimal_places=MAX_DECIMALS),
         PlainSerializer(to_json, when_used="json"))
#: An amount in a model.
Amount = Annotated[Decimal, *EXACT, schema()]
#: An amount a ruleset states: bounded as one award.
Points = Annotated[Decimal, *EXACT, Field(ge=-LARGEST, le=LARGEST), schema(minimum=-LARGEST, maximum=LARGEST)]
#: A cap in points (a limit's ``max``): above 0, and as large as a standard likes.
Cap = Annotated[Decimal, *EXACT, Field(gt=0), schema(exclusiveMinimum=0)]
