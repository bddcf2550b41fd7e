"""Configuration of the service: one pydantic-settings class, validated at start-up."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

import xinzhi.rulesets

REPO_RULESETS = Path(xinzhi.rulesets.__file__).resolve().parent  # package data of the wheel, or ./rulesets
# The most facts one JSON request may carry, whatever max_batch_facts says. The request schemas
# declare it, so a longer list is refused by its length before any item is validated (a million
# bad items once kept the event loop busy for 12 s building their errors).
BATCH_CEILING = 10_000


class Settings(BaseSettings):
    """Every setting, read from ``XINZHI_*`` environment variables (a bad value fails at once)."""

    model_config = SettingsConfigDict(env_prefix="XINZHI_", extra="ignore")

    database_url: str = Field(default="sqlite:///./xinzhi.db",
                              description="SQLAlchemy URL; SQLite file (default) or postgresql+psycopg://…")
    rulesets_dir: Path | None = Field(default=REPO_RULESETS,
                                      description="YAML rulesets loaded (and published) at first start")
    max_request_bytes: int = Field(default=4 * 1024 * 1024, ge=1024, description="largest request body")
    max_batch_facts: int = Field(default=1000, ge=1, le=BATCH_CEILING, description="most facts in one batch POST")
    max_import_rows: int = Field(default=50_000, ge=1, description="most rows in one CSV import")
    page_size_max: int = Field(default=500, ge=1)
    dry_run_workers: int = Field(default=1, ge=1, le=32,
                                 description="processes that evaluate draft rulesets (never the server's own)")
    dry_run_tasks_per_worker: int = Field(default=200, ge=1,
                                          description="a dry-run worker is replaced after this many tasks")
    draft_task_seconds: float = Field(default=30.0, gt=0, le=3600,
                                      description="a draft's dry-run or tests running longer are stopped")
    drafts_per_caller: int = Field(default=2, ge=1, le=100,
                                   description="draft tasks one caller may have running or waiting at once")
    sqlite_busy_timeout_ms: int = Field(default=30_000, ge=0)
    future_tolerance_minutes: int = Field(default=10, ge=0, le=24 * 60,
                                          description="how far ahead of now a fact may be dated (clocks disagree "
                                                      "a little); later facts are refused")
    simulation_workers: int = Field(default=1, ge=1, le=64,
                                    description="worker processes of one what-if job (a job runs at a time)")
    simulation_scheduler: str | None = Field(
        default=None, max_length=200,
        description="run what-if jobs on Dask distributed: 'local' (a cluster of simulation_workers processes per "
                    "job) or a running scheduler's address, tcp://host:8786 (default: worker processes, no Dask)")
    simulation_max_residents: int = Field(
        default=20_000, ge=1, le=10_000_000,
        description="most residents a what-if job may draw (a city: raise it, with workers or a Dask cluster to match)")
    simulation_max_resident_months: int = Field(
        default=120_000, ge=1, le=10_000_000 * 36,
        description="most residents × months of a what-if job (120,000: about a minute on 2 cores)")
    simulation_max_waiting: int = Field(
        default=3, ge=1, le=1_000,
        description="most what-if jobs of one community queued or running at once (more answer 429); communities "
                    "take turns in the queue")
    auth: bool = Field(default=True, description="require role tokens (XINZHI_AUTH=off only for local trials)")
    python_on_one_cpu: bool = Field(
        default=True, description="a one-process server runs its request threads on one CPU (only one runs Python at "
                                  "a time; spread, they lost a quarter of their CPU to moving between CPUs)")

    @field_validator("database_url")
    @classmethod
    def _known_backend(cls, url: str) -> str:
        if not url.startswith(("sqlite", "postgresql")):
            raise ValueError("XINZHI_DATABASE_URL must be a sqlite:// or postgresql+psycopg:// URL")
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        return url
