"""Draft rulesets are evaluated in short-lived worker processes, never in the server.

durable-rules can never drop a registered ruleset, so every draft compiled in a process
stays in its memory for good. The server therefore hands drafts (dry-runs and the tests
run before publishing) to a pool whose workers are replaced after a fixed number of
tasks: the server's memory stays flat however many drafts a committee tries.
"""

from __future__ import annotations

import datetime as dt
import importlib
import itertools
import json
import logging
import os
import subprocess
import sys
import threading
from collections import Counter
from typing import TYPE_CHECKING, Any

from xinzhi import tuning

log = logging.getLogger("xinzhi.registry")

if TYPE_CHECKING:
    from xinzhi.engine import CompiledRuleset, Evaluation, Problem

Parents = dict[str, tuple[str, str]]


def _load(text: str, name: str, parents: Parents):
    """Compile through the engine's loader, the parents being the texts the server sent."""
    from xinzhi.engine import Loader, MemorySource
    return Loader(MemorySource(parents)).compile(text, name)


def _failed(kind: str, problems: list[Problem]) -> dict[str, Any]:
    """A task's refusal as data: the engine's problems, dumped as the HTTP edge shows them."""
    # what each problem says travels too, so the server can say it in the reader's language
    return {"error": kind, "problems": [{**p.model_dump(mode="json"), "says": p.says, "params": p.params}
                                        for p in problems]}


def problems(outcome: dict[str, Any]) -> list[Problem]:
    """The problems of a refused task, as the engine's ``Problem`` again (server side)."""
    from xinzhi.engine import Problem
    return [Problem.model_validate(p) for p in outcome.get("problems", ())]


def evaluate_draft(text: str, name: str, parents: Parents, facts: list[dict], explain: bool,
                   closes_until: str | None = None) -> dict[str, Any]:
    """Score facts under a draft from empty accounts (closing periods up to ``closes_until``); problems as data.

    Fact problems are placed at ``facts[i]`` of the request, as a posted batch's are.
    """
    from xinzhi.engine import FactError, RulesetError, evaluate
    try:
        compiled = _load(text, name, parents)
    except RulesetError as exc:
        return _failed("ruleset", exc.problems)
    try:
        evaluation = evaluate(compiled, facts, explain=explain, label="facts",
                              closes_until=dt.date.fromisoformat(closes_until) if closes_until else None)
    except FactError as exc:
        return _failed("facts", exc.problems)
    return outcome_of(compiled, evaluation)


def outcome_of(compiled: CompiledRuleset, evaluation: Evaluation) -> dict[str, Any]:
    """A dry-run's result as JSON-ready data, from a draft's worker or a published version alike."""
    return {
        "ruleset": compiled.ref,
        "awards": [a.as_json() for a in evaluation.awards],
        "misses": [m.as_json() for m in evaluation.misses],
        "resets": [r.as_json() for r in evaluation.resets],
        "balances": [b.model_dump(mode="json") for b in evaluation.balances(compiled.ruleset).values()],
        "ignored": evaluation.ignored,
    }


def test_draft(text: str, name: str, parents: Parents) -> dict[str, Any]:
    """Run a ruleset's embedded tests (the publish gate)."""
    from xinzhi.engine import RulesetError, run_tests
    try:
        compiled = _load(text, name, parents)
    except RulesetError as exc:
        return _failed("ruleset", exc.problems)
    return {"ruleset": compiled.ref, "tests": [o.model_dump(mode="json") for o in run_tests(compiled)]}


def worker_pid() -> int:
    """Which process served the task, so a caller can see workers being replaced."""
    return os.getpid()


def stage_runs() -> dict[str, int]:
    """How often each loader stage really ran in this worker (every other answer came from its cache)."""
    from xinzhi.engine import CACHE
    return {stage: stats.runs for stage, stats in CACHE.stats.items()}


TASKS = {f.__name__: f for f in (evaluate_draft, test_draft, worker_pid, stage_runs)}


def serve(stdin=None, stdout=None) -> None:
    """The worker's loop: one JSON request per line in, one JSON reply per line out."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    sys.stdout = sys.stderr  # nothing but replies may reach the pipe
    importlib.import_module("xinzhi.engine")  # import before the first task
    for line in stdin:
        request = json.loads(line)
        reply: dict[str, Any]
        try:
            reply = {"ok": TASKS[request["fn"]](*request["args"])}
        except Exception as exc:  # reported to the server, which raises it there
            reply = {"error": f"{type(exc).__name__}: {exc}"}
        stdout.write(json.dumps(reply, ensure_ascii=False, default=str) + "\n")
        stdout.flush()


class DraftWorkerError(RuntimeError):
    """A draft worker failed or died while handling a task."""


class _Child:
    def __init__(self) -> None:
        with tuning.every_cpu():  # a process of its own: not on the server's one CPU for Python
            self.process = subprocess.Popen([sys.executable, "-c", "from xinzhi.registry.drafts import serve; serve()"],
                                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                            encoding="utf-8", bufsize=1)
        assert self.process.stdin is not None and self.process.stdout is not None  # both are pipes (PIPE above)
        self.stdin, self.stdout = self.process.stdin, self.process.stdout
        self.tasks = 0

    def call(self, name: str, args: tuple) -> Any:
        self.stdin.write(json.dumps({"fn": name, "args": list(args)}, ensure_ascii=False) + "\n")
        self.stdin.flush()
        line = self.stdout.readline()
        self.tasks += 1
        if not line:
            raise DraftWorkerError(f"draft worker exited with status {self.process.wait()}")
        reply = json.loads(line)
        if "error" in reply:
            raise DraftWorkerError(reply["error"])
        return reply["ok"]

    def close(self) -> None:
        if self.process.poll() is None:
            self.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.stdout.close()


class DraftPool:
    """Up to ``workers`` worker processes, each replaced after ``tasks_per_worker`` tasks.

    Workers are plain ``python -c …serve()`` subprocesses talking JSON lines over
    pipes, so they never re-import the server's main module and leave nothing behind.

    No one caller can starve the others: a caller has at most ``per_caller`` tasks running
    or waiting (more are refused at once, ``drafts_busy``), waiting tasks are served in
    arrival order except that the publish gate (``urgent``) goes first, and a task that
    runs longer than ``seconds`` has its worker killed (``draft_too_slow``).
    """

    def __init__(self, *, workers: int = 1, tasks_per_worker: int = 100, per_caller: int = 2,
                 seconds: float = 30.0):
        self.workers = workers
        self.tasks_per_worker = tasks_per_worker
        self.per_caller = per_caller
        self.seconds = seconds
        self._idle: list[_Child] = []
        self._turns = threading.Condition()
        self._waiting: list[tuple[int, int]] = []  # (0 for the publish gate else 1, arrival)
        self._arrivals = itertools.count()
        self._running = 0
        self._held: Counter[str] = Counter()
        self.started = 0

    def run(self, fn, *args, caller: str = "system", urgent: bool = False) -> Any:
        """Run ``fn(*args)`` (a task of this module) in a worker, in ``caller``'s turn, and return its result."""
        self._enter(caller, urgent)
        try:
            return self._call(fn, args)
        finally:
            with self._turns:
                self._running -= 1
                self._held[caller] -= 1
                self._turns.notify_all()

    def _enter(self, caller: str, urgent: bool) -> None:
        from xinzhi.errors import ServiceCode, ServiceError
        from xinzhi.messages import Message
        with self._turns:
            if self._held[caller] >= self.per_caller:
                raise ServiceError(ServiceCode.DRAFTS_BUSY, Message.of("drafts_busy", n=self._held[caller]))
            self._held[caller] += 1
            ticket = (0 if urgent else 1, next(self._arrivals))
            self._waiting.append(ticket)
            while self._running >= self.workers or min(self._waiting) != ticket:
                self._turns.wait()
            self._waiting.remove(ticket)
            self._running += 1

    def _call(self, fn, args: tuple) -> Any:
        with self._turns:
            child = self._idle.pop() if self._idle else None
        if child is None:
            child = _Child()
            self.started += 1
        timer = threading.Timer(self.seconds, child.process.kill)
        timer.start()
        try:
            result = child.call(fn.__name__, args)
        except BaseException as exc:
            log.warning("draft worker %s ended during %s: %s", child.process.pid, fn.__name__, exc)
            child.close()
            if not timer.is_alive():
                from xinzhi.errors import ServiceCode, ServiceError
                from xinzhi.messages import Message
                raise ServiceError(ServiceCode.DRAFT_TOO_SLOW,
                                   Message.of("draft_too_slow", seconds=self.seconds)) from None
            raise
        finally:
            timer.cancel()
        if child.tasks >= self.tasks_per_worker:
            child.close()
        else:
            with self._turns:
                self._idle.append(child)
        return result

    def load(self) -> tuple[int, int]:
        """How many tasks are running and how many wait for a worker."""
        with self._turns:
            return self._running, len(self._waiting)

    def close(self) -> None:
        """Stop the idle workers (the service calls this when it closes)."""
        with self._turns:
            idle, self._idle = self._idle, []
        for child in idle:
            child.close()
