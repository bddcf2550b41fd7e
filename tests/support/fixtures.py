"""The service suites run once per backend: SQLite (a file) and PostgreSQL.

PostgreSQL comes from ``XINZHI_TEST_POSTGRES_URL`` (``.ci/run`` sets it). If it is not
set the PostgreSQL half fails loudly — it is never skipped. Each test run gets a fresh
schema (dropped at the end), so runs never collide; each test gets its own community,
so tests never see each other's data.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from tests.support.backends import postgres_schema, sqlite_url
from tests.support.standard import CIVIC_V1
from xinzhi.communities import CommunityCreate, ResidentCreate, create_community, register_residents
from xinzhi.db.tables import LedgerEntry
from xinzhi.ledger import GRANTED
from xinzhi.registry import publish_ruleset, upload_ruleset
from xinzhi.service import Service, open_service
from xinzhi.settings import Settings

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory) -> Iterator[str]:
    if request.param == "sqlite":
        yield sqlite_url(tmp_path_factory.mktemp("sqlite"))
    else:
        with postgres_schema() as url:
            yield url


def settings_for(url: str) -> Settings:
    return Settings(database_url=url, rulesets_dir=None, dry_run_tasks_per_worker=200)


@pytest.fixture(scope="session")
def service(database_url) -> Iterator[Service]:
    opened = open_service(settings_for(database_url))
    yield opened
    opened.close()


@pytest.fixture
def backend(service) -> str:
    return service.db.backend


def new_community(service: Service, *, residents: int = 5, ruleset: str | None = CIVIC_V1,
                  community: str | None = None) -> str:
    """A fresh community with the civic standard published and residents r1… in both zones."""
    community = community or f"c{uuid.uuid4().hex[:12]}"
    create_community(service, CommunityCreate(id=community, name=f"测试社区 {community}"))
    register_residents(service, community, [
        ResidentCreate(id=f"r{i}", name=f"居民{i}号", zone="north" if i % 2 else "south", household=f"h{(i + 1) // 2}")
        for i in range(1, residents + 1)])
    if ruleset:
        summary = upload_ruleset(service, community, ruleset)
        publish_ruleset(service, community, summary.id, summary.version)
    return community


@pytest.fixture
def community(service) -> str:
    return new_community(service)


def granted(service: Service, community: str) -> list[tuple[str, str, int, int]]:
    """(fact, rule, amount, raw amount) of every award as its entries sum to now (restatements included)."""
    sums: dict[tuple[str, str], list[int]] = {}
    with service.db.reading() as session:
        for entry in session.scalars(select(LedgerEntry).where(LedgerEntry.community == community,
                                                               LedgerEntry.kind.in_(GRANTED))):
            held = sums.setdefault((entry.fact_id, entry.rule_id), [0, 0])
            held[0] += entry.amount
            held[1] += entry.raw_amount
    return sorted((fact, rule, amount, raw) for (fact, rule), (amount, raw) in sums.items() if amount or raw)
