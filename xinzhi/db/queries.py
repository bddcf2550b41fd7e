"""Two queries every domain writes the same way: one community's rows, filtered; one row, or "not found"."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from xinzhi.errors import NotFound, ServiceCode

T = TypeVar("T")


def community_rows(session: Session, table: type[T], community: str, *, order_by: tuple[Any, ...], offset: int = 0,
                   limit: int | None = None, **equal: Any) -> list[T]:
    """Rows of ``table`` of one community where each named column equals its value (``None``: any)."""
    where = {"community": community, **{column: value for column, value in equal.items() if value is not None}}
    statement = select(table).where(*(getattr(table, column) == value for column, value in where.items()))
    return list(session.scalars(statement.order_by(*order_by).offset(offset).limit(limit)))


def one_or_not_found(session: Session, statement: Select[Any], code: ServiceCode, message: str, *,
                     for_update: bool = False) -> Any:
    """The single value ``statement`` selects, or ``NotFound`` with the domain's code and message."""
    found = session.scalar(statement.with_for_update() if for_update else statement)
    if found is None:
        raise NotFound(code, message)
    return found
