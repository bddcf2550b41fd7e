"""1,000 dry-runs of fresh drafts leave the server's memory flat (drafts run in recycled workers)."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.fixtures import new_community
from tests.support.standard import civic
from xinzhi.engine._matcher import MATCHER
from xinzhi.registry import dry_run_draft
from xinzhi.service import open_service
from xinzhi.settings import Settings

FACTS = [{"id": f"m{i}", "type": "activity", "resident": "r1", "occurred_at": f"2022-03-{i + 1:02d}T10:00:00+08:00",
          "fields": {"name": "a"}} for i in range(3)]


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.slow
def test_a_thousand_fresh_drafts_keep_server_memory_flat(tmp_path):
    service = open_service(Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", rulesets_dir=None,
                                dry_run_tasks_per_worker=250, dry_run_workers=2))
    try:
        community = new_community(service, ruleset=None)
        registered = MATCHER.registered

        def run(i: int) -> None:
            # every draft differs in an award, so each compiles to a new durable-rules ruleset
            result = dry_run_draft(service, community, civic(1000 + i, effective_from="2022-01-01",
                                                           activity_points=i % 9 + 1), FACTS, explain=False)
            assert result.awards[0]["amount"] == i % 9 + 1

        with ThreadPoolExecutor(2) as pool:  # two requests at a time, as a server would
            list(pool.map(run, range(100)))
            before = rss_bytes()
            list(pool.map(run, range(100, 1000)))
        growth = rss_bytes() - before
        assert growth < 8 * 1024 * 1024, f"server RSS grew {growth / 1e6:.1f} MB over 900 fresh drafts"
        assert MATCHER.registered == registered  # not one draft reached the server's engine
        assert service.drafts.started >= 4  # workers were replaced every 250 tasks
    finally:
        service.close()
