"""Facts too many to hold, validated as they are read and given back in scoring order from disk.

``evaluate`` holds every fact: five million take gigabytes. ``OrderedFacts`` validates each fact
as it comes and keeps runs of them sorted in temporary files, then merges the runs in scoring
order (``Fact.sort_key``: by time, then id), holding a slice of each run at a time.

The same id given again is the same fact, as ``validate_facts`` has it: the first (in the order
given) stands, a copy is dropped, other content is a ``fact_id_conflict``. Copies and conflicts
at the same moment meet in the merge, next to each other; an id given again at another moment is
found by a second sort, of ids alone, merged before the facts are. Every problem, located by
file and row, is raised at once: before the first fact when validation finds one, after the last
when the merge does (nothing else of a scoring is shown by then).
"""

from __future__ import annotations

import datetime as dt
import heapq
import pickle
import sys
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO, Any

from .compiler import CompiledRuleset
from .errors import FactError, Problem
from .evaluator import ignores_unknown_types
from .facts import Fact

#: Facts validated before a run is sorted and spilled: what the sort holds (a few hundred bytes each).
RUN = 50_000
#: Runs merged at once; more are first merged into longer runs, so a merge never opens more files.
FAN_IN = 128
_BATCH = 100  # records pickled together: one call each way for many, while each of a merge's runs holds few
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)


class OrderedFacts:
    """Facts added in any order with their rows, read back validated, without copies, by (occurred_at, id)."""

    def __init__(self, compiled: CompiledRuleset, *, name: str, ignore_unknown_types: bool = False) -> None:
        self.compiled = compiled
        self.name = name  # the file the facts come from, for the problems' places
        self.ignore = ignore_unknown_types or ignores_unknown_types(compiled)
        self.ignored = 0  # facts of types the ruleset does not define, when it or the caller says to ignore them
        self.problems: list[Problem] = []
        self._facts = _Runs()  # (moment, id, position, row, content)
        self._ids = _Runs()  # (id, position, moment)
        self._added = 0

    def add(self, row: int, raw: Any) -> None:
        """Validate one fact given on ``row``, and keep it for its turn (or its problems)."""
        if self.ignore and not self.compiled.validator.knows(raw):
            self.ignored += 1
            return
        try:
            fact = self.compiled.validator.validate(raw)
        except FactError as exc:
            self.problems += [self._placed(problem, row) for problem in exc.problems]
            return
        moment = (fact.occurred_at - _EPOCH) // _MICROSECOND  # an exact key: equal moments in any offset are equal
        self._added += 1
        self._facts.add((moment, fact.id, self._added, row,
                         (fact.type, fact.resident, fact.occurred_at, fact.fields, fact.member, fact.household)))
        self._ids.add((fact.id, self._added, moment))

    def __iter__(self) -> Iterator[Fact]:
        """The facts in scoring order, each once; then, if any fact had a problem, ``FactError`` with them all."""
        moved = self._moved()
        first: tuple[tuple[int, str], Fact] | None = None  # the fact given first at the latest moment and id
        for moment, fact_id, position, row, (kind, resident, occurred_at, fields, member, household) \
                in self._facts.merged():
            # one string per resident, however many facts name it: the history and the balances keep it
            fact = Fact(id=fact_id, type=kind, resident=sys.intern(resident), occurred_at=occurred_at,
                        fields=fields, member=member, household=household)
            if first is not None and first[0] == (moment, fact_id) and position not in moved:
                if not first[1].same_as(fact):  # the same id at the same moment: a copy, or a conflict
                    self.problems.append(self._placed(fact.conflict("given earlier in the same input"), row))
            elif position in moved:
                self.problems.append(self._placed(fact.conflict("given earlier in the same input"), row))
            else:
                first = (moment, fact_id), fact
                if not self.problems:
                    yield fact
        if self.problems:
            raise FactError(self.problems)

    def _moved(self) -> set[int]:
        """The positions of facts whose id was given earlier at another moment: each a conflict."""
        moved: set[int] = set()
        current, first_moment = None, 0
        for fact_id, position, moment in self._ids.merged():
            if fact_id != current:
                current, first_moment = fact_id, moment
            elif moment != first_moment:
                moved.add(position)
        return moved

    def _placed(self, problem: Problem, row: int) -> Problem:
        return problem.model_copy(update={"file": self.name, "row": row})


class _Runs:
    """Records sorted in runs in temporary files, merged back; a record's position in the input orders ties."""

    def __init__(self) -> None:
        self.size = RUN
        self.held: list[tuple] = []
        self.files: list[IO[bytes]] = []

    def add(self, record: tuple) -> None:
        self.held.append(record)
        if len(self.held) >= self.size:
            self.files.append(_spilled(sorted(self.held)))
            self.held = []

    def merged(self) -> Iterator[tuple]:
        """Every record in order, each run read a batch at a time; the files close as they end."""
        if self.held:
            self.files.append(_spilled(sorted(self.held)))
            self.held = []
        while len(self.files) > FAN_IN:  # a long input: runs merged into longer ones until few are left
            self.files = [*self.files[FAN_IN:], _spilled(heapq.merge(*map(_read, self.files[:FAN_IN])))]
        files, self.files = self.files, []
        return heapq.merge(*map(_read, files))


def _spilled(records: Iterable[tuple]) -> IO[bytes]:
    """A temporary file (gone when closed, or when the process ends) holding ``records`` in batches."""
    file = tempfile.TemporaryFile()  # noqa: SIM115 — returned open; its reader closes it (``_read``)
    batch: list[tuple] = []
    for record in records:
        batch.append(record)
        if len(batch) == _BATCH:
            pickle.dump(batch, file, pickle.HIGHEST_PROTOCOL)
            batch = []
    if batch:
        pickle.dump(batch, file, pickle.HIGHEST_PROTOCOL)
    file.seek(0)
    return file


def _read(file: IO[bytes]) -> Iterator[tuple]:
    with file:
        while True:
            try:
                batch = pickle.load(file)
            except EOFError:
                return
            yield from batch
