"""One notion of now: points cannot exist before the deed, and no job runs ahead of today.

Found by attack: a fact dated 2099 was accepted and its points spent today; an expiry job
as of 9999-12-31 wrote 935 future-dated entries, after which the score page and the shop
disagreed on every balance.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from tests.support.fixtures import new_community
from tests.support.standard import civic
from xinzhi.clock import today
from xinzhi.engine import SHANGHAI
from xinzhi.errors import ServiceCode, ServiceError
from xinzhi.ledger import expire_points, resident_ledger
from xinzhi.registry import publish_ruleset, upload_ruleset
from xinzhi.scoring import post_fact, post_facts


def activity(moment: dt.datetime) -> dict:
    return {"id": f"f{uuid.uuid4().hex[:10]}", "type": "activity", "resident": "r1",
            "occurred_at": moment.isoformat(), "fields": {"name": "x"}}


@pytest.fixture
def open_ended(service) -> str:
    """A community whose standard has been in force since 2021, with no end."""
    community = new_community(service, ruleset=None)
    summary = upload_ruleset(service, community, civic())
    publish_ruleset(service, community, summary.id, summary.version)
    return community


@pytest.mark.parametrize("ahead", [dt.timedelta(hours=1), dt.timedelta(days=365 * 70)], ids=["an-hour", "in-2099"])
def test_a_fact_dated_after_now_is_refused_and_nothing_is_stored(service, open_ended, ahead):
    late = activity(dt.datetime.now(SHANGHAI) + ahead)
    with pytest.raises(ServiceError) as refused:
        post_facts(service, open_ended, [activity(dt.datetime.now(SHANGHAI) - dt.timedelta(days=1)), late])
    problem = refused.value.problems[0]
    assert (problem.code, problem.path, problem.fact_id) == (ServiceCode.FACT_IN_FUTURE, "facts[1].occurred_at",
                                                             late["id"])
    assert resident_ledger(service, open_ended, "r1").total == 0


def test_a_fact_a_few_minutes_ahead_is_accepted_as_clocks_disagree(service, open_ended):
    result = post_fact(service, open_ended, activity(dt.datetime.now(SHANGHAI) + dt.timedelta(minutes=2)))
    assert [e.amount for e in result.entries] == [2]


@pytest.mark.parametrize("as_of", [dt.timedelta(days=1), dt.date(9999, 12, 31)], ids=["tomorrow", "year-9999"])
def test_expiry_cannot_run_ahead_of_today(service, open_ended, as_of):
    day = today() + as_of if isinstance(as_of, dt.timedelta) else as_of
    with pytest.raises(ServiceError) as refused:
        expire_points(service, open_ended, day)
    assert refused.value.code == ServiceCode.AS_OF_IN_FUTURE and refused.value.problems[0].path == "as_of"
    assert expire_points(service, open_ended, today()).entries_written == 0
