"""What an operator needs is logged: publishes, imports, expiry runs (retries and worker deaths log as they happen)."""

from __future__ import annotations

import datetime as dt
import logging

from tests.ledger.test_service import CSV_OK
from tests.support.fixtures import new_community
from tests.support.standard import civic
from xinzhi.ledger import expire_points
from xinzhi.registry import publish_ruleset, upload_ruleset
from xinzhi.scoring import import_facts_csv


def test_publish_import_and_expiry_are_logged(service, caplog):
    community = new_community(service)
    with caplog.at_level(logging.INFO, logger="xinzhi"):
        summary = upload_ruleset(service, community, civic(2, effective_from="2030-01-01"))
        publish_ruleset(service, community, summary.id, summary.version)
        import_facts_csv(service, community, CSV_OK, name="office.csv")
        expire_points(service, community, dt.date(2023, 6, 1))
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("xinzhi.")]
    assert any(line.startswith(f"published civic@2 of {community}") for line in lines), lines
    assert any(line.startswith(f"imported office.csv into {community}: 3 rows, 3 scored") for line in lines), lines
    assert any(line.startswith(f"expiry of {community} as of 2023-06-01") for line in lines), lines
