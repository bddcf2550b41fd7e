"""Posting facts: validated, scored by the version in force at ``occurred_at``, stored once.

Order of work for a batch (one fact is a batch of one):

1. Outside any write lock: parse every fact, look up the ruleset in force for each,
   validate it against that ruleset's fact types. Any problem rejects the whole request
   and nothing is stored (CSV imports may ask to skip bad rows instead).
2. In one write transaction: lock the residents concerned (PostgreSQL advisory locks;
   SQLite writers are serialized by ``BEGIN IMMEDIATE``), drop facts whose id is already
   stored, seed limit usage from the ledger, score in (occurred_at, id) order, and insert
   the facts with their ledger entries. A unique constraint on (community, fact id) is the
   last guard: if a racing request got there first, the transaction is retried and the
   fact comes back as a duplicate.
3. The result of every fact is read back from the ledger, so a repeat post returns
   exactly what the first one stored.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from types import SimpleNamespace
from typing import Any, TypeVar

import orjson
from pydantic import TypeAdapter
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from xinzhi.clock import latest_accepted, month_of, utcnow
from xinzhi.communities.service import require_community
from xinzhi.db.queries import add_at_commit, add_or_insert, any_of, each_from, insert_rows
from xinzhi.db.tables import Fact as FactRow
from xinzhi.db.tables import LedgerEntry, MonthFacts, Resident, ResidentFacts, ReviewItem, table_of
from xinzhi.engine import (
    SHANGHAI,
    CompiledRuleset,
    ErrorCode,
    Fact,
    FactError,
    FactIn,
    History,
    Problem,
    ignores_unknown_types,
    period_window,
    read_fact,
    recall,
    score_fact,
)
from xinzhi.engine.amounts import json_ready, to_json
from xinzhi.engine.factfiles import parse_fact_rows
from xinzhi.engine.titles import SheetTitles
from xinzhi.engine.trusted import trusted
from xinzhi.errors import MAX_PROBLEMS_KEPT, ServiceCode, ServiceError
from xinzhi.ledger.balances import GRANTED, scoring_history
from xinzhi.ledger.entries import append_all, award_row, plain_fields, read_entry
from xinzhi.ledger.expiry import expiry_corrections
from xinzhi.ledger.models import LedgerEntryRead
from xinzhi.messages import Message, problem_text
from xinzhi.registry.service import compiled_for, in_force, published_rows, shanghai_day
from xinzhi.review.service import hold_for_review
from xinzhi.scoring.histories import Histories, Kept, histories_of
from xinzhi.scoring.models import (
    EntryBrief,
    FactBatchResult,
    FactBrief,
    FactResult,
    ImportResult,
    Restated,
    UnderReview,
)
from xinzhi.scoring.resetting import settle_resets
from xinzhi.scoring.restating import STORED, Restating, SortKey, later_facts, read_as, restatements, stored_fact
from xinzhi.service import Service

log = logging.getLogger("xinzhi.scoring")

RETRIES = 5
_LAST = (dt.datetime.max.replace(tzinfo=dt.UTC), "")  # sorts after every fact
_FIRST = (dt.datetime.min.replace(tzinfo=dt.UTC), "")  # and before every one

_Result = TypeVar("_Result", FactResult, FactBrief)


@dataclass
class _Prepared:
    position: int
    raw: dict[str, Any] | None  # None: a stored fact, scored again (``restating``)
    fact: Fact
    compiled: CompiledRuleset
    fields: dict[str, Any] | None = None  # a new fact's fields as stored (``plain_fields``): its row's and its entries'


@dataclass
class _Batch:
    new: list[_Prepared]
    known_ids: list[str]  # ids already stored (or repeated within the batch), in input order
    order: list[str]  # every accepted fact id in input order
    errors: list[tuple[int, Problem]]  # (position in the input, the problem with its path from the fact)
    ignored: int = 0  # facts of types the ruleset in force does not define, skipped as it (or the call) said


def _prepare(service: Service, session: Session, community: str, raws: Sequence[Any], *,
             ignore_unknown_types: bool = False) -> _Batch:
    """Parse, find the version in force, and validate every fact (no writes)."""
    require_community(session, community)
    errors: list[tuple[int, Problem]] = []
    parsed: list[tuple[int, dict, FactIn]] = []
    for position, raw in enumerate(raws):
        try:
            parsed.append((position, raw, read_fact(raw)))
        except FactError as exc:
            errors += [(position, p) for p in exc.problems]
    stored = _stored_facts(session, community, list(dict.fromkeys(f.id for _, _, f in parsed)))
    residents = sorted({f.resident for _, _, f in parsed if f.resident is not None})
    rows_of = session.connection().execute  # Core rows: the ORM's loading took a tenth of reading a batch
    households_of: dict[str, str | None] = dict(rows_of(select(Resident.id, Resident.household).where(
        Resident.community == community, any_of(session, Resident.id, residents))).all()) if residents else {}
    members_of: dict[str, list[tuple[str, list]]] = defaultdict(list)  # household → its (resident, roles)
    households = sorted({f.household for _, _, f in parsed if f.household is not None})
    if households:
        for member, household, roles in rows_of(select(Resident.id, Resident.household, Resident.roles).where(
                Resident.community == community, any_of(session, Resident.household, households))).all():
            members_of[household].append((member, roles or []))
    rows = published_rows(session, community)
    versions: dict[dt.date, CompiledRuleset | None] = {}  # by Shanghai day: a batch's facts share a few days
    new: list[_Prepared] = []
    known_ids: list[str] = []
    order: list[str] = []
    seen: dict[str, Fact] = {}
    ignored = 0
    latest = latest_accepted(service.settings.future_tolerance_minutes)
    for position, raw, fact_in in parsed:
        if fact_in.resident is not None and fact_in.resident not in households_of:
            errors.append((position, Problem(
                code=ServiceCode.FACT_UNKNOWN_RESIDENT, path="resident", fact_id=fact_in.id,
                message=f"fact '{fact_in.id}': community '{community}' has no resident '{fact_in.resident}'",
                says="fact.no_resident", params={"fact": fact_in.id, "resident": fact_in.resident})))
            continue
        if fact_in.household is not None and fact_in.household not in members_of:
            errors.append((position, Problem(
                code=ServiceCode.FACT_UNKNOWN_HOUSEHOLD, path="household", fact_id=fact_in.id,
                message=f"fact '{fact_in.id}': no resident of '{community}' is registered in household "
                        f"'{fact_in.household}'",
                says="fact.no_household", params={"fact": fact_in.id, "household": fact_in.household})))
            continue
        occurred = fact_in.occurred_at
        occurred = occurred.replace(tzinfo=SHANGHAI) if occurred.tzinfo is None else occurred
        if occurred > latest:
            errors.append((position, Problem(
                code=ServiceCode.FACT_IN_FUTURE, path="occurred_at", fact_id=fact_in.id,
                message=f"fact '{fact_in.id}': it is dated {occurred.astimezone(SHANGHAI):%Y-%m-%d %H:%M}, after now; "
                        "points cannot be earned before the deed",
                says="fact.in_future", params={"fact": fact_in.id,
                                               "when": f"{occurred.astimezone(SHANGHAI):%Y-%m-%d %H:%M}"})))
            continue
        day = shanghai_day(occurred)
        if day not in versions:
            row = in_force(rows, day)
            versions[day] = None if row is None else compiled_for(service, session, row)
        compiled = versions[day]
        if compiled is None:
            errors.append((position, Problem(
                code=ErrorCode.FACT_NOT_IN_FORCE, path="occurred_at", fact_id=fact_in.id,
                message=f"fact '{fact_in.id}': no published ruleset of '{community}' is in force "
                        f"on {day}",
                says="fact.not_in_force", params={"fact": fact_in.id, "day": str(day)})))
            continue
        fact_in, wrong = _with_household(compiled, fact_in, households_of, stored.get(fact_in.id), members_of)
        if wrong is not None:
            errors.append((position, wrong))
            continue
        if (ignore_unknown_types or ignores_unknown_types(compiled)) and not compiled.validator.knows(fact_in):
            ignored += 1
            continue
        try:
            fact = compiled.validator.validate(fact_in)
        except FactError as exc:
            errors += [(position, p) for p in exc.problems]
            continue
        earlier, where = (_as_stored(seen[fact.id]), "given earlier in the same request") if fact.id in seen else \
            (stored.get(fact.id), "stored before")
        if earlier is not None:  # the first stands; the same fact again is a duplicate, other content a conflict
            if not earlier.same_as(_as_stored(fact)):
                errors.append((position, fact.conflict(where)))
                continue
            known_ids.append(fact.id)
            order.append(fact.id)
            continue
        seen[fact.id] = fact
        order.append(fact.id)
        new.append(_Prepared(position, raw, fact, compiled, plain_fields(fact.fields)))
    return _Batch(new=new, known_ids=known_ids, order=order, errors=errors, ignored=ignored)


def _with_household(compiled: CompiledRuleset, fact_in: FactIn, households_of: dict[str, str | None],
                    stored: Fact | None,
                    members_of: dict[str, list[tuple[str, list]]]) -> tuple[FactIn, Problem | None]:
    """Where households hold the accounts, a member's fact credits the household the member is registered in.

    The household may be left out (it is filled in) or given (it must be that one). The same
    fact sent again after its member moved is the one stored: it keeps its household. Where
    residents hold them, a household's own fact is charged to its member of the role the fact
    type names (户主), if it names one and the fact names no resident.
    """
    accounts = compiled.ruleset.accounts
    if accounts is not None and accounts.held_by == "resident" and fact_in.resident is None \
            and fact_in.household is not None:
        return _charged(compiled, fact_in, members_of.get(fact_in.household, []))
    if accounts is None or accounts.held_by != "household" or fact_in.resident is None:
        return fact_in, None
    if stored is not None and stored.member == fact_in.resident and fact_in.household in (None, stored.household):
        return fact_in.model_copy(update={"household": stored.household}), None
    registered = households_of[fact_in.resident]
    if registered is not None and fact_in.household in (None, registered):
        return fact_in.model_copy(update={"household": registered}), None
    said = f"resident '{fact_in.resident}' is registered in " + \
        (f"household '{registered}', not '{fact_in.household}'" if registered else "no household")
    return fact_in, Problem(code=ServiceCode.FACT_WRONG_HOUSEHOLD, path="household", fact_id=fact_in.id,
                            message=f"fact '{fact_in.id}': {said}; {compiled.ref} keeps accounts per household")


def _charged(compiled: CompiledRuleset, fact_in: FactIn,
             members: list[tuple[str, list]]) -> tuple[FactIn, Problem | None]:
    """A household's own fact with the member it is charged to (``charged_to_role``), or why none can be."""
    role = next((t.charged_to_role for t in compiled.ruleset.fact_types if t.id == fact_in.type), None)
    if role is None:
        return fact_in, None  # the engine asks for the resident
    holders = sorted(member for member, roles in members if role in roles)
    if len(holders) == 1:
        return fact_in.model_copy(update={"resident": holders[0]}), None
    return fact_in, Problem(code=ServiceCode.FACT_WRONG_HOUSEHOLD, path="household", fact_id=fact_in.id,
                            message=f"fact '{fact_in.id}': household '{fact_in.household}' has {len(holders)} members "
                                    f"with role '{role}', and the fact is charged to exactly one: name the resident")


def _as_stored(fact: Fact) -> Fact:
    """The fact as it would read back from the store (fields as plain JSON), to compare with a stored one."""
    return replace(fact, fields=plain_fields(fact.fields))


def _stored_facts(session: Session, community: str, ids: Sequence[str]) -> dict[str, Fact]:
    """The facts already stored under these ids, as they were scored (fields as stored: plain JSON)."""
    if not ids:
        return {}
    return {row.fact_id: stored_fact(row) for row in session.connection().execute(select(*STORED).where(
        FactRow.community == community, any_of(session, FactRow.fact_id, ids)))}


def _recall_stored(session: Session, community: str, stream: list[_Prepared], histories: dict[str, History],
                   starts: Mapping[str, SortKey], since: Mapping[str, SortKey] | None = None) -> None:
    """Keep in each holder's history the stored facts its sequences and thresholds look back to (windows, periods).

    A holder's stored facts from ``starts`` on are being scored again with the batch: they are not read back.
    A history kept since a holder's key in ``since`` (``_caught_up``) is given only the facts after it.
    """
    since = since or {}
    by_ruleset: dict[str, list[_Prepared]] = defaultdict(list)
    for p in stream:
        if p.compiled.window_days or p.compiled.tally_periods:
            by_ruleset[p.compiled.name].append(p)
    for items in by_ruleset.values():
        compiled = items[0].compiled
        first = min(p.fact.occurred_at for p in items)
        start = min([first - dt.timedelta(days=compiled.window_days + 1),
                     *(period_window(period, first)[0] for period in compiled.tally_periods)])
        starts_of = {p.fact.resident: max(start, since[p.fact.resident][0]) if p.fact.resident in since else start
                     for p in items}
        rows = session.execute(each_from(session, STORED, FactRow, community, starts_of,
                                         FactRow.type.in_(sorted(compiled.remembered | compiled.tallied)),
                                         FactRow.occurred_at <= max(p.fact.occurred_at for p in items)))
        recalled: dict[str, list[Fact]] = defaultdict(list)
        for row in rows:
            if (row.occurred_at, row.fact_id) < starts.get(row.resident, _LAST) and \
                    (row.occurred_at, row.fact_id) > since.get(row.resident, _FIRST) and \
                    (fact := read_as(compiled, stored_fact(row))) is not None:
                recalled[row.resident].append(fact)
        for holder, facts in recalled.items():
            recall(compiled, facts, histories[holder])


def _recall_in_batch(p: _Prepared, readers: dict[str, CompiledRuleset], history: History) -> None:
    """Keep a fact just scored for the sequences of the batch's other versions, as if read back from the store.

    Scoring kept it for its own version's patterns; a later fact of the batch scored by another
    version must see it as that version would see it stored (``_recall_stored``): validated and
    matched by that version, never through the first one's marks.
    """
    for compiled in readers.values():
        if compiled.name == p.compiled.name or p.fact.type not in compiled.remembered | compiled.tallied:
            continue
        fact = read_as(compiled, replace(p.fact, fields=plain_fields(p.fact.fields)))
        if fact is not None:
            recall(compiled, [fact], history)


def _commit(service: Service, community: str, batch: list[_Prepared],
            refuse: Callable[[list[tuple[int, Problem]]], ServiceError]) -> tuple[dict[str, _Fresh], list[Restated]]:
    """Score and store the new facts in one transaction, retrying if a racing post won.

    Returns what this call stored for each fact it stored (a racing request may have stored
    some of the others: the same facts are then duplicates; other content under their ids
    is refused with ``refuse``, as the caller reports problems), and the earlier results it restated.

    The ids were found unstored before the transaction (``_prepare``); the first attempt trusts
    that, and the unique constraint on (community, fact id) catches a post that raced it.
    """
    kept = histories_of(service)
    attempt = 0
    while True:
        attempt += 1
        holders: _Holders | None = None
        try:
            with service.db.writing() as session:
                service.db.lock_residents(session, community, (p.fact.resident for p in batch))
                todo = sorted(batch if attempt == 1 else _unstored(session, community, batch, refuse),
                              key=lambda p: p.fact.sort_key)
                if not todo:
                    return {}, []
                holders = _Holders(community, todo, _count_facts(session, community, todo))
                histories, behind = holders.take(kept)
                histories |= _caught_up(session, community, holders, behind)
                restating = later_facts(service, session, community,
                                        [(p.compiled, p.fact) for p in todo if p.fact.resident not in histories])
                starts = restating.starts
                stream = sorted([*todo, *(_Prepared(-1, None, fact, compiled) for compiled, fact in restating.later)],
                                key=lambda p: p.fact.sort_key)
                unknown = [p for p in stream if p.fact.resident not in histories]
                histories |= scoring_history(session, community, _spans(unknown), before=starts)
                _recall_stored(session, community, unknown, histories, starts)
                entries, restated = _score(session, community, stream, histories, restating)
                insert_rows(session, table_of(FactRow), holders.rows())
                add_at_commit(session, MonthFacts, holders.months(), keys=("community", "month"), sums=("facts",))
                fresh = _fresh(session, community, todo, entries, append_all(session, entries))
                since: dict[str, dt.datetime] = {}
                for p in todo:
                    since.setdefault(p.fact.resident, p.fact.occurred_at)
                append_all(session, settle_resets(service, session, community, dict(since)))  # 年度清零 already made
                append_all(session, expiry_corrections(session, community, since))
                holders.keep(kept, histories, restated=set(starts))  # before the holders' locks go (see ``keep``)
            service.db.wrote(len(todo) + len(entries))
            return fresh, [_restated(row) for _, row in restated]
        except BaseException as failed:
            if holders is not None:
                holders.forget(kept)
            if not isinstance(failed, IntegrityError) or attempt == RETRIES:
                raise
            log.info("scoring %d fact(s) of %s raced another writer; retrying (%d of %d)", len(batch), community,
                     attempt, RETRIES - 1)


@dataclass
class _Fresh:
    """A fact this call stored: whose account and which version, its granted entries and awards held for review."""

    resident: str
    ruleset: str
    entries: list[tuple[int, dict[str, Any]]]  # (seq, the row written), in ``seq`` order
    held: list[UnderReview]


def _fresh(session: Session, community: str, todo: list[_Prepared], rows: list[dict[str, Any]],
           seqs: list[int]) -> dict[str, _Fresh]:
    """The new facts' results from the rows just written (numbered ``seqs``, rising); only review notices are read."""
    ids = [p.fact.id for p in todo]
    fresh = {p.fact.id: _Fresh(p.fact.resident, p.compiled.ref, [], []) for p in todo}
    for seq, row in zip(seqs, rows, strict=True):
        if row["kind"] in ("award", "deduction") and row["fact_id"] in fresh:
            fresh[row["fact_id"]].entries.append((seq, row))  # in ``seq`` order, as the numbers rise
    if any(row["kind"] == "adjustment" and "holds" in row["explanation"] for row in rows):
        for fact_id, held in _under_review(session, community, ids).items():
            fresh[fact_id].held = held
    return fresh


def _under_review(session: Session, community: str, ids: list[str]) -> dict[str, list[UnderReview]]:
    """The awards of these facts held for the committee, by fact, in notice order."""
    held: dict[str, list[UnderReview]] = defaultdict(list)
    for item in session.scalars(select(ReviewItem).where(
            ReviewItem.community == community, any_of(session, ReviewItem.fact_id, ids)).order_by(ReviewItem.seq)):
        held[item.fact_id].append(UnderReview(notice=item.seq, rule_id=item.rule_id, rule_title=item.rule_title,
                                              amount=item.amount, status=item.status))
    return held


def _unstored(session: Session, community: str, batch: list[_Prepared],
              refuse: Callable[[list[tuple[int, Problem]]], ServiceError]) -> list[_Prepared]:
    """The facts of ``batch`` still unstored, the holders now locked; other content stored meanwhile is refused."""
    stored = _stored_facts(session, community, [p.fact.id for p in batch])
    conflicts = [(p.position, p.fact.conflict("stored meanwhile")) for p in batch
                 if p.fact.id in stored and not stored[p.fact.id].same_as(_as_stored(p.fact))]
    if conflicts:
        raise refuse(conflicts)
    return [p for p in batch if p.fact.id not in stored]


def _count_facts(session: Session, community: str, todo: list[_Prepared]) -> dict[str, int]:
    """Count the new facts into each holder's stored facts (``resident_facts``); the counts before them."""
    added = Counter(p.fact.resident for p in todo)
    counted = add_or_insert(session, ResidentFacts, [{"community": community, "resident": holder, "facts": n}
                                                     for holder, n in sorted(added.items())],
                            keys=("community", "resident"), sums=("facts",), returning=("resident", "facts"))
    return {row.resident: row.facts - added[row.resident] for row in counted}


class _Holders:
    """A batch's new facts by account holder: what they add to the store, and the holders' kept histories."""

    def __init__(self, community: str, todo: list[_Prepared], facts: dict[str, int]):
        self.community, self.todo, self.facts = community, todo, facts  # ``facts``: each holder's count before
        self.added = Counter(p.fact.resident for p in todo)
        self.first: dict[str, tuple[dt.datetime, str]] = {}
        self.latest: dict[str, tuple[dt.datetime, str]] = {}
        self.versions: dict[str, dict[str, CompiledRuleset]] = defaultdict(dict)
        for p in todo:  # in (occurred_at, id) order
            self.first.setdefault(p.fact.resident, p.fact.sort_key)
            self.latest[p.fact.resident] = p.fact.sort_key
            self.versions[p.fact.resident][p.compiled.name] = p.compiled
        # each holder scored by one version that reads history, and that version (else nothing is worth keeping)
        self.reading = {holder: next(iter(versions)) for holder, versions in self.versions.items()
                        if len(versions) == 1 and next(iter(versions.values())).lookback_days}

    def take(self, kept: Histories) -> tuple[dict[str, History], dict[str, Kept]]:
        """The histories kept of these holders (``scoring.histories``), for this transaction.

        Those still true, and those another process scored facts for since (counts behind the store's).
        """
        true, behind = {}, {}
        taken = kept.take(self.community, {holder: (version, self.first[holder])
                                           for holder, version in self.reading.items()})
        for holder, held in taken.items():
            if held.facts == self.facts[holder]:
                true[holder] = held.history
            elif held.facts < self.facts[holder]:
                behind[holder] = held
        return true, behind

    def ref(self, holder: str) -> str:
        """The published version scoring the holder's new facts (one, where a history is kept)."""
        return next(iter(self.versions[holder].values())).ref

    def keep(self, kept: Histories, histories: dict[str, History], *, restated: set[str]) -> None:
        """Keep the histories this batch leaves true once it commits: of one version each, and none restated.

        Kept while the transaction still holds the holders' locks, so the next writer of a holder
        (another request thread) finds it; should the commit fail, ``forget`` takes them back.
        """
        kept.keep(self.community, {holder: Kept(histories[holder], version, self.counted(holder), self.latest[holder])
                                   for holder, version in self.reading.items() if holder not in restated})

    def forget(self, kept: Histories) -> None:
        """Take back what ``keep`` kept for a transaction that did not commit: its counts never came to be."""
        kept.forget(self.community, {holder: self.counted(holder) for holder in self.first})

    def counted(self, holder: str) -> int:
        """The holder's count of stored facts once this batch commits."""
        return self.facts[holder] + self.added[holder]

    def rows(self) -> list[dict[str, Any]]:
        """The fact rows to insert, in (occurred_at, id) order."""
        now = utcnow()
        return [{"community": self.community, "fact_id": p.fact.id, "type": p.fact.type, "resident": p.fact.resident,
                 "member": p.fact.member, "household": p.fact.household, "occurred_at": p.fact.occurred_at,
                 "fields": p.fields, "received": p.raw, "ruleset": p.compiled.ref,
                 "created_at": now} for p in self.todo]

    def months(self) -> list[dict[str, Any]]:
        """How many facts the batch adds to each month (``month_facts``)."""
        per_month = Counter(month_of(p.fact.occurred_at) for p in self.todo)
        return [{"community": self.community, "month": month, "facts": count}
                for month, count in sorted(per_month.items())]


def _caught_up(session: Session, community: str, holders: _Holders, behind: dict[str, Kept]) -> dict[str, History]:
    """Kept histories of holders another process stored facts for since, brought up to date from the store.

    With two server processes on one store, nearly every holder of a batch had facts scored by
    the other since this process kept its history, and reading a year of its entries again made
    each batch slower as the store grew. A kept history is true again once the facts stored
    after it are recorded into it, as a history read from the store records them (the same
    ``scoring_history`` and ``_recall_stored``, from the history's latest fact on) — if they are
    all the facts the holder gained (the count says so), all scored by the same version, and all
    sort before the batch's: then they were scored in time order after the history's. Any
    other holder reads the store as if nothing were kept.
    """
    if not behind:
        return {}
    since = {holder: kept.latest for holder, kept in behind.items()}
    gained: dict[str, list[Any]] = defaultdict(list)
    for row in session.execute(each_from(session, (FactRow.resident, FactRow.occurred_at, FactRow.fact_id,
                                                   FactRow.ruleset), FactRow, community,
                                         {holder: moment for holder, (moment, _) in since.items()})):
        if (row.occurred_at, row.fact_id) > since[row.resident]:
            gained[row.resident].append(row)
    ready = {holder for holder, kept in behind.items()
             if kept.facts + len(gained[holder]) == holders.facts[holder] and all(
                 row.ruleset == holders.ref(holder) and (row.occurred_at, row.fact_id) < holders.first[holder]
                 for row in gained[holder])}
    if not ready:
        return {}
    stream = [p for p in holders.todo if p.fact.resident in ready]
    histories = scoring_history(session, community, _spans(stream),
                                since={holder: (behind[holder].history, since[holder]) for holder in ready})
    _recall_stored(session, community, stream, histories, {}, {holder: since[holder] for holder in ready})
    return histories


def _spans(stream: list[_Prepared]) -> dict[str, tuple[list[CompiledRuleset], dt.datetime, dt.datetime]]:
    """Per holder of a stream in time order: the versions scoring it, its first and last moment."""
    versions: dict[str, dict[str, CompiledRuleset]] = defaultdict(dict)
    moments: dict[str, list[dt.datetime]] = {}
    for p in stream:
        versions[p.fact.resident][p.compiled.name] = p.compiled
        moments.setdefault(p.fact.resident, [p.fact.occurred_at, p.fact.occurred_at])[1] = p.fact.occurred_at
    return {holder: (list(versions[holder].values()), first, last) for holder, (first, last) in moments.items()}


def _score(session: Session, community: str, stream: list[_Prepared], histories: dict[str, History],
           restating: Restating) -> tuple[list[dict[str, Any]], list[tuple[CompiledRuleset, dict[str, Any]]]]:
    """Score the stream in time order: the new facts' entries (and holds), and the restatements of stored ones."""
    entries, rescored, now = [], [], utcnow()  # the moment the batch's entries are written
    readers = {p.compiled.name: p.compiled for p in stream if p.compiled.window_days or p.compiled.tally_periods}
    for p in stream:
        history = histories[p.fact.resident]
        awards, _ = score_fact(p.compiled, p.fact, history)
        _recall_in_batch(p, readers, history)
        if p.raw is None:
            rescored.append((p.compiled, p.fact, awards))
            continue
        rows = [award_row(community, a, p.fact, p.fields, created_at=now) for a in awards]
        entries += rows + hold_for_review(session, community, p.compiled, rows)
    restated = restatements(session, community, restating, rescored, now)
    for compiled, row in restated:
        entries += [row, *hold_for_review(session, community, compiled, [row])]
    return entries, restated


def _restated(row: dict[str, Any]) -> Restated:
    restates, because = row["explanation"]["restates"], row["explanation"]["because"]
    return Restated(fact_id=row["fact_id"], resident=row["resident"], rule_id=row["rule_id"],
                    amount_before=restates["amount_before"], amount_after=restates["amount_after"],
                    because=because["fact_id"])


def _results(service: Service, community: str, order: list[str], fresh: dict[str, _Fresh], model: type[_Result], *,
             explain: bool = True) -> list[_Result]:
    """Each fact id's result, in input order, as ``model`` (entries briefly unless ``explain``).

    Facts this call stored come from what it wrote (``fresh``); every other id — stored
    before, by an earlier or a racing request — is read back from the ledger: a repeat post
    returns exactly what the first one stored.
    """
    known: dict[str, tuple[str, str, Any, list[UnderReview]]] = {  # entries: all brief, or all explained
        fact_id: (f.resident, f.ruleset, [_entry(seq, row, explain) for seq, row in f.entries], f.held)
        for fact_id, f in fresh.items()}
    stored = [fact_id for fact_id in dict.fromkeys(order) if fact_id not in fresh]
    if stored:
        known |= _read_back(service, community, stored, explain)
    results, first_seen = [], set()
    for fact_id in order:
        resident, ruleset, entries, held = known[fact_id]
        # built of values made here (entries are models already): not validated again, fact by fact
        results.append(trusted(model, fact_id=fact_id, resident=resident, ruleset=ruleset,
                               duplicate=fact_id not in fresh or fact_id in first_seen, entries=entries,
                               under_review=held))
        first_seen.add(fact_id)
    return results


def _read_back(service: Service, community: str, ids: list[str], explain: bool) -> dict[str, tuple]:
    """What the ledger holds for stored facts: (resident, version, entries, awards under review) by id."""
    table = LedgerEntry.__table__
    columns = list(table.c) if explain else [table.c.fact_id, table.c.seq, table.c.rule_id, table.c.amount,
                                               table.c.raw_amount, table.c.limited_by, table.c.index_delta,
                                               table.c.points_delta]
    entries: dict[str, list] = defaultdict(list)
    with service.db.reading() as session:
        facts = session.execute(select(FactRow.fact_id, FactRow.resident, FactRow.ruleset).where(
            FactRow.community == community, any_of(session, FactRow.fact_id, ids))).all()
        for row in session.execute(select(*columns).where(
                table.c.community == community, any_of(session, table.c.fact_id, ids),
                table.c.kind.in_(GRANTED)).order_by(table.c.seq)):
            entries[row.fact_id].append(_entry(row.seq, row._mapping, explain))
        held = _under_review(session, community, ids)
    return {row.fact_id: (row.resident, row.ruleset, entries[row.fact_id], held.get(row.fact_id, []))
            for row in facts}


def _entry(seq: int, row: Mapping[Any, Any], explain: bool) -> EntryBrief | LedgerEntryRead:
    """An entry of a result, from a stored row or one just written (numbered ``seq``): brief unless ``explain``."""
    if explain:  # a row just written has an award's amounts in its explanation as Decimal (``award_row``)
        return read_entry(SimpleNamespace(**{**row, "seq": seq, "explanation": json_ready(row["explanation"])}))
    # the row's amounts were checked as they were written (``Points``): not again for each entry of each batch
    return trusted(EntryBrief, seq=seq, rule_id=row["rule_id"], amount=row["amount"], raw_amount=row["raw_amount"],
                   limited_by=row["limited_by"], index_delta=row["index_delta"], points_delta=row["points_delta"])


def _reject(errors: list[tuple[int, Problem]], total: int) -> ServiceError:
    """The refusal of a batch: each problem placed at its fact in the request (``facts[3].fields.hours``)."""
    problems = [p.under(f"facts[{position}]") for position, p in sorted(errors, key=lambda e: e[0])]
    bad = len({position for position, _ in errors})
    return ServiceError(ServiceCode.FACTS_REJECTED, Message.of("facts_n_rejected", bad=bad, total=total), problems)


def post_facts(service: Service, community: str, raws: Sequence[Any], *, explain: bool = False,
               ignore_unknown_types: bool = False) -> FactBatchResult:
    """Score a batch: all facts valid or none stored; ids seen before return their first result.

    Each fact's entries come back briefly (rule, amount, limit) unless ``explain`` asks for the
    full explained entries. Facts of a type the ruleset in force does not define are refused,
    unless it or ``ignore_unknown_types`` says to skip them (counted in ``ignored``).
    """
    return _batch_result(service, community, *_post(service, community, raws, ignore_unknown_types), explain)


_BATCH_JSON = TypeAdapter(FactBatchResult)


def post_facts_json(service: Service, community: str, raws: Sequence[Any], *, explain: bool = False,
                    ignore_unknown_types: bool = False) -> bytes:
    """``post_facts``, its result as the API sends it: the JSON ``FactBatchResult`` writes.

    A batch of new facts with brief entries (what a client posting its records gets, batch
    after batch) is written from the rows just stored, without a model per fact and per entry:
    making those and writing them took ~9 µs of a fact's ~150 (``_results``, then pydantic's
    JSON). Anything else (explained entries, an id seen before) is written through the models.
    ``tests/scoring/test_batch_json.py`` holds the two to the same bytes.
    """
    batch, fresh, restated = _post(service, community, raws, ignore_unknown_types)
    if explain or len(fresh) != len(batch.order):  # an id seen before (or twice): read back through the models
        return _BATCH_JSON.dump_json(_batch_result(service, community, batch, fresh, restated, explain))
    results = []
    for fact_id in batch.order:
        f = fresh[fact_id]
        results.append({"fact_id": fact_id, "resident": f.resident, "ruleset": f.ruleset, "duplicate": False,
                        "entries": [{"seq": seq, "rule_id": row["rule_id"], "amount": to_json(row["amount"]),
                                     "raw_amount": to_json(row["raw_amount"]), "limited_by": row["limited_by"],
                                     "index_delta": to_json(row["index_delta"]),
                                     "points_delta": to_json(row["points_delta"])} for seq, row in f.entries],
                        "under_review": [held.model_dump(mode="json") for held in f.held]})
    return orjson.dumps({"scored": len(results), "duplicates": 0, "ignored": batch.ignored, "results": results,
                         "restated": [r.model_dump(mode="json") for r in restated]})


def _post(service: Service, community: str, raws: Sequence[Any],
          ignore_unknown_types: bool) -> tuple[_Batch, dict[str, _Fresh], list[Restated]]:
    """Validate and store a batch: what it was, what this call stored for each new fact, what it restated."""
    if len(raws) > service.settings.max_batch_facts:
        raise ServiceError(ServiceCode.BATCH_TOO_LARGE,
                           Message.of("batch_too_large", most=service.settings.max_batch_facts, n=len(raws)))

    def refuse(errors: list[tuple[int, Problem]]) -> ServiceError:
        return _reject(errors, len(raws))

    with service.db.queued():  # stored in the order batches came: one that overtook another restates its holders
        with service.db.reading() as session:
            batch = _prepare(service, session, community, raws, ignore_unknown_types=ignore_unknown_types)
        if batch.errors:
            raise refuse(batch.errors)
        fresh, restated = _commit(service, community, batch.new, refuse)
    return batch, fresh, restated


def _batch_result(service: Service, community: str, batch: _Batch, fresh: dict[str, _Fresh],
                  restated: list[Restated], explain: bool) -> FactBatchResult:
    results = _results(service, community, batch.order, fresh, FactBrief, explain=explain)
    return FactBatchResult(scored=sum(not r.duplicate for r in results),
                           duplicates=sum(r.duplicate for r in results), ignored=batch.ignored, results=results,
                           restated=restated)


def post_fact(service: Service, community: str, raw: Any) -> FactResult:
    """Score one fact (or return the first result for an id seen before)."""
    with service.db.reading() as session:
        batch = _prepare(service, session, community, [raw])
    if batch.errors:
        raise _refuse_one(batch.errors)
    fresh, restated = _commit(service, community, batch.new, _refuse_one)
    result = _results(service, community, batch.order, fresh, FactResult)[0]
    return result.model_copy(update={"restated": restated})


def _refuse_one(errors: list[tuple[int, Problem]]) -> ServiceError:
    problems = [p for _, p in errors]
    return ServiceError(ServiceCode.FACTS_REJECTED, Message.of(
        "fact_rejected", why=problems[0].message if len(problems) == 1 else "the fact was rejected"), problems)


def import_facts_csv(service: Service, community: str, text: str | bytes, *, skip_bad_rows: bool = False,
                     name: str = "facts.csv", ignore_unknown_types: bool = False) -> ImportResult:
    """Import a spreadsheet of facts (``import_facts``), with a per-row error report."""
    return import_facts_file(service, community, text, fmt="csv", skip_bad_rows=skip_bad_rows, name=name,
                             ignore_unknown_types=ignore_unknown_types)


def import_facts_file(service: Service, community: str, data: str | bytes, *, fmt: str,
                      skip_bad_rows: bool = False, name: str = "facts",
                      ignore_unknown_types: bool = False) -> ImportResult:
    """Import a file of facts (``csv``, ``xlsx`` or ``jsonl``) all or nothing: one transaction, scored as a batch is.

    Bytes are read as ``engine.factfiles`` says (UTF-8, UTF-16 or GBK/GB18030 text; a workbook).

    Nothing is stored unless every row is good or ``skip_bad_rows`` is asked for; then the
    good rows are stored together, in (``occurred_at``, id) order like any batch, and a
    process killed half-way leaves none of them.
    """
    try:
        rows = parse_fact_rows(data, fmt=fmt, name=name)
        raws = [fact for _, fact in rows]
    except FactError as exc:
        # in Chinese, one problem is said as itself (a missing column, a damaged workbook), several are counted
        problems = exc.problems
        why = problem_text(problems[0], "zh") if len(problems) == 1 else Message.of("problems_listed", n=len(problems))
        raise ServiceError(ServiceCode.FACTS_REJECTED, Message.of("facts_unreadable", why=why), problems) from None
    if len(raws) > service.settings.max_import_rows:
        raise ServiceError(ServiceCode.BATCH_TOO_LARGE,
                           Message.of("import_too_large", most=service.settings.max_import_rows, n=len(raws)))
    with service.db.reading() as session:
        titles = SheetTitles(compiled_for(service, session, row).ruleset for row in published_rows(session, community))
        batch = _prepare(service, session, community, [titles.read(raw) for raw in raws],
                         ignore_unknown_types=ignore_unknown_types)

    def at_rows(errors: list[tuple[int, Problem]]) -> list[Problem]:
        # A row of the file is where the fact stands, as a clerk sees it; paths stay the fact's own.
        return [p.model_copy(update={"file": name, "row": rows[position][0]})
                for position, p in sorted(errors, key=lambda e: e[0])]

    def refuse(errors: list[tuple[int, Problem]]) -> ServiceError:
        located = at_rows(errors)
        return ServiceError(ServiceCode.FACTS_REJECTED,
                            Message.of("rows_rejected", bad=len({e.row for e in located}), total=len(raws)), located)

    row_errors = at_rows(batch.errors)
    if row_errors and not skip_bad_rows:
        raise refuse(batch.errors)
    fresh, restated = _commit(service, community, batch.new, refuse)
    log.info("imported %s into %s: %d rows, %d scored, %d duplicates, %d skipped", name, community, len(raws),
             len(fresh), len(batch.order) - len(fresh), len({e.row for e in row_errors}))
    return ImportResult(rows=len(raws), scored=len(fresh), duplicates=len(batch.order) - len(fresh),
                        ignored=batch.ignored,
                        skipped=len({e.row for e in row_errors}), errors=row_errors[:MAX_PROBLEMS_KEPT],
                        errors_total=len(row_errors), restated=restated)


def recorded_facts(service: Service, community: str, start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """The facts stored with ``start <= occurred_at < end`` (Shanghai days), as facts to replay, in stored order."""
    low = dt.datetime.combine(start, dt.time(), SHANGHAI)
    high = dt.datetime.combine(end, dt.time(), SHANGHAI)
    with service.db.reading() as session:
        require_community(session, community)
        rows = session.execute(select(*STORED).where(FactRow.community == community, FactRow.occurred_at >= low,
                                                     FactRow.occurred_at < high).order_by(FactRow.seq))
        facts = [stored_fact(row) for row in rows]  # as posted: the resident (member) and household they named
        return [{"id": f.id, "type": f.type, "occurred_at": f.occurred_at.isoformat(), "fields": dict(f.fields or {}),
                 **({"resident": f.member} if f.member is not None else {}),
                 **({"household": f.household} if f.household is not None else {})} for f in facts]
