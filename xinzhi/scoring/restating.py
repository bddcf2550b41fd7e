"""Restating: a fact that arrives late changes what the resident's later facts should have earned.

Facts come in any order: a paper form typed in weeks later, last month's import. A rule
that reads a resident's past — a limit, a repeat offence, a sequence, a threshold — gave
each fact what it gave knowing the facts stored at the time. When a fact arrives dated
before some of its resident's stored facts (under a version that reads history), those
later facts are scored again with it, in time order, exactly as one batch in time order
would score them all. Where a fact's amount under a rule now differs from what its
entries sum to, a ``restatement`` entry brings it there and says which late fact caused
it; so it does where a rule that sets or lifts a veto now applies, or no longer, at the
same amount (often 0). Entries are never edited. An award an appeal reversed or corrected keeps the
committee's decision and is not restated.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinzhi.db.queries import any_of
from xinzhi.db.tables import Appeal, LedgerEntry
from xinzhi.db.tables import Fact as FactRow
from xinzhi.engine import SHANGHAI, Award, CompiledRuleset, Fact, FactError
from xinzhi.engine.vetoes import rules_read
from xinzhi.ledger.balances import GRANTED, standing_awards
from xinzhi.ledger.entries import Row, award_row, restatement_row
from xinzhi.registry.service import compiled_for, published_rows
from xinzhi.service import Service

_SUMMED = ("amount", "raw_amount", "index_delta", "points_delta")

SortKey = tuple[dt.datetime, str]


@dataclass
class Restating:
    """The stored facts to score again, and for each resident concerned the late fact that starts it."""

    later: list[tuple[CompiledRuleset, Fact]] = field(default_factory=list)
    causes: dict[str, Fact] = field(default_factory=dict)

    @property
    def starts(self) -> dict[str, SortKey]:
        """Per resident restated, the sort key from which its facts are scored again (its earliest late fact)."""
        return {resident: cause.sort_key for resident, cause in self.causes.items()}


#: The columns of a stored fact that ``stored_fact`` reads.
STORED = (FactRow.fact_id, FactRow.type, FactRow.resident, FactRow.member, FactRow.household, FactRow.occurred_at,
          FactRow.fields)


def stored_fact(row: Any) -> Fact:
    """A stored fact as it was scored: its account holder, the resident and household it named, its fields as stored.

    A row written before households held accounts has no ``member``: it named its resident.
    A household fact where households hold the accounts named no member (its holder is its household).
    """
    member = row.member if row.member is not None or row.household == row.resident else row.resident
    return Fact(id=row.fact_id, type=row.type, resident=row.resident, occurred_at=row.occurred_at, fields=row.fields,
                member=member, household=row.household)


def read_as(compiled: CompiledRuleset, fact: Fact) -> Fact | None:
    """A fact scored before, as ``compiled`` reads it (None: its fields are not this version's, so nothing matches)."""
    try:
        return compiled.validator.validate({"id": fact.id, "type": fact.type, "resident": fact.member,
                                            "household": fact.household, "occurred_at": fact.occurred_at,
                                            "fields": fact.fields})
    except FactError:
        return None


def later_facts(service: Service, session: Session, community: str,
                new: Sequence[tuple[CompiledRuleset, Fact]]) -> Restating:
    """The residents' stored facts dated after their earliest new fact, if any version scoring them reads history.

    The new facts' versions count too: across a version switch, a late fact whose version
    caps a year must not find the room taken by a later fact whose version caps nothing.
    In time order (the usual case) the query finds nothing and nothing is scored again.
    """
    earliest: dict[str, Fact] = {}
    reads: set[str] = set()  # residents with a new fact whose version reads history
    for reader, fact in new:
        if fact.resident not in earliest or fact.sort_key < earliest[fact.resident].sort_key:
            earliest[fact.resident] = fact
        if reader.lookback_days:
            reads.add(fact.resident)
    by_ref: dict[str, CompiledRuleset | None] = {}
    rows: dict[str, Any] | None = None  # the published versions by ref, read once if a later fact is found
    found: dict[str, list[tuple[CompiledRuleset, Fact]]] = defaultdict(list)
    if earliest:
        since = min(fact.occurred_at for fact in earliest.values())
        for row in session.execute(select(*STORED, FactRow.ruleset).where(
                FactRow.community == community, any_of(session, FactRow.resident, sorted(earliest)),
                FactRow.occurred_at >= since)):
            if (row.occurred_at, row.fact_id) <= earliest[row.resident].sort_key:
                continue
            if row.ruleset not in by_ref:
                rows = rows if rows is not None else {r.ref: r for r in published_rows(session, community)}
                version = rows.get(row.ruleset)
                by_ref[row.ruleset] = compiled_for(service, session, version) if version is not None else None
            compiled = by_ref[row.ruleset]
            if compiled is not None and (read := read_as(compiled, stored_fact(row))) is not None:
                found[row.resident].append((compiled, read))
    restating = Restating()
    for resident, facts in found.items():
        if resident in reads or any(compiled.lookback_days for compiled, _ in facts):
            restating.later += facts
            restating.causes[resident] = earliest[resident]
    return restating


def restatements(session: Session, community: str, restating: Restating,
                 rescored: Sequence[tuple[CompiledRuleset, Fact, list[Award]]],
                 now: dt.datetime) -> list[tuple[CompiledRuleset, Row]]:
    """The entries that bring each stored fact scored again to its new amounts, rule by rule, with its version."""
    if not rescored:
        return []
    before = _granted(session, community, [fact.id for _, fact, _ in rescored])
    vetoing = {rule_id for compiled, _, _ in rescored for rule_id in rules_read(compiled.ruleset)}
    stands = _standing(session, community, [fact.id for _, fact, _ in rescored], vetoing) if vetoing else set()
    arrived = now.astimezone(SHANGHAI).date()
    rows = []
    for compiled, fact, awards in rescored:
        after = {award.rule_id: award_row(community, award, fact) for award in awards}
        held = before.get(fact.id, {})
        for rule_id in sorted(held.keys() | after.keys()):
            now_row = after.get(rule_id)
            was = held.get(rule_id) or _nothing(now_row)
            if was is None or was.get("appealed") or all(
                    (now_row[k] if now_row else 0) == was[k] for k in ("amount", "raw_amount")) and (
                    rule_id not in vetoing or ((fact.id, rule_id) in stands) == (now_row is not None)):
                continue  # a veto (often of 0) that now applies, or no longer, is restated all the same
            rule = compiled.rules.get(rule_id)
            cause = restating.causes[fact.resident]
            day = cause.occurred_at.astimezone(SHANGHAI).date()
            rows.append((compiled, restatement_row(
                was, now_row, rule_title=rule.rule.title if rule else rule_id,
                reason=f"补录事实 {cause.id}（{day} 发生，{arrived} 录入）后重新计分",
                because={"fact_id": cause.id, "occurred_at": cause.occurred_at.isoformat(),
                         "arrived_on": arrived.isoformat()})))
    return rows


def _nothing(row: Row | None) -> Row | None:
    """What a fact held under a rule that gave it nothing before: the rule's row with every amount zero."""
    return None if row is None else {**row, **dict.fromkeys(_SUMMED, 0)}


def _standing(session: Session, community: str, fact_ids: list[str],
              rules: set[str]) -> set[tuple[str | None, str | None]]:
    """Which (fact, rule) awards of ``rules`` stand now (``ledger.balances.standing_awards``)."""
    return {(fact_id, rule_id) for (_, fact_id, rule_id) in standing_awards(session.execute(select(
        LedgerEntry.resident, LedgerEntry.fact_id, LedgerEntry.rule_id, LedgerEntry.occurred_at, LedgerEntry.seq,
        LedgerEntry.kind, LedgerEntry.explanation).where(
        LedgerEntry.community == community, any_of(session, LedgerEntry.fact_id, fact_ids),
        LedgerEntry.rule_id.in_(sorted(rules)), LedgerEntry.kind.in_(GRANTED))))}


def _granted(session: Session, community: str, fact_ids: list[str]) -> dict[str, dict[str, Row]]:
    """Per fact and rule, what its entries sum to now, and whether an appeal decided it (``appealed``)."""
    sums: dict[str, dict[str, Row]] = defaultdict(dict)
    seqs: dict[int, Row] = {}
    for entry in session.execute(select(
            LedgerEntry.seq, LedgerEntry.kind, LedgerEntry.community, LedgerEntry.resident, LedgerEntry.fact_id,
            LedgerEntry.rule_id, LedgerEntry.category, LedgerEntry.ruleset, LedgerEntry.accounts,
            LedgerEntry.occurred_at, *(getattr(LedgerEntry, k) for k in _SUMMED)).where(
            LedgerEntry.community == community, any_of(session, LedgerEntry.fact_id, fact_ids),
            LedgerEntry.rule_id.is_not(None))):
        held = sums[entry.fact_id].setdefault(entry.rule_id, {
            "community": entry.community, "resident": entry.resident, "fact_id": entry.fact_id,
            "rule_id": entry.rule_id, "category": entry.category, "ruleset": entry.ruleset,
            "accounts": entry.accounts, "occurred_at": entry.occurred_at, "appealed": False,
            **dict.fromkeys(_SUMMED, 0)})
        seqs[entry.seq] = held
        if entry.kind in GRANTED:
            for k in _SUMMED:
                held[k] += getattr(entry, k)
    for seq in session.scalars(select(Appeal.target_seq).where(
            Appeal.community == community, any_of(session, Appeal.target_seq, list(seqs)),
            Appeal.action.in_(("reverse", "correct")))):
        if seq is not None:
            seqs[seq]["appealed"] = True
    return sums
