"""Dry-runs: score facts, or run a text's embedded tests, under any version, storing nothing.

A published version is evaluated in the server (it is compiled once and kept anyway);
a draft goes to the draft worker pool so the server never registers it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from xinzhi.communities.service import require_community
from xinzhi.engine import FactError, Problem, evaluate
from xinzhi.errors import ServiceCode, ServiceError
from xinzhi.messages import Message, problem_text
from xinzhi.registry import drafts as _worker
from xinzhi.registry.models import DryRunResult
from xinzhi.registry.service import _loaded, compiled_for, ruleset_invalid, stored_version
from xinzhi.registry.source import registry_loader
from xinzhi.service import Service


def _check_size(service: Service, facts: list) -> None:
    if len(facts) > service.settings.max_batch_facts:
        raise ServiceError(ServiceCode.BATCH_TOO_LARGE,
                           Message.of("dry_run_too_large", most=service.settings.max_batch_facts, n=len(facts)))


def _facts_rejected(problems: list[Problem]) -> ServiceError:
    """As a posted batch is refused: each problem at ``facts[i]`` (see ``evaluate``'s ``label``)."""
    # in Chinese, one problem is said as itself, several are counted
    why = problem_text(problems[0], "zh") if len(problems) == 1 else Message.of("problems_listed", n=len(problems))
    return ServiceError(ServiceCode.FACTS_REJECTED, Message.of("dry_run_rejected", why=why), problems)


def _from_worker(outcome: dict[str, Any], draft: bool) -> DryRunResult:
    if outcome.get("error") == "ruleset":
        raise ruleset_invalid(_worker.problems(outcome))
    if outcome.get("error") == "facts":
        raise _facts_rejected(_worker.problems(outcome))
    return DryRunResult(draft=draft, **outcome)


def _day(day: dt.date | None) -> str | None:
    """A day as the worker's JSON carries it."""
    return day.isoformat() if day else None


def dry_run(service: Service, community: str, ruleset_id: str, version: int, facts: list[dict[str, Any]], *,
            explain: bool = True, closes_until: dt.date | None = None, actor: str = "system") -> DryRunResult:
    """Score facts from empty accounts under a stored version (nothing is written)."""
    _check_size(service, facts)
    with service.db.reading() as session:
        row = stored_version(session, community, ruleset_id, version)
        if row.status == "published":
            compiled = compiled_for(service, session, row)
        else:
            parents = _loaded(session, community, row.yaml_text, row.source_name).parents
            text, name = row.yaml_text, row.source_name
    if row.status != "published":
        return _from_worker(service.drafts.run(_worker.evaluate_draft, text, name, parents, facts, explain,
                                               _day(closes_until), caller=actor), True)
    try:
        evaluation = evaluate(compiled, facts, explain=explain, label="facts", closes_until=closes_until)
    except FactError as exc:
        raise _facts_rejected(exc.problems) from None
    return DryRunResult(draft=False, **_worker.outcome_of(compiled, evaluation))


def dry_run_draft(service: Service, community: str, text: str, facts: list[dict[str, Any]], *,
                  explain: bool = True, closes_until: dt.date | None = None, name: str = "draft.yaml",
                  actor: str = "system") -> DryRunResult:
    """Score facts under a ruleset text that is not stored at all (evaluated in a worker)."""
    _check_size(service, facts)
    with service.db.reading() as session:
        require_community(session, community)
        # Only the parents are looked for here: the worker reports any problem of the text.
        parents = registry_loader(session, community).run(text, name, until="resolve").parents
    return _from_worker(service.drafts.run(_worker.evaluate_draft, text, name, parents, facts, explain,
                                           _day(closes_until), caller=actor), True)


def run_draft_tests(service: Service, community: str, text: str, *, name: str = "draft.yaml",
                    actor: str = "system") -> dict[str, Any]:
    """Run a ruleset text's embedded tests in a draft worker, storing nothing.

    A text that does not load is refused with ``ruleset_invalid``.
    """
    with service.db.reading() as session:
        require_community(session, community)
        parents = registry_loader(session, community).run(text, name, until="resolve").parents
    outcome = service.drafts.run(_worker.test_draft, text, name, parents, caller=actor)
    if "error" in outcome:
        raise ruleset_invalid(_worker.problems(outcome))
    return outcome
