"""A fact's date as offices write it: every accepted spelling gives one moment; the others are refused with why."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import RULESETS
from xinzhi.engine import FactError, compile_ruleset_file
from xinzhi.engine.errors import Refusal
from xinzhi.engine.moments import _written, read_day, read_moment

ACCEPTED = [
    ("2026-11-20T09:30:00", dt.datetime(2026, 11, 20, 9, 30)),
    ("2026-11-20 09:30", dt.datetime(2026, 11, 20, 9, 30)),
    ("2026/11/20 9:30", dt.datetime(2026, 11, 20, 9, 30)),
    (" 2026/11/20 09:05:07 ", dt.datetime(2026, 11, 20, 9, 5, 7)),
    ("2026.11.20", dt.datetime(2026, 11, 20)),
    ("2026/1/5", dt.datetime(2026, 1, 5)),
    ("2026年11月20日", dt.datetime(2026, 11, 20)),
    ("2026年11月20日 9:30", dt.datetime(2026, 11, 20, 9, 30)),
    ("2026年11月20日9时30分", dt.datetime(2026, 11, 20, 9, 30)),
    ("2026年1月5号 14点", dt.datetime(2026, 1, 5, 14)),
    ("20261120", dt.datetime(2026, 11, 20)),
    ("202611200930", dt.datetime(2026, 11, 20, 9, 30)),
    ("20261120093015", dt.datetime(2026, 11, 20, 9, 30, 15)),
    ("20/11/2026", dt.datetime(2026, 11, 20)),        # only the 20th can be a day
    ("11/20/2026 9:30", dt.datetime(2026, 11, 20, 9, 30)),
    ("06/06/2026", dt.datetime(2026, 6, 6)),          # either order gives the same day
    (dt.date(2026, 11, 20), dt.datetime(2026, 11, 20)),  # an .xlsx date cell
]

REFUSED = [
    (20261120, "not as a number"),                   # a JSON number is no Unix time
    (1.7e9, "not as a number"),
    (True, "not as a number"),
    ("1700000000", "is not a date"),                 # nor is a string of ten digits
    ("2026112", "is not a date"),
    ("05/06/2026", "cannot be told apart"),          # May 6th or June 5th
    ("26/11/20", "four digits"),
    ("26-11-20", "four digits"),
    ("2026/02/30", "not a real date"),
    ("2026/11/20 24:00", "not a real date"),
    ("20261340", "not a real date"),
]


@pytest.mark.parametrize(("written", "moment"), ACCEPTED, ids=[str(a) for a, _ in ACCEPTED])
def test_each_spelling_an_office_uses_is_one_moment(written, moment):
    assert read_moment(written) == moment


@pytest.mark.parametrize(("written", "why"), REFUSED, ids=[str(a) for a, _ in REFUSED])
def test_a_spelling_that_could_mislead_is_refused_with_the_reason(written, why):
    with pytest.raises(ValueError, match=why):
        read_moment(written)


def test_iso_with_an_offset_is_left_to_iso_8601():
    assert read_moment("2026-11-20T09:30:00+08:00") == "2026-11-20T09:30:00+08:00"


def test_a_day_takes_the_same_spellings_but_no_time_of_day():
    assert [read_day(v) for v in ("2026/11/20", "20261120", "2026年11月20日")] == [dt.date(2026, 11, 20)] * 3
    with pytest.raises(ValueError, match="without a time of day"):
        read_day("2026/11/20 9:30")


def test_a_fact_reads_the_spellings_and_names_the_field_of_a_refused_one():
    compiled = compile_ruleset_file(RULESETS / "yihe_2021.yaml")
    fact = {"id": "v1", "type": "volunteering", "resident": "A1", "fields": {"hours": 2}}
    valid = compiled.validator.validate({**fact, "occurred_at": "2021/5/1 9:00"})
    assert valid.occurred_at.isoformat() == "2021-05-01T09:00:00+08:00"  # no offset written: Shanghai time
    with pytest.raises(FactError) as refused:
        compiled.validator.validate({**fact, "occurred_at": 20210501})
    assert refused.value.problems[0].path == "occurred_at" and "number" in refused.value.problems[0].message


@given(st.integers(1000, 9999), st.integers(0, 19), st.integers(0, 39), st.integers(0, 29), st.integers(0, 69),
       st.none() | st.integers(0, 69))
def test_iso_without_an_offset_reads_as_the_year_first_spellings_read_it(year, month, day, hour, minute, second):
    """Its own quick path (every synthetic fact takes it) gives the same moment, or the same refusal."""
    text = f"{year}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}" + ("" if second is None else f":{second:02d}")

    def outcome(read):
        try:
            return read()
        except Refusal as refusal:
            return str(refusal)

    assert outcome(lambda: read_moment(text)) == outcome(lambda: _written(text, text))
