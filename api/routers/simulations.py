"""What-if simulations (``xinzhi.simulations.jobs``): start one, follow it, read its report.

``POST`` names a baseline and a candidate as ruleset refs (``id@version``) of the
community's registry, drafts included, and a source of facts; the answer is 202 with the
job and its ``Location``.
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import HTMLResponse

from xinzhi.simulations.jobs import SimulationCreate, SimulationRead, Status, start_simulation

from ..access import CallerDep
from ..bodies import StrictJsonRoute
from ..deps import CommunityId, SimulationsDep

router = APIRouter(prefix="/communities/{community}", tags=["simulations"], route_class=StrictJsonRoute)


LOCATION = {"Location": {"description": "the job, to follow until it is done", "required": True,
                         "schema": {"type": "string"}}}


@router.post("/simulations", status_code=202, responses={202: {"description": "the job, queued", "headers": LOCATION}})
def start(response: Response, jobs: SimulationsDep, community: CommunityId, body: SimulationCreate,
          caller: CallerDep) -> SimulationRead:
    """Start a simulation: baseline vs candidate over a scenario or recorded facts; 202 with the job."""
    view = start_simulation(jobs, community, body, actor=caller.actor)
    response.headers["Location"] = view.links["self"]
    return view


@router.get("/simulations")
def list_simulations(jobs: SimulationsDep, community: CommunityId,
                     status: Status | None = None) -> list[SimulationRead]:
    """The community's simulations, newest first (whichever process runs them)."""
    return jobs.listing(community, status)


@router.get("/simulations/{job}")
def get_simulation(jobs: SimulationsDep, community: CommunityId, job: str) -> SimulationRead:
    """Status and progress (parts of the run done)."""
    return jobs.get(community, job)


@router.post("/simulations/{job}/cancel", status_code=202)
def cancel_simulation(jobs: SimulationsDep, community: CommunityId, job: str) -> SimulationRead:
    """Stop a simulation: a queued one at once, a running one within seconds (409 when it has ended)."""
    return jobs.cancel(community, job)


@router.get("/simulations/{job}/report.json", response_class=Response,
            responses={200: {"content": {"application/json": {}}, "description": "the report (report.schema.json)"}})
def report_json(jobs: SimulationsDep, community: CommunityId, job: str) -> Response:
    """The comparison report as JSON (schema: simulations/report.schema.json)."""
    return Response(jobs.report(community, job, "json").encode("utf-8"), media_type="application/json")


@router.get("/simulations/{job}/report.html", response_class=HTMLResponse)
def report_html(jobs: SimulationsDep, community: CommunityId, job: str) -> HTMLResponse:
    """The report as one self-contained HTML page (inline SVG charts, no scripts, no network)."""
    return HTMLResponse(jobs.report(community, job, "html"))
