"""Dependencies as ``Annotated`` aliases, shared by every router."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Depends, Path, Query, Request

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
CommunityId = Annotated[str, Path(max_length=64, description="community id, e.g. yihe")]
ResidentId = Annotated[str, Path(max_length=128)]
AsOf = Annotated[dt.date | None, Query(description="standing at the end of this day (Asia/Shanghai); default today")]
Offset = Annotated[int, Query(ge=0)]
Limit = Annotated[int, Query(ge=1, le=500)]
