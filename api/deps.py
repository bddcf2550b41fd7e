"""Dependencies as ``Annotated`` aliases, shared by every router."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request
from pydantic import BeforeValidator

from xinzhi.communities import COMMUNITY_ID
from xinzhi.engine.errors import Refusal
from xinzhi.engine.moments import FIRST_DAY, ISO_DAY, LAST_DAY
from xinzhi.service import Service
from xinzhi.simulations.jobs import SimulationJobs


def get_service(request: Request) -> Service:
    """The service the app opened at start-up (``create_app``'s lifespan), shared by every request."""
    return request.app.state.service


def get_simulations(request: Request) -> SimulationJobs:
    """This process's simulation jobs, created with the app's service at start-up."""
    return request.app.state.simulations


ServiceDep = Annotated[Service, Depends(get_service)]
SimulationsDep = Annotated[SimulationJobs, Depends(get_simulations)]
CommunityId = Annotated[str, Path(max_length=64, pattern=COMMUNITY_ID, description="community id, e.g. yihe")]
ResidentId = Annotated[str, Path(max_length=128)]
# Every number and date a client sends is bounded where it is declared (the schema says so too): a
# database integer holds it, and a day lies in the years a community keeps records for.
MAX_SEQ = 2**62


def _written_as_a_day(value: Any) -> Any:
    """A day in a query is written 2024-02-29, and nothing else is read as one.

    Found by attack: ``as_of=1709164800`` was read as a Unix time, and ``2024-01-01T00:00:00-10:00``
    as its date with the offset dropped.
    """
    if isinstance(value, str) and not ISO_DAY.fullmatch(value):
        raise Refusal(f"write the day as YYYY-MM-DD (2024-02-29), not {value[:40]!r}", "input.day_written")
    return value


#: A day of a query: ISO 8601's calendar date and nothing else, in the years records are kept for.
Day = Annotated[dt.date, BeforeValidator(_written_as_a_day)]
AsOf = Annotated[Day | None, Query(ge=FIRST_DAY, le=LAST_DAY,
                                   description="standing at the end of this day (Asia/Shanghai); default today")]
Offset = Annotated[int, Query(ge=0, le=MAX_SEQ)]
Version = Annotated[int, Path(ge=1, le=2**31 - 1, description="ruleset version, e.g. 1")]
Seq = Annotated[int, Path(ge=1, le=MAX_SEQ)]
Limit = Annotated[int, Query(ge=1, le=500)]
