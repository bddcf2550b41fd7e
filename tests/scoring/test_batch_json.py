"""A batch's JSON written without models (``post_facts_json``) is byte for byte what ``FactBatchResult`` writes.

Two stores take the same requests in the same order, so they number entries and notices
alike: one answers through ``post_facts`` and pydantic's JSON, the other through
``post_facts_json``.
"""

from __future__ import annotations

import re
import uuid

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter
from pydantic_core import PydanticSerializationError

from tests.scoring.test_restating import STANDARD, fact
from tests.support.fixtures import new_community, settings_for
from xinzhi.scoring import FactBatchResult, post_facts, post_facts_json
from xinzhi.service import open_service

#: The late-facts standard with amounts in tenths and a limit that cuts them.
TENTHS = STANDARD.replace("accounts: {starting_index: 100}", "accounts: {starting_index: 100, decimals: 1}") + """\
  - {id: volunteer_hours, title: 志愿服务时长, category: good, fact: volunteer, award: {points: 0.5, per: hours},
     limits: [{period: month, max: 7.5}]}
"""
WRITTEN = TypeAdapter(FactBatchResult)
WRITTEN_AT = re.compile(rb'"created_at":"[^"]*"')


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    directory = tmp_path_factory.mktemp("batch-json")
    opened = [open_service(settings_for(f"sqlite:///{directory}/{name}.db")) for name in ("models", "json")]
    yield opened
    for service in opened:
        service.close()


def same_community(stores) -> str:
    community = f"c{uuid.uuid4().hex[:12]}"
    for service in stores:
        assert new_community(service, ruleset=TENTHS, community=community) == community
    return community


def answers(stores, community: str, facts: list[dict], **options) -> tuple[bytes, bytes]:
    through_models, through_json = stores
    return tuple(WRITTEN_AT.sub(b'"created_at":"-"', written) for written in (  # when each store wrote an entry
        WRITTEN.dump_json(post_facts(through_models, community, facts, **options)),
        post_facts_json(through_json, community, facts, **options)))


BATCHES = [
    pytest.param([[fact("v1", "volunteer", "03-02", hours=4), fact("v2", "volunteer", "03-09", hours=12),
                   fact("v4", "volunteer", "03-02", resident="r3", hours=1),
                   fact("r1", "rescue", "03-03", resident="r2"), fact("a1", "arrears", "03-04"),
                   fact("a2", "arrears", "03-05")]], {}, (b'"notice":', b'"amount":5.5', b'"amount":0.5'),
                 id="new: tenths, a cut, a hold, a count cap"),
    pytest.param([[fact("a2", "arrears", "03-20"), fact("n1", "noise", "03-21")],
                  [fact("a1", "arrears", "03-02"), fact("m1", "mediation", "03-01")]], {}, (b'"restated":[{',),
                 id="restated by late facts"),
    pytest.param([[fact("v2", "volunteer", "03-09", hours=12)], [fact("v0", "volunteer", "03-01", hours=4)]], {},
                 (b'"amount_before":6,"amount_after":5.5',), id="a late fact restates an award of tenths"),
    pytest.param([[fact("v1", "volunteer", "03-02", hours=4)],
                  [fact("v1", "volunteer", "03-02", hours=4), fact("v3", "volunteer", "03-03", hours=2),
                   fact("v3", "volunteer", "03-03", hours=2)]], {}, (b'"duplicates":2',),
                 id="seen before and twice in a batch"),
    pytest.param([[fact("v1", "volunteer", "03-02", hours=4), fact("r1", "rescue", "03-03")]], {"explain": True},
                 (b'"explanation":',), id="explained"),
]


@pytest.mark.parametrize(("batches", "options", "said"), BATCHES)
def test_a_batch_is_written_as_its_model_writes_it(stores, batches, options, said):
    community = same_community(stores)
    for facts in batches:
        through_models, through_json = answers(stores, community, facts, **options)
        assert through_json == through_models
    assert all(fragment in through_json for fragment in said)


FACTS = st.lists(st.tuples(st.sampled_from(["volunteer", "arrears", "noise", "mediation", "rescue"]),
                           st.integers(1, 28), st.sampled_from(["r1", "r2", "r3"]), st.integers(1, 24)),
                  min_size=1, max_size=12)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(FACTS, min_size=1, max_size=3))
def test_random_batches_in_any_order_are_written_as_their_models_write_them(stores, batches):
    community = same_community(stores)
    for facts in batches:
        raws = [fact(f"f{uuid.uuid4().hex}", kind, f"04-{day:02d}", resident=resident,
                     **({"hours": hours} if kind == "volunteer" else {})) for kind, day, resident, hours in facts]
        through_models, through_json = answers(stores, community, raws)
        assert through_json == through_models


@given(text=st.text())
def test_any_text_of_a_result_is_written_as_pydantic_writes_it(text):
    """Ids, rule ids and limits reach the JSON as text: orjson and pydantic escape it alike, or both refuse it."""
    try:
        expected = TypeAdapter(str).dump_json(text)
    except PydanticSerializationError:  # a lone surrogate: no UTF-8 for it (nor could it have been stored)
        with pytest.raises(orjson.JSONEncodeError):
            orjson.dumps(text)
        return
    assert orjson.dumps(text) == expected
