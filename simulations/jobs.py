"""Simulations as background jobs, for the HTTP layer to wrap (framework-free).

``JobRunner.submit(request)`` returns a job id at once; the run happens on a background
thread (one at a time by default), which starts the run's own worker processes, so no
durable-rules engine ever lives in the service process. ``get`` reports status and
progress; ``json_path`` / ``html_path`` serve the results when the job is done. A failed
job records the engine's ``Problem`` items, as a refused request lists them (``failure``).

An API endpoint only has to map: POST → ``submit``, GET status → ``get``, GET report →
the file at ``json_path`` / ``html_path``.
"""

from __future__ import annotations

import threading
import traceback
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from xinzhi.engine import DirectorySource, Problem, XinzhiError

from xinzhi.errors import ServiceCode

from .population import DEFAULT_SCENARIO, Scenario, load_scenario
from .replay import REPO_RULESETS, ReplayRuleset


class RulesetInput(BaseModel):
    """A ruleset given as a file path, or as YAML text (a draft)."""

    model_config = ConfigDict(extra="forbid")
    path: str | None = None
    text: str | None = None

    @model_validator(mode="after")
    def _one(self) -> RulesetInput:
        if (self.path is None) == (self.text is None):
            raise ValueError("give exactly one of path or text")
        return self


class SimulationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    baseline: RulesetInput
    candidate: RulesetInput
    scenario: str | dict[str, Any] | None = Field(
        default=None, description="scenario file path or the scenario itself; default scenario when facts are absent")
    facts: list[dict[str, Any]] | None = None
    seed: int | None = None
    residents: int | None = Field(default=None, gt=0)
    months: int | None = Field(default=None, gt=0, le=120)
    workers: int = Field(default=1, ge=1, le=64)
    matcher: Literal["durable-rules", "python"] = "durable-rules"
    rulesets_dirs: list[str] = Field(default_factory=list, description="where parents (extends) are looked up")


class SimulationJob(BaseModel):
    id: str
    status: Literal["queued", "running", "done", "failed"] = "queued"
    progress: dict[str, list[int]] = Field(default_factory=dict, description="side -> [chunks done, chunks]")
    error: str | None = None
    problems: list[Problem] = Field(default_factory=list)


class JobRunner:
    def __init__(self, root: str | Path, *, concurrent: int = 1):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._jobs: dict[str, SimulationJob] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=concurrent, thread_name_prefix="simulation")

    def submit(self, request: SimulationRequest) -> str:
        job = SimulationJob(id=uuid.uuid4().hex)
        with self._lock:
            self._jobs[job.id] = job
        self._pool.submit(self._run, job.id, request)
        return job.id

    def get(self, job_id: str) -> SimulationJob | None:
        with self._lock:
            job = self._jobs.get(job_id)
            return job.model_copy(deep=True) if job else None

    def json_path(self, job_id: str) -> Path:
        return self.root / job_id / "report.json"

    def html_path(self, job_id: str) -> Path:
        return self.root / job_id / "report.html"

    def shutdown(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait)

    def _update(self, job_id: str, **changes: Any) -> None:
        with self._lock:
            job = self._jobs[job_id]
            for key, value in changes.items():
                setattr(job, key, value)

    def _run(self, job_id: str, request: SimulationRequest) -> None:
        from .run import simulate, write_outputs

        directory = self.root / job_id
        directory.mkdir(parents=True, exist_ok=True)
        self._update(job_id, status="running")

        def progress(side: str, done: int, total: int) -> None:
            with self._lock:
                self._jobs[job_id].progress[side] = [done, total]

        try:
            baseline = _ruleset(request.baseline, "baseline.yaml", request.rulesets_dirs)
            candidate = _ruleset(request.candidate, "candidate.yaml", request.rulesets_dirs)
            scenario, facts = _source(request, directory)
            outcome = simulate(baseline, candidate, scenario=scenario, facts=facts, seed=request.seed,
                               workers=request.workers, search=tuple(request.rulesets_dirs), progress=progress,
                               matcher=request.matcher)
            write_outputs(outcome, directory)
            self._update(job_id, status="done")
        except Exception as exc:  # a background job reports, it does not raise
            self._update(job_id, status="failed", **failure(exc))


def failure(exc: Exception) -> dict[str, Any]:
    """How a failed job records why: a short ``error`` and problem items, the same as a request's.

    The engine's problems are kept as they are (code, file, line, path); any other failure
    becomes one ``simulation_failed`` item naming the exception."""
    if isinstance(exc, XinzhiError):
        return {"error": "the rulesets or facts have problems", "problems": exc.problems}
    message = "".join(traceback.format_exception_only(exc)).strip()
    return {"error": f"{type(exc).__name__}: {exc}",
            "problems": [Problem(code=ServiceCode.SIMULATION_FAILED, message=message)]}


def _ruleset(given: RulesetInput, name: str, search: list[str]) -> Path | ReplayRuleset:
    """A path as given; a text in memory, its parents in ``search`` then the repository's rulesets."""
    if given.path is not None:
        return Path(given.path)
    return ReplayRuleset(name=name, text=given.text or "", parents=DirectorySource(*search, REPO_RULESETS))


def _source(request: SimulationRequest, directory: Path) -> tuple[Scenario | None, Path | None]:
    if request.facts is not None:
        import json
        path = directory / "facts.jsonl"
        path.write_text("".join(json.dumps(f, ensure_ascii=False) + "\n" for f in request.facts), encoding="utf-8")
        return None, path
    if isinstance(request.scenario, dict):
        scenario = Scenario.model_validate(request.scenario)
    else:
        scenario = load_scenario(request.scenario or DEFAULT_SCENARIO)
    data = scenario.model_dump(by_alias=True, exclude_none=True)
    if request.residents:
        data["residents"] = request.residents
    if request.months:
        data["period"]["months"] = request.months
    return Scenario.model_validate(data), None
