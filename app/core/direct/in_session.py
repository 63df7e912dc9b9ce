"""Statements through a SQLAlchemy session's own driver connection, in its transaction:
no per-statement machinery, and bulk inserts as the database takes many rows best."""

import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from sqlite3 import SQLITE_LIMIT_VARIABLE_NUMBER
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from app.core.direct.query import Compiled, DirectQuery, Row


def execute_in_session(
    session: Session, statement: DirectQuery, rows: Sequence[Mapping[str, Any]]
) -> list[Row]:
    """Run a statement for each row in the session's transaction, on its own driver
    connection (a batch of a bulk insert in as few statements as the database takes):
    the rows it returns (an insert's RETURNING). The driver's errors come out as
    SQLAlchemy's, as the app's error handlers expect them."""
    return SessionDriver(session).execute(statement, rows)


@dataclass(frozen=True)
class BoundRows:
    """Rows of a bulk insert (`insert_of`), their values bound as its bulk path sends
    them: ready for `SessionDriver.insert`, from any thread."""

    compiled: Compiled
    values: list[list[Any]]


class SessionDriver:
    """The driver connection under a session's transaction, for statements that skip
    SQLAlchemy's per-statement machinery (`execute_in_session`).

    Taken in the session's thread, it may be handed to one other thread (the import's
    writer) while the session's thread goes on: psycopg's connections are thread-safe,
    their statements take turns. A connection the server dropped is invalidated from the
    session's thread only; from the other, the session's rollback finds it dropped and
    the pool discards it then.
    """

    def __init__(self, session: Session) -> None:
        self._connection = session.connection()
        self._owner = threading.get_ident()
        self.dialect = self._connection.dialect
        self.driver = self._connection.connection.dbapi_connection

    def execute(self, statement: DirectQuery, rows: Sequence[Mapping[str, Any]]) -> list[Row]:
        """The statement run for each row; the rows it returns (an insert's RETURNING)."""
        if statement.bulk and len(rows) > 1:
            self.insert(self.bound(statement, rows))
            return []
        compiled = statement.compiled_for(self.dialect)
        cursor = self.driver.cursor()  # type: ignore[union-attr]
        returned: list[Row] = []
        with self._as_sqlalchemy_errors(compiled.sql, cursor):
            for row in rows:
                cursor.execute(compiled.sql, compiled.parameters(row))
                if compiled.columns:
                    returned += [compiled.row(values) for values in cursor.fetchall()]
        return returned

    def bound(self, statement: DirectQuery, rows: Sequence[Mapping[str, Any]]) -> BoundRows:
        """Rows of a bulk insert, bound: the Python half of the work of inserting them."""
        assert statement.bulk
        compiled = statement.compiled_for(self.dialect)
        copy = compiled.copy_sql is not None
        return BoundRows(compiled, [compiled.values_in_order(row, for_copy=copy) for row in rows])

    def insert(self, rows: BoundRows) -> None:
        """Bound rows inserted as the database takes many rows best: COPY on PostgreSQL
        (no statement to bind and run per row), multi-row INSERTs on SQLite (the app's two
        drivers: psycopg, sqlite3)."""
        compiled, driver = rows.compiled, self.driver
        cursor = driver.cursor()  # type: ignore[union-attr]
        with self._as_sqlalchemy_errors(compiled.sql, cursor):
            if isinstance(driver, sqlite3.Connection):
                _insert_in_chunks(driver, compiled, rows.values)
                return
            assert compiled.copy_sql is not None
            with cursor.copy(compiled.copy_sql) as copy:
                for values in rows.values:
                    copy.write_row(values)

    @contextmanager
    def _as_sqlalchemy_errors(self, sql: str, cursor: Any) -> Iterator[None]:
        """The driver's errors raised as SQLAlchemy would raise them."""
        dialect = self.dialect
        try:
            yield
            cursor.close()
        except dialect.loaded_dbapi.Error as exc:
            gone = dialect.is_disconnect(exc, self.driver, cursor)
            if gone and threading.get_ident() == self._owner:
                self._connection.invalidate(exc)
            raise DBAPIError.instance(
                sql,
                None,
                exc,
                dialect.loaded_dbapi.Error,
                hide_parameters=True,
                connection_invalidated=gone,
                dialect=dialect,
            ) from exc


def _insert_in_chunks(
    driver: sqlite3.Connection, compiled: Compiled, rows: list[list[Any]]
) -> None:
    """Rows as multi-row INSERTs, as many to a statement as SQLite takes parameters. SQLite
    ends each statement with work of its own, and an FTS5 index written by a trigger flushes
    what it holds each time: per row with executemany, where that was most of a row's cost,
    per chunk here."""
    head, _, one_row = compiled.sql.rpartition(" VALUES ")
    limit = driver.getlimit(SQLITE_LIMIT_VARIABLE_NUMBER)
    per_statement = max(1, limit // max(1, len(compiled.parameter_names)))
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        # The same text for every full chunk: sqlite3's statement cache parses it once.
        driver.execute(
            f"{head} VALUES {', '.join([one_row] * len(chunk))}",
            [value for values in chunk for value in values],
        )
