"""INSERT statements for the driver: a row of every column (`insert_of`), a row into each
of several tables as one statement (`insert_into_each`), and the ids new rows take."""

from collections.abc import Mapping
from functools import cache
from typing import Any

from sqlalchemy import Integer, Table, bindparam, func, insert, select
from sqlalchemy.sql import Insert, column
from sqlalchemy.sql import table as sql_table

from app.core.direct.query import DirectQuery


@cache
def last_sqlite_id(table: Table) -> DirectQuery:
    """The highest id `table` has ever given (AUTOINCREMENT never reuses one)."""
    given = select(_SQLITE_SEQUENCE.c.seq).where(_SQLITE_SEQUENCE.c.name == table.name)
    highest = select(func.max(table.c.id)).scalar_subquery()
    either = func.max(func.coalesce(given.scalar_subquery(), 0), func.coalesce(highest, 0))
    return DirectQuery(select(either.label("id")))


_SQLITE_SEQUENCE = sql_table("sqlite_sequence", column("name"), column("seq"))


@cache
def next_postgres_ids(table: Table) -> DirectQuery:
    """The next `count` ids of `table`'s sequence. The sequence is named once (a subquery),
    not once a row, which in a large import added up."""
    sequence = select(func.pg_get_serial_sequence(table.name, "id")).scalar_subquery()
    series = func.generate_series(1, bindparam("count", type_=Integer))
    return DirectQuery(select(func.nextval(sequence).label("id")).select_from(series))


def insert_of(table: Table, *returning: str, with_id: bool = False) -> DirectQuery:
    """An INSERT of a row of every column (but the id, unless `with_id`), each a parameter
    named as its column; with nothing to return, batches of it go in bulk."""
    statement = _one_row_into(table, with_id=with_id)
    if returning:
        return DirectQuery(statement.returning(*(table.c[name] for name in returning)))
    return DirectQuery(statement, bulk=True)


def insert_into_each(first: Table, *others: Table) -> DirectQuery:
    """One row into each table as one statement (PostgreSQL's data-modifying WITH): one
    round trip, and all or nothing with no BEGIN or COMMIT around it. `first`'s row comes
    with its id (drawn beforehand, so the others' rows can name it); the others' ids are
    their defaults. Its parameters are `rows_into_each`'s."""
    inserts = [
        _one_row_into(table, with_id=table is first, prefix=_prefix_of(table))
        for table in (first, *others)
    ]
    *queued, last = inserts
    return DirectQuery(last.add_cte(*(row.cte(f"new_{row.table}") for row in queued)))


def _one_row_into(table: Table, *, with_id: bool, prefix: str = "") -> Insert:
    """An INSERT of one row: a parameter for every column (but the id, unless `with_id`),
    named `prefix` and the column's name."""
    columns = [column.key for column in table.c if with_id or column.key != "id"]
    return insert(table).values({key: bindparam(prefix + key) for key in columns})


def _prefix_of(table: Table) -> str:
    return f"{table.name}_"  # the tables' columns share names: their parameters cannot


def rows_into_each(rows: Mapping[Table, Mapping[str, Any]]) -> dict[str, Any]:
    """The parameters of `insert_into_each`: a row for each of its tables."""
    return {
        _prefix_of(table) + key: value for table, row in rows.items() for key, value in row.items()
    }
