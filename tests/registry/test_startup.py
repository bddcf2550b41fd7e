"""Start-up loads the repository's rulesets once per process: the server parses each file once
and compiles it at first use; the draft worker that tests it before publishing does the same."""

from __future__ import annotations

from xinzhi.engine import StageCache, pipeline
from xinzhi.registry import compiled_for, drafts, published_rows
from xinzhi.service import open_service
from xinzhi.settings import REPO_RULESETS, Settings


def test_each_repository_ruleset_is_parsed_and_compiled_once(tmp_path, monkeypatch):
    cache = StageCache()
    monkeypatch.setattr(pipeline, "CACHE", cache)  # this process's cache, counted from empty
    files = sorted(REPO_RULESETS.glob("*.yaml"))
    service = open_service(Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", dry_run_workers=1))
    try:
        assert {stage: stats.runs for stage, stats in cache.stats.items()} == {
            "parse": len(files), "resolve": len(files), "check": len(files)}  # nothing compiled yet
        # publishing ran each version's tests in the (one) draft worker: one parse and one compile each there
        assert service.drafts.run(drafts.stage_runs) == {stage: len(files) for stage in pipeline.STAGE_NAMES}
        with service.db.reading() as session:
            rows = [row for community in {f.stem.split("_")[0] for f in files}
                    for row in published_rows(session, community)]
            compiled = [compiled_for(service, session, row) for row in rows]
        service.compiled.clear()  # as if another scoring path asked afresh: the loader's cache answers
        with service.db.reading() as session:
            again = [compiled_for(service, session, row) for row in rows]
        assert all(a is b for a, b in zip(again, compiled, strict=True))
        assert cache.stats["compile"].runs == len(files) and cache.stats["parse"].runs == len(files)
    finally:
        service.close()
