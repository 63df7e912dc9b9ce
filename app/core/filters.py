"""Conditions of queries: list filters that compare a column with a query parameter of the
same name, and a column among many values."""

from collections.abc import Iterable
from typing import Any, TypeVar, cast

from pydantic import BaseModel
from sqlalchemy import BigInteger, ColumnElement, String, any_, bindparam, false
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Session
from sqlmodel.sql.expression import SelectOfScalar

Row = TypeVar("Row")


def where_equal(
    statement: SelectOfScalar[Row], model: Any, filters: BaseModel, *fields: str
) -> SelectOfScalar[Row]:
    """Add `model.<field> == filters.<field>` for each of the fields the client gave."""
    for field in fields:
        value = getattr(filters, field)
        if value is not None:
            statement = statement.where(getattr(model, field) == value)
    return statement


def one_of(column: Any, values: set[Any], postgres: bool) -> ColumnElement[bool]:
    """`column IN values`; on PostgreSQL `= ANY` of one array: a thousand placeholders
    (an import's batch naming a thousand stakeholders) cost SQLAlchemy and psycopg more
    Python than the server spends on the query."""
    if not postgres:
        return cast(ColumnElement[bool], column.in_(values))
    item = BigInteger() if isinstance(next(iter(values)), int) else String()
    return cast(ColumnElement[bool], column == any_(bindparam(None, list(values), ARRAY(item))))


def among(session: Session, column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """`column IN values` as `one_of` writes it for the session's database; none matches
    no values. For lists of thousands (a need's requests): on PostgreSQL, psycopg spent
    a second parsing a statement of ten thousand placeholders."""
    chosen = set(values)
    if not chosen:
        return false()
    return one_of(column, chosen, session.get_bind().dialect.name == "postgresql")
