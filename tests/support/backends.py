"""Databases for tests: a SQLite file, or a fresh schema in the PostgreSQL of ``XINZHI_TEST_POSTGRES_URL``."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import create_engine, text

ENV = "XINZHI_TEST_POSTGRES_URL"


def sqlite_url(directory: Path) -> str:
    return f"sqlite:///{directory / 'xinzhi.db'}"


def postgres_base_url() -> str:
    import pytest  # here, not above: benchmarks take a schema from this module without pytest installed
    url = os.environ.get(ENV)
    if not url:
        pytest.fail(f"{ENV} is not set: the store suite must also run against PostgreSQL "
                    "(e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test; .ci/run sets it)", pytrace=False)
    return url


@contextlib.contextmanager
def postgres_schema(base: str | None = None, prefix: str = "xinzhi_test") -> Iterator[str]:
    """A URL whose connections use a brand-new schema of ``base`` (default: the tests'); dropped afterwards."""
    base = base or postgres_base_url()
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
