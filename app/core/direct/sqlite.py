"""Direct reads and writes on SQLite: sqlite3 connections, inline on the event loop or in
a few worker threads."""

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from functools import cache
from typing import Any

from sqlalchemy import Dialect, Table, make_url
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.exc import IntegrityError

from app.core.config import Settings
from app.core.db import SQLITE_READ_PRAGMAS, configure_sqlite_connection, json_text
from app.core.direct.errors import unavailable_as_503
from app.core.direct.inserts import insert_of, last_sqlite_id
from app.core.direct.protocols import DirectWrite
from app.core.direct.query import Compiled, DirectQuery, Row
from app.core.errors import DatabaseUnavailable

LOOP_BUSY_TIMEOUT_MS = 200
LIST_THREADS = 2
SEARCH_THREADS = 1


class _SQLiteWrite:
    """The loop's write connection, in a transaction that holds SQLite's write lock: each
    statement takes microseconds, and the transaction commits as the block ends."""

    def __init__(self, connection: sqlite3.Connection, dialect: Dialect) -> None:
        self._connection = connection
        self._dialect = dialect

    async def next_id(self, table: Table) -> int:
        # The write lock is held: no other insert takes ids meanwhile.
        compiled = last_sqlite_id(table).compiled_for(self._dialect)
        (last,) = self._connection.execute(compiled.sql, compiled.parameters({})).fetchone()
        return int(last) + 1

    async def insert_into_each(self, rows: Mapping[Table, Mapping[str, Any]]) -> None:
        for position, (table, row) in enumerate(rows.items()):
            compiled = _insert_one(table, with_id=position == 0).compiled_for(self._dialect)
            self._connection.execute(compiled.sql, compiled.parameters(row))


@cache
def _insert_one(table: Table, *, with_id: bool) -> DirectQuery:
    return insert_of(table, with_id=with_id)


class SQLiteReads:
    """Read-only sqlite3 connections: a point lookup (`one`) runs inline on the event
    loop's own (it takes microseconds, and WAL readers never wait for writers); a list or
    a search (`all`) on a large table can take long enough to hold every request up, so it
    runs in a worker thread, on that thread's own connection. And one connection for
    writes on the loop (`writing`): this process's writers already take turns there
    (app/core/db.py, `turn`), and a plain new request's three inserts take a fraction of a
    millisecond."""

    # JSON written as the engine writes it (pydantic's serializer: datetimes, decimals).
    dialect = SQLiteDialect_pysqlite(paramstyle="qmark", json_serializer=json_text)

    def __init__(self, settings: Settings) -> None:
        path = make_url(settings.database_url).database
        if not path or path == ":memory:":
            raise ValueError("direct reads need a database file, not an in-memory database")
        self._path = path
        self._busy_timeout_ms = int(settings.sqlite_busy_timeout_ms)
        # The loop's own waits little: a busy wait there would stall every request.
        self._connection = self._connect(min(self._busy_timeout_ms, LOOP_BUSY_TIMEOUT_MS))
        self._per_thread = threading.local()
        # Few threads: SQLite reads in parallel anyway, and a crowd of threads only queues
        # for the GIL (lists ran far slower on the default pool's many threads).
        self._threads = ThreadPoolExecutor(max_workers=LIST_THREADS, thread_name_prefix="reads")
        self._search_threads = ThreadPoolExecutor(
            max_workers=SEARCH_THREADS, thread_name_prefix="searches"
        )
        self._opened = [self._connection]
        self._opening = threading.Lock()
        self._writer: sqlite3.Connection | None = None  # opened for the first write

    def _connect(self, busy_timeout_ms: int) -> sqlite3.Connection:
        connection = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA query_only=ON")
        for pragma in SQLITE_READ_PRAGMAS:
            connection.execute(pragma)
        connection.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        return connection

    async def one(self, query: DirectQuery, **parameters: Any) -> Row | None:
        rows = _fetch(self._connection, query.compiled_for(self.dialect), parameters)
        return rows[0] if rows else None

    async def all(self, query: DirectQuery, **parameters: Any) -> list[Row]:
        compiled = query.compiled_for(self.dialect)
        threads = self._search_threads if query.search else self._threads
        return await asyncio.get_running_loop().run_in_executor(
            threads, lambda: _fetch(self._thread_connection(), compiled, parameters)
        )

    def _thread_connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._per_thread, "connection", None)
        if connection is None:
            connection = self._per_thread.connection = self._connect(self._busy_timeout_ms)
            with self._opening:
                self._opened.append(connection)
        return connection

    def writing(self) -> AbstractAsyncContextManager[DirectWrite] | None:
        if self._writer is None:
            self._writer = sqlite3.connect(self._path, check_same_thread=False)
            # Never waits on the loop: another process's lock sends the write elsewhere.
            configure_sqlite_connection(self._writer, busy_timeout_ms=0)
            self._opened.append(self._writer)
        try:
            self._writer.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:  # "database is locked"
            return None
        return self._committed(self._writer)

    @asynccontextmanager
    async def _committed(self, connection: sqlite3.Connection) -> AsyncIterator[DirectWrite]:
        try:
            yield _SQLiteWrite(connection, self.dialect)
            connection.execute("COMMIT")
        except BaseException as exc:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            if isinstance(exc, sqlite3.IntegrityError):
                raise IntegrityError(None, None, exc) from exc
            if isinstance(exc, sqlite3.OperationalError):  # as the session's: 503, retry
                raise DatabaseUnavailable(str(exc)) from exc
            raise

    async def close(self) -> None:
        self._threads.shutdown(wait=True)
        self._search_threads.shutdown(wait=True)
        for connection in self._opened:
            connection.close()


def _fetch(
    connection: sqlite3.Connection, compiled: Compiled, parameters: Mapping[str, Any]
) -> list[Row]:
    with unavailable_as_503(sqlite3.OperationalError):
        cursor = connection.execute(compiled.sql, compiled.parameters(parameters))
        rows = cursor.fetchall()
    cursor.close()
    return [compiled.row(values) for values in rows]
