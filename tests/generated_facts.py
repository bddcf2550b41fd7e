"""Facts drawn from a ruleset's own fact types (hypothesis): bounds, enums, optional fields left out.

Shared by the differential tests of every matcher against durable-rules, so that every
comparison a rule makes is exercised on both sides of its boundary.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

TEXT = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x9FFF, exclude_categories=("Cs",)),
               max_size=6)


def field_value(spec):
    lo, hi = spec.min, spec.max
    if spec.type == "int":
        return st.integers(min_value=int(lo) if lo is not None else -50, max_value=int(hi) if hi is not None else 50)
    if spec.type == "number":
        return st.one_of(
            st.floats(min_value=lo if lo is not None else -50.0, max_value=hi if hi is not None else 50.0,
                      allow_nan=False, allow_infinity=False),
            st.integers(min_value=int(lo) if lo is not None else -50,
                        max_value=int(hi) if hi is not None else 50).map(float))
    if spec.type == "bool":
        return st.booleans()
    if spec.type == "enum":
        return st.sampled_from(list(spec.values))
    if spec.type == "date":
        return st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2023, 12, 31)).map(dt.date.isoformat)
    if spec.max_length is not None:
        return TEXT.filter(lambda s: len(s) <= spec.max_length)
    return TEXT


@st.composite
def facts_for(draw, compiled):
    types = compiled.ruleset.fact_types
    out = []
    for n in range(draw(st.integers(min_value=1, max_value=25))):
        fact_type = draw(st.sampled_from(types))
        fields = {}
        for name, spec in fact_type.fields.items():
            if spec.required or draw(st.booleans()):
                fields[name] = draw(field_value(spec))
        moment = draw(st.datetimes(min_value=dt.datetime(2021, 1, 1), max_value=dt.datetime(2022, 12, 31)))
        resident = draw(st.sampled_from(["a", "b", "c"]))
        named = {"household": f"h-{resident}"} if fact_type.names == "household" else \
            {"resident": resident, "household": f"h-{resident}"}  # a household's own fact names no member
        out.append({"id": f"p{n}", "type": fact_type.id, **named, "occurred_at": moment.isoformat(), "fields": fields})
    return out
