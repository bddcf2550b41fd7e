"""Migration 0009 (exact amounts) on a store written by 0008: nothing stored is lost or changed.

A database is brought to 0008 with alembic and given rows as the old schema had them —
whole points in INTEGER ledger and review columns, running sums in BIGINT — then the
service opens it (which migrates to head, as a deployment does). Every amount must read
back as exactly the same Decimal through the ORM and the ledger's functions, the running
sums must still equal the ledger's sums, and a downgrade to 0008 must give back the
integers that were there. Both backends: a SQLite file and a fresh PostgreSQL schema.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, select, text

from tests.engine.test_amounts import tenths
from tests.support.backends import postgres_schema, sqlite_url
from tests.support.exports import read_rows
from tests.support.fixtures import settings_for
from xinzhi.db.database import MIGRATIONS, make_engine
from xinzhi.db.tables import AccountTotal, LedgerEntry, MonthTotal, ReviewItem
from xinzhi.ledger import (
    community_summary,
    export_ledger_csv,
    resident_ledger,
    resident_score,
    resident_totals,
    totals_by_category,
    totals_by_resident,
)
from xinzhi.registry import publish_ruleset, upload_ruleset
from xinzhi.review import AppealCreate, file_appeal, list_reviews
from xinzhi.service import open_service

OLD = "0008_facts_by_resident_and_time"
EXACT = "0009_exact_amounts"
C = "cmigrated"
#: Beyond a 32-bit INTEGER once multiplied by 100: 0009 must widen the column before it scales it.
BIG = 21_474_837

WHEN = dt.datetime(2021, 3, 5, 1, 0)  # naive UTC, as UTCDateTime stores it (09:00 in Shanghai)
LATER = dt.datetime(2021, 4, 2, 2, 0)
CREATED = dt.datetime(2021, 4, 3, 0, 0)

# (seq, resident, kind, amount, raw_amount, index_delta, points_delta, accounts, category, rule_id, fact_id,
#  limited_by, occurred_at)
ENTRIES = [
    (1, "r1", "award", 5, 7, 5, 5, "index,points", "volunteer", "volunteer", "f1", "limits.monthly", WHEN),
    (2, "r1", "deduction", -3, -3, -3, 0, "index", "civility", "litter", "f2", None, WHEN),
    (3, "r2", "adjustment", 2, 2, 0, 2, "points", None, None, None, None, LATER),
    (4, "r3", "adjustment", BIG, BIG, BIG, BIG, "index,points", None, None, None, None, LATER),
]
# (resident, index_total, points_total, awarded, deducted, entries)
ACCOUNT_TOTALS = [("r1", 2, 5, 5, -3, 2), ("r2", 0, 2, 0, 0, 1), ("r3", BIG, BIG, 0, 0, 1)]
# (month, category, index_total, points_total, awarded, deducted, entries)
MONTH_TOTALS = [("2021-03", "civility", -3, 0, 0, -3, 1), ("2021-03", "volunteer", 5, 5, 5, 0, 1),
                ("2021-04", "", BIG, 2 + BIG, 0, 0, 2)]
# (seq, resident, fact_id, rule_id, amount, index_delta, points_delta, status)
REVIEWS = [(1, "r2", "f3", "rescue", 4, 4, 4, "pending")]

SCALED = {
    "ledger_entries": ("amount", "raw_amount", "index_delta", "points_delta"),
    "review_items": ("amount", "index_delta", "points_delta"),
    "account_totals": ("index_total", "points_total", "awarded", "deducted"),
    "month_totals": ("index_total", "points_total", "awarded", "deducted"),
}
KEYS = {"ledger_entries": ("seq",), "review_items": ("seq",), "account_totals": ("community", "resident"),
        "month_totals": ("community", "month", "category")}


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
    else:
        with postgres_schema() as schema_url:
            yield schema_url


def alembic(engine: Engine, action, revision: str) -> None:
    """Run ``action`` (command.upgrade or command.downgrade) to ``revision`` the way ``database.migrate`` does."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        action(config, revision)
        connection.commit()


def head() -> str:
    """The newest revision: where opening the service takes a database (later migrations follow 0009)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


HEAD = head()


def version(engine: Engine) -> str:
    with engine.connect() as connection:
        return connection.scalar(text("SELECT version_num FROM alembic_version"))


def write_old_rows(engine: Engine) -> None:
    """The rows a 0008 store held: whole points everywhere."""
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO communities (id, name, created_at) VALUES (:id, :name, :at)"),
                           {"id": C, "name": "迁移社区", "at": CREATED})
        connection.execute(text("INSERT INTO residents (community, id, name, zone, household, roles, created_at) "
                                "VALUES (:c, :id, :name, :zone, :household, :roles, :at)"),
                           [{"c": C, "id": r, "name": f"居民{r}", "zone": "north" if r != "r2" else "south",
                             "household": "h1", "roles": "[]", "at": CREATED} for r in ("r1", "r2", "r3")])
        connection.execute(text(
            "INSERT INTO ledger_entries (seq, community, resident, kind, amount, raw_amount, index_delta, "
            "points_delta, accounts, category, rule_id, ruleset, fact_id, limited_by, occurred_at, month, "
            "points_expire_on, explanation, created_at) VALUES (:seq, :c, :resident, :kind, :amount, :raw, :index, "
            ":points, :accounts, :category, :rule, :ruleset, :fact, :limited, :at, :month, NULL, :explanation, "
            ":created)"),
            [{"seq": seq, "c": C, "resident": resident, "kind": kind, "amount": amount, "raw": raw, "index": index,
              "points": points, "accounts": accounts, "category": category, "rule": rule,
              "ruleset": "civic@1" if rule else None, "fact": fact, "limited": limited, "at": at,
              "month": f"{at:%Y-%m}", "created": CREATED,
              "explanation": json.dumps({"summary": f"{kind} {amount:+d}", "amount": amount, "raw_amount": raw},
                                        ensure_ascii=False)}
             for seq, resident, kind, amount, raw, index, points, accounts, category, rule, fact, limited, at
             in ENTRIES])
        connection.execute(text(
            "INSERT INTO account_totals (community, resident, index_total, points_total, awarded, deducted, entries) "
            "VALUES (:c, :r, :i, :p, :a, :d, :n)"),
            [dict(zip(("r", "i", "p", "a", "d", "n"), row, strict=True), c=C) for row in ACCOUNT_TOTALS])
        connection.execute(text(
            "INSERT INTO month_totals (community, month, category, index_total, points_total, awarded, deducted, "
            "entries) VALUES (:c, :m, :cat, :i, :p, :a, :d, :n)"),
            [dict(zip(("m", "cat", "i", "p", "a", "d", "n"), row, strict=True), c=C) for row in MONTH_TOTALS])
        connection.execute(text(
            "INSERT INTO review_items (seq, community, resident, fact_id, rule_id, rule_title, amount, index_delta, "
            "points_delta, publicity_days, status, created_at) VALUES (:seq, :c, :r, :f, :rule, :title, :a, :i, :p, "
            "7, :status, :at)"),
            [{"seq": seq, "c": C, "r": r, "f": f, "rule": rule, "title": "见义勇为", "a": a, "i": i, "p": p,
              "status": status, "at": CREATED} for seq, r, f, rule, a, i, p, status in REVIEWS])
        if engine.dialect.name == "postgresql":  # rows given their seq: move the sequences past them
            for table in ("ledger_entries", "review_items"):
                connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'seq'), "
                                        f"(SELECT max(seq) FROM {table}))"))


def raw_amounts(engine: Engine) -> dict[str, dict[tuple, tuple]]:
    """Every amount column as the database holds it (plain integers), by table and key."""
    out: dict[str, dict[tuple, tuple]] = {}
    with engine.connect() as connection:
        for table, columns in SCALED.items():
            keys = KEYS[table]
            rows = connection.execute(text(f"SELECT {', '.join(keys + columns)} FROM {table}")).all()
            out[table] = {tuple(r[:len(keys)]): tuple(r[len(keys):]) for r in rows}
    return out


def old_amounts() -> dict[str, dict[tuple, tuple]]:
    return {
        "ledger_entries": {(e[0],): e[3:7] for e in ENTRIES},
        "review_items": {(r[0],): r[4:7] for r in REVIEWS},
        "account_totals": {(C, r[0]): r[1:5] for r in ACCOUNT_TOTALS},
        "month_totals": {(C, m[0], m[1]): m[2:6] for m in MONTH_TOTALS},
    }


def column_types(engine: Engine) -> dict[tuple[str, str], str]:
    found = inspect(engine)
    return {(table, c["name"]): str(c["type"]).upper() for table, columns in SCALED.items()
            for c in found.get_columns(table) if c["name"] in columns}


def indexes(engine: Engine) -> dict[str, set[tuple[str, tuple[str, ...]]]]:
    found = inspect(engine)
    return {table: {(str(i["name"]), tuple(str(c) for c in i["column_names"])) for i in found.get_indexes(table)}
            for table in ("ledger_entries", "review_items")}


def old_store(url: str) -> Engine:
    engine = make_engine(url)
    alembic(engine, command.upgrade, OLD)
    assert version(engine) == OLD
    write_old_rows(engine)
    assert raw_amounts(engine) == old_amounts()
    return engine



def in_tenths(service) -> None:
    """Community C adopts a standard in tenths of a point: an appeal may then move a fraction of one."""
    uploaded = upload_ruleset(service, C, tenths())
    publish_ruleset(service, C, uploaded.id, uploaded.version)

def test_upgrading_keeps_every_whole_amount_exactly_and_the_sums_still_agree(url):
    engine = old_store(url)
    before_indexes = indexes(engine)
    service = open_service(settings_for(url))  # migrates to head, as a deployment does
    try:
        assert version(engine) == HEAD
        assert all("BIGINT" in kind for kind in column_types(engine).values()), column_types(engine)
        after_indexes = indexes(engine)  # SQLite's batch copy kept every index (later revisions add some)
        assert all(before_indexes[table] <= after_indexes[table] for table in before_indexes), after_indexes
        assert raw_amounts(engine) == {table: {k: tuple(v * 100 for v in values) for k, values in rows.items()}
                                       for table, rows in old_amounts().items()}

        with service.db.reading() as session:
            entries = {e.seq: e for e in session.scalars(select(LedgerEntry).where(LedgerEntry.community == C))}
            for seq, _, kind, amount, raw, index, points, *_ in ENTRIES:
                e = entries[seq]
                assert (e.kind, e.amount, e.raw_amount, e.index_delta, e.points_delta) == \
                    (kind, Decimal(amount), Decimal(raw), Decimal(index), Decimal(points))
                assert all(isinstance(v, Decimal) for v in (e.amount, e.raw_amount, e.index_delta, e.points_delta))
            assert entries[1].explanation["summary"] == "award +5"  # JSON written by 0008 reads back untouched
            review = session.get(ReviewItem, 1)
            assert review is not None
            assert (review.amount, review.index_delta, review.points_delta) == (Decimal(4), Decimal(4), Decimal(4))
            for resident, *sums, count in ACCOUNT_TOTALS:
                kept = session.get(AccountTotal, (C, resident))
                assert kept is not None
                assert (kept.index_total, kept.points_total, kept.awarded, kept.deducted, kept.entries) == \
                    (*map(Decimal, sums), count)
            for month, category, *sums, count in MONTH_TOTALS:
                month_kept = session.get(MonthTotal, (C, month, category))
                assert month_kept is not None
                assert (month_kept.index_total, month_kept.points_total, month_kept.awarded, month_kept.deducted,
                        month_kept.entries) == \
                    (*map(Decimal, sums), count)

            # The running sums (account_totals) and the ledger's own sums agree, to the hundredth.
            kept_sums = totals_by_resident(session, C)
            for resident, index, points, awarded, deducted, count in ACCOUNT_TOTALS:
                from_ledger = resident_totals(session, C, resident)
                assert kept_sums[resident] == from_ledger
                assert (from_ledger.index, from_ledger.points, from_ledger.awarded, from_ledger.deducted,
                        from_ledger.entries) == (Decimal(index), Decimal(points), Decimal(awarded),
                                                 Decimal(deducted), count)
            by_category = totals_by_category(session, C, resident="r1")
            assert {k: (v.index, v.points) for k, v in by_category.items()} == {
                "volunteer": (Decimal(5), Decimal(5)), "civility": (Decimal(-3), Decimal(0))}
            # A standing as of a past day sums part of the ledger and subtracts the rest from the running sums.
            past = totals_by_resident(session, C, until=dt.datetime(2021, 4, 1, tzinfo=dt.UTC))
            assert {r: (t.index, t.points) for r, t in past.items()} == {"r1": (Decimal(2), Decimal(5))}

        score = resident_score(service, C, "r1")
        assert (score.index, score.points, score.entries) == (Decimal(2), Decimal(5), 2)
        page = resident_ledger(service, C, "r1").model_dump(mode="json")
        assert [(e["amount"], e["raw_amount"]) for e in page["entries"]] == [(5, 7), (-3, -3)]
        assert all(type(e["amount"]) is int for e in page["entries"])
        [held] = list_reviews(service, C)
        assert held.amount == Decimal(4) and held.model_dump(mode="json")["amount"] == 4
        lines = read_rows("".join(export_ledger_csv(service, C)))
        assert [(r["seq"], r["amount"], r["raw_amount"]) for r in lines] == [
            ("1", "5", "7"), ("2", "-3", "-3"), ("3", "2", "2"), ("4", str(BIG), str(BIG))]
        summary = community_summary(service, C).model_dump(mode="json")
        assert [(m["month"], m["awarded"], m["deducted"], m["entries"]) for m in summary["months"]] == [
            ("2021-03", 5, -3, 2), ("2021-04", 0, 0, 2)]

        # The migrated ledger goes on under a standard in tenths: a correction of an old whole entry to a
        # tenth, an adjustment of 0.5.
        in_tenths(service)
        correction = file_appeal(service, C, AppealCreate(action="correct", entry=1, amount=Decimal("2.5"),
                                                          reason="只算一半"), actor="committee")
        adjustment = file_appeal(service, C, AppealCreate(action="adjust", resident="r2", index_delta=Decimal("0.5"),
                                                          points_delta=Decimal("0.5"), reason="补记"),
                                 actor="committee")
        assert min(correction.correction.seq, adjustment.correction.seq) > max(e[0] for e in ENTRIES)
        with service.db.reading() as session:
            assert resident_totals(session, C, "r1").points == Decimal("2.5")
            assert resident_totals(session, C, "r2").points == Decimal("2.5")
            kept_sums = totals_by_resident(session, C)
            for resident in ("r1", "r2", "r3"):
                assert kept_sums[resident] == resident_totals(session, C, resident), resident
    finally:
        service.close()
        engine.dispose()


def test_downgrading_to_0008_gives_back_the_integers_that_were_there(url):
    engine = old_store(url)
    before_types = column_types(engine)
    open_service(settings_for(url)).close()
    assert version(engine) == HEAD
    alembic(engine, command.downgrade, OLD)
    assert version(engine) == OLD
    assert raw_amounts(engine) == old_amounts()
    assert column_types(engine) == before_types
    # and up again: the same exact amounts, once more
    alembic(engine, command.upgrade, "head")
    assert raw_amounts(engine)["ledger_entries"][(1,)] == (500, 700, 500, 500)
    engine.dispose()


def test_a_downgrade_never_silently_cuts_a_fraction_of_a_point(url):
    """A downgrade to whole points refuses while a fraction of a point is stored: 0.5 would silently become 0.

    Found: 0009's downgrade divided by 100 in integer SQL; now it checks first and raises, changing nothing.
    """
    engine = old_store(url)
    service = open_service(settings_for(url))
    try:
        in_tenths(service)
        file_appeal(service, C, AppealCreate(action="adjust", resident="r2", index_delta=Decimal("0.5"),
                                             points_delta=Decimal("0.5"), reason="补记"), actor="committee")
    finally:
        service.close()
    alembic(engine, command.downgrade, EXACT)  # the later migrations undone first: they keep amounts as they are
    try:
        alembic(engine, command.downgrade, OLD)
    except Exception:  # noqa: BLE001 - refusing is the acceptable outcome
        assert version(engine) == EXACT
        return
    finally:
        engine.dispose()
    reopened = make_engine(url)
    held = raw_amounts(reopened)
    reopened.dispose()
    pytest.fail(f"downgrade to 0008 kept r2's totals (index, points, awarded, deducted) as "
                f"{held['account_totals'][(C, 'r2')]} where they were (0.5, 2.5, 0, 0): "
                "a fraction of a point was silently dropped")
