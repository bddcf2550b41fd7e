"""The ruleset loader: its stages named once, in one table, each result cached per process.

Every caller — the registry, publishing, dry-runs, the draft worker, simulations and the
CLI — loads through ``Loader``; only where parents are found differs (``engine.sources``).
The stages, in order, are ``STAGES`` below: parse, resolve ``extends``, check, compile.

A stage's result is kept under a key made of the texts (and names, which problems carry)
it depends on: the text alone for parse, the text and its whole ``extends`` chain after
that. So a version is parsed and compiled once per process however many callers ask, and
a changed parent gives every child a new key. Each stage keeps only its most recently used
results (``StageCache``), so a server that validates many drafts does not grow. Results
are shared: treat a loaded ``Ruleset`` as read-only (``model_copy`` to change one).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from . import checks, extends
from .compiler import CompiledRuleset, compile_ruleset
from .errors import Problem, RulesetError
from .loader import parse_ruleset
from .ruleset import Ruleset
from .sources import DirectorySource, Found, MemorySource, RulesetSource

T = TypeVar("T")
Parsed = tuple[Ruleset | None, tuple[Problem, ...]]


@dataclass
class StageStats:
    """How often a stage really ran, how often its cache answered, and the time it took."""

    runs: int = 0
    hits: int = 0
    seconds: float = 0.0


class StageCache:
    """Each stage's results by key, the ``size`` most recently used per stage.

    A key is computed at most once at a time: a second thread asking for it waits for the
    first instead of repeating the work, so "once per process" holds under the API's
    thread pool too.
    """

    def __init__(self, size: int = 64):
        self.size = size
        self.stats: dict[str, StageStats] = {}
        self._entries: dict[str, OrderedDict[str, Any]] = {}
        self._computing: dict[tuple[str, str], threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, stage: str, key: str, compute: Callable[[], T]) -> T:
        """The result of ``stage`` for ``key``, computed (counted and timed) only if not kept."""
        with self._lock:
            hit, value = self._lookup(stage, key)
            if hit:
                return value
            computing = self._computing.setdefault((stage, key), threading.Lock())
        with computing:
            with self._lock:
                hit, value = self._lookup(stage, key)
            if hit:
                return value
            started = time.perf_counter()
            done = False
            try:
                value = compute()
                done = True
            finally:
                with self._lock:  # kept before the key is released, so no thread computes it again
                    stats = self.stats.setdefault(stage, StageStats())
                    stats.runs += 1
                    stats.seconds += time.perf_counter() - started
                    if done:
                        entries = self._entries.setdefault(stage, OrderedDict())
                        entries[key] = value
                        while len(entries) > self.size:
                            entries.popitem(last=False)
                    self._computing.pop((stage, key), None)
        return value

    def _lookup(self, stage: str, key: str) -> tuple[bool, Any]:
        entries = self._entries.get(stage)
        if entries is None or key not in entries:
            return False, None
        entries.move_to_end(key)
        self.stats.setdefault(stage, StageStats()).hits += 1
        return True, entries[key]

    def clear(self) -> None:
        """Forget every result and count (tests; a process never needs to)."""
        with self._lock:
            self._entries.clear()
            self.stats.clear()


#: The process's cache, shared by every ``Loader`` not given another.
CACHE = StageCache()


@dataclass
class Loaded:
    """One ruleset text after the stages that ran: their results, the parents used, every problem."""

    text: str
    name: str
    parsed: Ruleset | None = None            # parse: this text alone
    ruleset: Ruleset | None = None           # resolve: ``extends`` applied (then checked)
    compiled: CompiledRuleset | None = None  # compile
    parents: dict[str, Found] = field(default_factory=dict)  # ref → (text, name), nearest parent first
    problems: tuple[Problem, ...] = ()
    key: str = ""                            # digest of this text and its parents' texts
    stages: tuple[str, ...] = ()             # the stages that ran, in order

    def raise_problems(self) -> Loaded:
        """Raise ``RulesetError`` with every problem, if there is one."""
        if self.problems:
            raise RulesetError(list(self.problems))
        return self


def _digest(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


def parse_stage(text: str, name: str, cache: StageCache | None = None) -> Parsed:
    """The parse stage for one text (a ruleset or a parent), kept by its name and content."""

    def parse() -> Parsed:
        ruleset, problems = parse_ruleset(text, name)
        return ruleset, tuple(problems)

    return (cache if cache is not None else CACHE).get("parse", _digest(name, text), parse)


# ---------------------------------------------------------------- the stages
# Each reads what the stages before it left on the work, adds its own result and problems,
# and says whether the next stage has something to work on.

def _parse(loader: Loader, work: Loaded) -> bool:
    work.parsed, problems = parse_stage(work.text, work.name, loader.cache)
    work.problems += problems
    return work.parsed is not None and not problems


def _resolve(loader: Loader, work: Loaded) -> bool:
    assert work.parsed is not None
    parsed, chain = work.parsed, loader.parents(work)

    def merge() -> Parsed:
        ruleset, problems = extends.resolve(parsed, lambda ref: _as_loaded(chain.get(ref)))
        return ruleset, tuple(problems)

    work.ruleset, problems = loader.cache.get("resolve", work.key, merge)
    work.problems += problems
    return work.ruleset is not None  # merge problems are listed with the check's, all at once


def _check(loader: Loader, work: Loaded) -> bool:
    ruleset = work.ruleset
    assert ruleset is not None
    work.problems += loader.cache.get("check", work.key, lambda: tuple(checks.check_ruleset(ruleset)))
    return not work.problems


def _compile(loader: Loader, work: Loaded) -> bool:
    ruleset = work.ruleset
    assert ruleset is not None
    work.compiled = loader.cache.get("compile", work.key, lambda: compile_ruleset(ruleset))
    return True


def _as_loaded(parsed: Parsed | None) -> tuple[Ruleset | None, list[Problem]] | None:
    return None if parsed is None else (parsed[0], list(parsed[1]))


class Stage(NamedTuple):
    """One pass of the loader: its name (a cache and a count are kept under it) and its work."""

    name: str
    run: Callable[[Loader, Loaded], bool]


#: The loader's passes, in the order they run.
STAGES: tuple[Stage, ...] = (
    Stage("parse", _parse),      # YAML → validated model; every problem at its line and column
    Stage("resolve", _resolve),  # ``extends``: each parent found through the source, parsed, merged in
    Stage("check", _check),      # cross-references of the resolved ruleset (categories, fields, tests…)
    Stage("compile", _compile),  # the durable-rules definition and what scoring needs
)
STAGE_NAMES = tuple(stage.name for stage in STAGES)


class Loader:
    """Runs the stages for ruleset texts whose ``extends`` parents come from one source."""

    def __init__(self, source: RulesetSource | None = None, *, cache: StageCache | None = None):
        self.source: RulesetSource = source if source is not None else MemorySource()
        self.cache = cache if cache is not None else CACHE

    def run(self, text: str, name: str = "<ruleset>", *, until: str = "compile") -> Loaded:
        """The stages up to ``until`` (inclusive), stopping early where one leaves nothing to go on."""
        if until not in STAGE_NAMES:
            raise ValueError(f"unknown stage {until!r}; the stages are {', '.join(STAGE_NAMES)}")
        work = Loaded(text=text, name=name)
        for stage in STAGES[:STAGE_NAMES.index(until) + 1]:
            work.stages += (stage.name,)
            if not stage.run(self, work):
                break
        return work

    def load(self, text: str, name: str = "<ruleset>") -> Ruleset:
        """The resolved, checked ruleset, or ``RulesetError`` with every problem."""
        ruleset = self.run(text, name, until="check").raise_problems().ruleset
        assert ruleset is not None
        return ruleset

    def compile(self, text: str, name: str = "<ruleset>") -> CompiledRuleset:
        """The compiled ruleset (the same object each time in a process), or ``RulesetError``."""
        compiled = self.run(text, name).raise_problems().compiled
        assert compiled is not None
        return compiled

    def parents(self, work: Loaded) -> dict[str, Parsed]:
        """Walk the ``extends`` chain through the source, parsing each parent; sets ``work.key``.

        The walk stops where the chain cannot go on (a parent unknown, broken, or already
        in the chain); ``extends.resolve`` then reports why, at the place it was written.
        """
        assert work.parsed is not None
        chain: dict[str, Parsed] = {}
        keys = [_digest(work.name, work.text)]
        ruleset: Ruleset | None = work.parsed
        seen = {work.parsed.ref}
        while ruleset is not None and ruleset.extends and ruleset.extends not in seen:
            ref = ruleset.extends
            found = self.source.find(ref)
            if found is None:
                break
            text, name = found
            ruleset, problems = chain[ref] = parse_stage(text, name, self.cache)
            work.parents[ref] = (text, name)
            keys.append(_digest(name, text))
            seen.add(ref)
            if problems:
                break
        work.key = _digest(*keys)
        return chain


def load_ruleset(text: str, *, name: str = "<ruleset>", parents: RulesetSource | None = None) -> Ruleset:
    """Load, resolve and check one ruleset, raising ``RulesetError`` with every problem."""
    return Loader(parents).load(text, name)


def load_ruleset_file(path: str | Path, *, parents: RulesetSource | None = None) -> Ruleset:
    """Load a ruleset file; parents are looked up among the ``*.yaml`` files beside it."""
    path = Path(path)
    return Loader(parents or DirectorySource(path.parent)).load(path.read_text(encoding="utf-8"), str(path))


def compile_ruleset_file(path: str | Path, *, parents: RulesetSource | None = None) -> CompiledRuleset:
    """Load and compile a ruleset file (parents beside it), once per process."""
    path = Path(path)
    return Loader(parents or DirectorySource(path.parent)).compile(path.read_text(encoding="utf-8"), str(path))
