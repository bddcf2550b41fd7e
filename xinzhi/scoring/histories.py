"""Each account holder's history as scoring left it, kept between batches by the process that scored it.

A batch reads what its holders' limits, repeats, sequences and thresholds look back to
(``ledger.balances.scoring_history``, stored facts recalled): up to a year of a busy holder's
entries and facts, more with every batch. Scoring counts what it grants into the same
``History``, so the one a batch ends with is what the next batch would read back — while
that holds, the next batch takes it from here instead:

* the holder's count of stored facts (``resident_facts``, counted in the transaction that
  stores them and read under the holder's lock) is the one the history was kept with: no
  other request or process scored for the holder since — or, if another process did, the
  facts it stored all come after the history's, and the history catches up with them
  (``scoring.service._caught_up``);
* one version scores the holder's facts, the one the history was read for, and it reads
  history at all (``lookback_days``);
* the facts come after every fact the history holds: in time order nothing is scored
  again and the engine forgets what no later fact reads (``History.forget_before``); a late
  fact restates, which reads the store.

Anything else reads the store, as every batch did before. A history is taken out for one
transaction and kept again at its end, before it commits, while it still holds the holders'
locks: the next writer of a holder finds it. If the transaction fails, it is forgotten (scoring
changed it, and the count it was kept with is never stored). A process keeps at most ``HELD``
holders, the least recently scored going first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import NamedTuple
from weakref import WeakKeyDictionary

from xinzhi.engine import History
from xinzhi.scoring.restating import SortKey
from xinzhi.service import Service

HELD = 100_000  # holders a process keeps (a few kB each: a year of counters, a sequence's window of facts)


class Kept(NamedTuple):
    """A holder's history, the version it was read for, the holder's facts count and latest fact it is true at.

    A tuple: some 800 are made for each batch of 1,000 facts.
    """

    history: History
    version: str
    facts: int
    latest: SortKey


class Histories:
    """The histories one process keeps, by (community, holder); safe to share between request threads."""

    def __init__(self, held: int = HELD) -> None:
        self._kept: OrderedDict[tuple[str, str], Kept] = OrderedDict()
        self._held = held
        self._lock = threading.Lock()

    def take(self, community: str, wanted: Mapping[str, tuple[str, SortKey]]) -> dict[str, Kept]:
        """The kept histories of a batch's holders, each (version, first fact) in ``wanted``, for the caller alone.

        A history is given if it was read for that version and ends before that fact. The caller
        compares its count with the store's: equal, it is true (see the module); lower, another
        process scored for the holder since, and it may catch up (``scoring.service``). One lock
        for the batch: a batch of 1,000 facts has some 800 holders.
        """
        taken = {}
        with self._lock:
            for holder, (version, first) in wanted.items():
                kept = self._kept.pop((community, holder), None)
                if kept is not None and kept.version == version and kept.latest < first:
                    taken[holder] = kept
        return taken

    def keep(self, community: str, histories: Mapping[str, Kept]) -> None:
        """Keep the histories the caller's transaction leaves true, unless one of a later count is kept already."""
        with self._lock:
            for holder, kept in histories.items():
                known = self._kept.get((community, holder))
                if known is not None and known.facts >= kept.facts:
                    continue
                self._kept[(community, holder)] = kept
                self._kept.move_to_end((community, holder))
            while len(self._kept) > self._held:
                self._kept.popitem(last=False)

    def forget(self, community: str, counts: Mapping[str, int]) -> None:
        """Drop each holder's history kept at its count in ``counts`` (a transaction that kept it failed)."""
        with self._lock:
            for holder, facts in counts.items():
                known = self._kept.get((community, holder))
                if known is not None and known.facts == facts:
                    del self._kept[(community, holder)]

    def clear(self) -> None:
        """Forget every history: the next batches read the store."""
        with self._lock:
            self._kept.clear()


_BY_SERVICE: WeakKeyDictionary[Service, Histories] = WeakKeyDictionary()
_CREATING = threading.Lock()


def histories_of(service: Service) -> Histories:
    """The histories ``service``'s process keeps (one set per open service, as its compiled versions are)."""
    with _CREATING:
        return _BY_SERVICE.setdefault(service, Histories())
