"""Queries every domain writes the same way: a community's rows, one row or "not found", running sums, many rows."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping, Sequence
from functools import lru_cache
from operator import itemgetter
from typing import Any, TypeVar

import orjson
import psycopg
from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    Table,
    and_,
    any_,
    bindparam,
    cast,
    event,
    func,
    literal_column,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import Join

from xinzhi.errors import NotFound, ServiceCode
from xinzhi.messages import Message

T = TypeVar("T")


def community_rows(session: Session, table: type[T], community: str, *, order_by: tuple[Any, ...], offset: int = 0,
                   limit: int | None = None, **equal: Any) -> list[T]:
    """Rows of ``table`` of one community where each named column equals its value (``None``: any)."""
    where = {"community": community, **{column: value for column, value in equal.items() if value is not None}}
    statement = select(table).where(*(getattr(table, column) == value for column, value in where.items()))
    return list(session.scalars(statement.order_by(*order_by).offset(offset).limit(limit)))


def one_or_not_found(session: Session, statement: Select[Any], code: ServiceCode, message: Message, *,
                     for_update: bool = False) -> Any:
    """The single value ``statement`` selects, or ``NotFound`` with the domain's code and message."""
    found = session.scalar(statement.with_for_update() if for_update else statement)
    if found is None:
        raise NotFound(code, message)
    return found


def any_of(session: Session, column: Any, values: Collection[Any]) -> ColumnElement[bool]:
    """``column`` equals one of ``values``, sent as one parameter however many there are.

    An ``IN (…)`` list is a statement per length: compiled again each time, chunked to stay
    under the drivers' limits, and on PostgreSQL planned generically from statistics that
    may be stale (a prepared ``IN`` of 500 ids once took 475 ms where the index takes 2).
    One array (``= ANY``) or JSON list (``IN (SELECT value FROM json_each)``) keeps one
    statement text, one cached compilation and one plan: the index on ``column``.
    """
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(select(literal_column("value")).select_from(func.json_each(bindparam(None, json.dumps(
        list(values))))))


def each_from(session: Session, columns: Sequence[Any], entity: type[Any], community: str,
              starts: Mapping[str, Any], *where: Any) -> Select[Any]:
    """``columns`` of ``entity``'s rows (``where`` all holds) of each resident in ``starts``, from its own moment on.

    One lower bound for all, the earliest, would read every resident's rows from there: a
    holder quiet for weeks made a batch read weeks of everyone's facts, more as the store grew.
    Each bound is a range of the index on (community, resident, occurred_at), taken in turn
    for each resident, whatever the planner knows of the tables' sizes: without statistics both
    planners would rather scan the community's rows once. The pairs go as one parameter, so the
    statement text is one whatever their number (``any_of``): two arrays unnested on
    PostgreSQL, a JSON list on SQLite (moments in the text the column stores).
    """
    dialect = session.get_bind().dialect
    residents, moment = sorted(starts), entity.occurred_at
    if dialect.name == "postgresql":
        bounds: Any = func.unnest(bindparam(None, residents, type_=ARRAY(entity.resident.type)),
                                  bindparam(None, [starts[r] for r in residents], type_=ARRAY(moment.type))
                                  ).table_valued("resident", "start").render_derived()
        # LATERAL, and OFFSET 0 so it stays a subquery: an index range per resident, never a hash join
        rows = select(*columns).where(entity.community == community, entity.resident == bounds.c.resident,
                                      moment >= bounds.c.start, *where).offset(0).lateral()
        return select(*rows.c).select_from(bounds).join(rows, true())
    stored = _processors(dialect, entity.__table__, ("occurred_at",))[0]  # the text the column stores
    bounds = func.json_each(bindparam(None, json.dumps([[r, stored(starts[r])] for r in residents]))).table_valued(
        "value")
    resident, start = (func.json_extract(bounds.c.value, literal_column(f"'$[{i}]'")) for i in (0, 1))
    return select(*columns).select_from(_Leading(bounds, entity.__table__, and_(
        entity.community == community, entity.resident == resident, moment >= start))).where(*where)


class _Leading(Join):
    """A join run in the order written: the bounds first, then an index range of the table for each.

    SQLite's planner, knowing no sizes, would scan the community's whole index and the bounds
    for every row; its ``CROSS JOIN`` keeps the written order.
    """

    inherit_cache = True


@compiles(_Leading, "sqlite")
def _cross_join(join: _Leading, compiler: Any, **kw: Any) -> str:
    return compiler.visit_join(join, **kw).replace(" JOIN ", " CROSS JOIN ", 1)


def add_or_insert(session: Session, entity: type[Any], rows: list[dict[str, Any]], *, keys: tuple[str, ...],
                  sums: tuple[str, ...], returning: Sequence[str] = ()) -> Sequence[Row[Any]]:
    """Add each row's ``sums`` to the stored row with the same ``keys``, inserting it if there is none.

    One statement on either backend (``INSERT … ON CONFLICT … DO UPDATE``); callers hold the
    locks that keep two writers off the same keys. ``returning`` names columns to read back
    from the rows as they now stand (in no particular order). Every row has the first's keys.
    """
    if not rows:
        return []
    dialect = session.get_bind().dialect
    table, names = entity.__table__, tuple(rows[0])
    statement = _upsert(dialect.name, table, names, keys, sums, tuple(returning))
    parameters: Any = {name: [row[name] for row in rows] for name in names} if dialect.name == "postgresql" \
        else {"rows": orjson.dumps(_processed(dialect, table, rows)).decode()}
    if returning:
        return session.execute(statement, parameters).all()
    session.execute(statement, parameters)
    return []


def insert_rows(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert many rows through the driver's bulk path: ``COPY`` on PostgreSQL, ``executemany`` on SQLite.

    A batch writes a fact row and an entry per award; through ``insert`` SQLAlchemy built a
    parameter dict per row and psycopg dumped each row in Python, a fifth of a batch's time.
    Each value still passes its column type's own bind processor (``Points``, ``UTCDateTime``,
    JSON), so a row is stored exactly as ``insert`` stores it. Every row has the first's keys.
    """
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    values = _processed(dialect, table, rows)
    columns = ", ".join(dialect.identifier_preparer.quote(name) for name in rows[0])
    if dialect.name != "postgresql":
        connection.exec_driver_sql(f"INSERT INTO {table.name} ({columns}) VALUES ({', '.join('?' * len(rows[0]))})",
                                   values)
        return
    statement = f"COPY {table.name} ({columns}) FROM STDIN"
    try:
        driver: Any = connection.connection.driver_connection  # psycopg's, in the session's transaction
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in values:
                copy.write_row(row)
    except psycopg.IntegrityError as exc:  # a racing writer stored the same key: callers retry on this
        raise IntegrityError(statement, None, exc) from exc


def _processed(dialect: Dialect, table: Table, rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """Each row's values (in the first row's key order) as the driver takes them: through their columns' types.

    Column by column, with ``map``: a loop over each value of each row in Python was a
    twentieth of storing a batch, more than the processors it called.
    """
    names = tuple(rows[0])
    values = map(itemgetter(*names), rows) if len(names) > 1 else ((row[names[0]],) for row in rows)
    columns = zip(zip(*values, strict=True), _processors(dialect, table, names), strict=True)
    return list(zip(*(column if process is None else map(process, column) for column, process in columns), strict=True))


@lru_cache(maxsize=64)
def _processors(dialect: Dialect, table: Table, names: tuple[str, ...]) -> tuple[Any, ...]:
    """The columns' bind processors for ``dialect`` (None where a value goes to the driver as it is)."""
    return tuple(table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names)


def insert_numbered(session: Session, table: Table, rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` into a table numbered by its integer primary key; the numbers, rising in the rows' order.

    On PostgreSQL the rows take numbers drawn from the key's sequence first, in one query. On
    SQLite a write transaction is the only writer (``BEGIN IMMEDIATE``) and a new row's rowid
    is one more than the table's largest, so a batch's rows are numbered consecutively up to
    the last one inserted (``last_insert_rowid()``). A ``RETURNING`` statement made of the rows
    cost more than the insert itself on both (on PostgreSQL the driver parsed its text anew
    for every batch, a fifth of the request's time).
    """
    if not rows:
        return []
    key = table.primary_key.columns[0]
    if session.get_bind().dialect.name == "postgresql":
        numbers = sorted(session.scalars(select(func.nextval(func.pg_get_serial_sequence(table.name, key.name)))
                                         .select_from(func.generate_series(1, len(rows)))))
        insert_rows(session, table, [{**row, key.name: number} for row, number in zip(rows, numbers, strict=True)])
        return numbers
    insert_rows(session, table, rows)
    last = session.execute(select(func.last_insert_rowid())).scalar_one()
    return list(range(last - len(rows) + 1, last + 1))


@lru_cache(maxsize=64)
def _upsert(dialect: str, table: Table, names: tuple[str, ...], keys: tuple[str, ...], sums: tuple[str, ...],
            returning: tuple[str, ...]) -> Any:
    """``add_or_insert``'s statement, built once: reading ``excluded`` copies every column of the table each time.

    The rows go as one parameter per column on PostgreSQL (an array each, ``unnest``) and as
    one JSON array of rows on SQLite (``json_each``): one statement text whatever their number,
    where many rows' ``VALUES`` (or a row's parameters each) were Python work per row and, on
    PostgreSQL, a new text for the driver to parse every batch.
    """
    upsert: Any
    if dialect == "postgresql":
        arrays = {name: ARRAY(table.c[name].type) for name in names}  # each value through its column's type
        upsert = postgresql_insert(table).from_select(names, select(*(
            func.unnest(cast(bindparam(name, type_=array), array)) for name, array in arrays.items())))
    else:  # ``WHERE true``: SQLite reads ``ON CONFLICT`` after a bare ``SELECT … FROM`` as a join's
        upsert = sqlite_insert(table).from_select(names, select(*(
            func.json_extract(literal_column("value"), f"$[{i}]") for i in range(len(names))))
            .select_from(func.json_each(bindparam("rows"))).where(true()))
    statement = upsert.on_conflict_do_update(index_elements=list(keys),
                                             set_={c: table.c[c] + upsert.excluded[c] for c in sums})
    return statement.returning(*(table.c[c] for c in returning)) if returning else statement


def add_groups(session: Session, entity: type[Any], keys: Mapping[str, Any], sums: Mapping[str, Any],
               *where: Any) -> None:
    """Add the groups of the rows ``where`` selects to ``entity``'s running sums, inserting a group it does not have.

    ``keys`` and ``sums`` map ``entity``'s columns to what they are of the rows (a column, a SQL
    sum). One ``INSERT … SELECT … GROUP BY … ON CONFLICT … DO UPDATE``: the rows are summed
    where they are, in key order (the order ``add_or_insert``'s callers give, so writers take
    shared rows in one order), where grouping them in Python and sending the groups back as JSON
    was a twentieth of storing a batch.
    """
    table = entity.__table__
    grouped = select(*keys.values(), *sums.values()).where(*where).group_by(*keys.values()).order_by(*keys.values())
    dialect = session.get_bind().dialect.name
    upsert: Any = (postgresql_insert if dialect == "postgresql" else sqlite_insert)(table).from_select(
        [*keys, *sums], grouped)
    session.execute(upsert.on_conflict_do_update(index_elements=list(keys),
                                                 set_={c: table.c[c] + upsert.excluded[c] for c in sums}))


_AT_COMMIT = "xinzhi_at_commit"


def at_commit(session: Session, key: Any, add: Callable[[Session, T], None], start: Callable[[], T]) -> T:
    """What this transaction gathers under ``key`` (``start()`` at first); ``add(session, it)`` runs as it commits.

    For sums many writers share (a community's month): each transaction adds all it gathered
    in one statement at the end, in key order, so writers hold the shared rows only for the
    commit and always take them in the same order (no deadlock on PostgreSQL).
    """
    pending = session.info.get(_AT_COMMIT)
    if pending is None:
        pending = session.info[_AT_COMMIT] = {}
        event.listen(session, "before_commit", _add_pending, once=True)
        event.listen(session, "after_rollback", _drop_pending, once=True)
    if key not in pending:
        pending[key] = (add, start())
    return pending[key][1]


def add_at_commit(session: Session, entity: type[Any], rows: list[dict[str, Any]], *, keys: tuple[str, ...],
                  sums: tuple[str, ...]) -> None:
    """Add ``rows`` to the running sums of ``entity`` when the transaction commits (``at_commit``)."""
    def add(session: Session, kept: dict[tuple[Any, ...], dict[str, Any]]) -> None:
        add_or_insert(session, entity, [kept[key] for key in sorted(kept)], keys=keys, sums=sums)

    kept = at_commit(session, (entity, keys, sums), add, dict)
    for row in rows:
        key = tuple(row[k] for k in keys)
        known = kept.get(key)
        kept[key] = {**row, **{s: known[s] + row[s] for s in sums}} if known else dict(row)


def _add_pending(session: Session) -> None:
    for add, gathered in session.info.pop(_AT_COMMIT, {}).values():
        add(session, gathered)


def _drop_pending(session: Session) -> None:
    session.info.pop(_AT_COMMIT, None)
