"""Hot statements straight through the database driver.

The ORM session costs a worker-thread hop and a good deal of Python per statement;
the busiest reads (who is calling, one request by id) need neither. A
`DirectQuery` is a SQLAlchemy select compiled once per dialect; `DirectReads` runs it on
the driver itself: sqlite3 inline (an indexed read takes microseconds, and WAL readers
never wait for writers) or an asyncpg pool. Rows come back through the columns' own
result processors, so values are those the ORM would give (UTC datetimes, money).

Writes run in a session's transaction, with their audit entries and events; the busiest
of them (a new request, the import) run their statements through the session's own
driver connection with `execute_in_session`, skipping SQLAlchemy's per-statement
machinery. A plain new request skips the session too: `DirectReads.writing` is a write on
the event loop, where its id is drawn and the request, its audit entry and its event go
in (on PostgreSQL as one statement, `insert_into_each`; on SQLite in one transaction).
"""

import asyncio
import sqlite3
import threading
import weakref
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from functools import cache, partial
from sqlite3 import SQLITE_LIMIT_VARIABLE_NUMBER
from typing import Annotated, Any, Protocol
from weakref import WeakKeyDictionary

import asyncpg
from fastapi import Depends, Request
from sqlalchemy import (
    JSON,
    DateTime,
    Dialect,
    Integer,
    Table,
    bindparam,
    func,
    insert,
    make_url,
    select,
)
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.sql import Insert, Select, column
from sqlalchemy.sql import table as sql_table
from sqlalchemy.types import TypeEngine
from sqlmodel import Session

from app.core.config import Settings
from app.core.db import SQLITE_READ_PRAGMAS, configure_sqlite_connection, json_text
from app.core.errors import DatabaseUnavailable

Row = dict[str, Any]
CONNECT_TIMEOUT_SECONDS = 5
LOOP_BUSY_TIMEOUT_MS = 200
LIST_THREADS = 2
SEARCH_THREADS = 1
AnySelect = Select[*tuple[Any, ...]]


@dataclass(frozen=True)
class _Compiled:
    sql: str
    # Parameters: their names (in order, for positional styles), fixed values (constants
    # of the statement) and the types' bind processors, as SQLAlchemy would apply them.
    parameter_names: tuple[str, ...]
    positional: bool
    fixed: Mapping[str, Any]
    binders: tuple[Callable[[Any], Any] | None, ...]
    columns: tuple[str, ...]
    # The columns whose values need processing: (index, name, the type's result processor).
    processors: tuple[tuple[int, str, Callable[[Any], Any]], ...]
    copy_sql: str | None  # a bulk insert's rows as a COPY (PostgreSQL; see DirectQuery.bulk)
    copy_binders: tuple[Callable[[Any], Any] | None, ...]  # the binders, for COPY

    def parameters(self, values: Mapping[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        bound = self.values_in_order(values)
        return (
            tuple(bound) if self.positional else dict(zip(self.parameter_names, bound, strict=True))
        )

    def values_in_order(self, values: Mapping[str, Any], *, for_copy: bool = False) -> list[Any]:
        """The parameters' values, bound, in the order of `parameter_names`."""
        given = {**self.fixed, **values} if self.fixed else values
        binders = self.copy_binders if for_copy else self.binders
        return [
            value if bind is None else bind(value)
            for value, bind in zip(
                map(given.__getitem__, self.parameter_names), binders, strict=True
            )
        ]

    def row(self, values: tuple[Any, ...] | asyncpg.Record) -> Row:
        row = dict(zip(self.columns, values, strict=True))
        for index, name, process in self.processors:
            value = values[index]
            if value is not None:
                row[name] = process(value)
        return row


@dataclass
class DirectQuery:
    """A select (or an insert) run through the driver: compiled once per driver, then only
    executed."""

    statement: AnySelect | Insert
    # A plain INSERT of one bound value per column, reading nothing back (`insert_of`):
    # a batch of rows may go as multi-row INSERTs (SQLite) or a COPY (PostgreSQL).
    bulk: bool = False
    # A text search: it may read every match to rank them, so on SQLite it waits for a
    # thread of its own, and a crowd of searches never holds up the plain lists.
    search: bool = False
    _compiled: dict[tuple[str, str], _Compiled] = field(
        default_factory=dict, init=False, repr=False
    )

    def compiled_for(self, dialect: Dialect) -> _Compiled:
        # PostgreSQL is read through asyncpg and written through psycopg: two paramstyles.
        compiled = self._compiled.get((dialect.name, dialect.driver))
        if compiled is None:
            compiled = self._compiled[dialect.name, dialect.driver] = self._compile(dialect)
        return compiled

    def _compile(self, dialect: Dialect) -> _Compiled:
        statement = self.statement
        columns = statement.exported_columns  # what a select or a RETURNING gives
        if isinstance(statement, Insert) and not columns:
            statement = statement.inline()  # not even the id back (PostgreSQL would)
        compiled = statement.compile(dialect=dialect)
        names = tuple(compiled.positiontup or compiled.binds)
        types = [compiled.binds[name].type.dialect_impl(dialect) for name in names]
        binders = tuple(type_.bind_processor(dialect) for type_ in types)
        return _Compiled(
            sql=str(compiled),
            parameter_names=names,
            positional=compiled.positiontup is not None,
            fixed={
                name: bind.effective_value
                for name, bind in compiled.binds.items()
                if bind.effective_value is not None
            },
            binders=binders,
            columns=tuple(str(column.key) for column in columns),
            processors=_result_processors(columns, dialect),
            copy_sql=_copy_sql(statement, names, dialect) if self.bulk else None,
            copy_binders=tuple(
                _copy_binder(type_, bind) for type_, bind in zip(types, binders, strict=True)
            ),
        )


def _result_processors(
    columns: Any, dialect: Dialect
) -> tuple[tuple[int, str, Callable[[Any], Any]], ...]:
    processors = (
        (index, str(column.key), column.type.dialect_impl(dialect).result_processor(dialect, None))
        for index, column in enumerate(columns)
    )
    return tuple((index, name, process) for index, name, process in processors if process)


def _copy_binder(
    type_: TypeEngine[Any], bind: Callable[[Any], Any] | None
) -> Callable[[Any], Any] | None:
    """A column's binder for COPY: what takes psycopg long to write, written as text where
    the rows are bound (see SessionDriver.bound)."""
    if type_._type_affinity is DateTime:
        return _last_as_text(bind)
    if type_._type_affinity is JSON and bind is not None:
        return partial(_json_as_text, bind)
    return bind


def _json_as_text(bind: Callable[[Any], Any], value: Any) -> str | None:
    """JSON as the engine writes it (json_text), serialized now, not when sent."""
    wrapped = bind(value)  # psycopg's Json around the value, or None for SQL NULL
    return None if wrapped is None else json_text(wrapped.obj)


def _last_as_text(bind: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
    """A timestamp column's binder for COPY: the value as ISO text, the last one kept.
    A batch's rows share their timestamps (four a row of an import), and psycopg's own
    writing of one costs enough to show in the import's speed."""
    last: tuple[Any, Any] = (None, None)

    def as_text(value: Any) -> Any:
        nonlocal last
        seen, text = last  # one tuple, read and replaced whole: safe across threads
        if value is not seen:
            bound = value if bind is None else bind(value)
            text = None if bound is None else bound.isoformat()
            last = (value, text)
        return text

    return as_text


def _copy_sql(
    statement: AnySelect | Insert, names: tuple[str, ...], dialect: Dialect
) -> str | None:
    """COPY of the bound columns, in the order the parameters come (psycopg only)."""
    if dialect.driver != "psycopg":
        return None
    assert isinstance(statement, Insert)
    quote, table = dialect.identifier_preparer, statement.table
    assert isinstance(table, Table)
    listed = ", ".join(quote.quote(table.c[name].name) for name in names)
    return f"COPY {quote.format_table(table)} ({listed}) FROM STDIN"


class DirectReads(Protocol):
    @property
    def dialect(self) -> Dialect: ...

    async def one(self, query: DirectQuery, **parameters: Any) -> Row | None: ...

    async def all(self, query: DirectQuery, **parameters: Any) -> list[Row]: ...

    def writing(self) -> AbstractAsyncContextManager["DirectWrite"] | None:
        """A write through the driver, to enter at once (on SQLite it holds the write lock
        already); None when SQLite's lock is another process's, so the write goes through
        the session, which waits for it in a worker thread."""

    async def close(self) -> None: ...


class DirectWrite(Protocol):
    """A write on the event loop through the driver, with no session, worker thread or
    SQLAlchemy between it and the database: all of it or nothing."""

    async def next_id(self, table: Table) -> int:
        """An id for a new row of `table`, drawn now, so that other rows can name it."""

    async def insert_into_each(self, rows: Mapping[Table, Mapping[str, Any]]) -> None:
        """A row into each table: the first with its id (`next_id`), the others with
        their defaults (see `insert_into_each`)."""


class _PostgresWrite:
    """An asyncpg connection, each statement its own transaction: the rows go in as one
    statement (PostgreSQL's data-modifying WITH), in one round trip."""

    def __init__(self, connection: asyncpg.Connection, dialect: Dialect) -> None:
        self._connection = connection
        self._dialect = dialect

    async def next_id(self, table: Table) -> int:
        compiled = next_postgres_ids(table).compiled_for(self._dialect)
        return int(
            await self._connection.fetchval(compiled.sql, *compiled.parameters({"count": 1}))
        )

    async def insert_into_each(self, rows: Mapping[Table, Mapping[str, Any]]) -> None:
        compiled = _inserts_into_each(tuple(rows)).compiled_for(self._dialect)
        await self._connection.execute(compiled.sql, *compiled.parameters(rows_into_each(rows)))


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


@cache
def _inserts_into_each(tables: tuple[Table, ...]) -> DirectQuery:
    return insert_into_each(*tables)


@cache
def _insert_one(table: Table, *, with_id: bool) -> DirectQuery:
    return insert_of(table, with_id=with_id)


@contextmanager
def _unavailable_as_503(*errors: type[Exception]) -> Iterator[None]:
    """The driver's "cannot reach / busy" errors answered like the ORM's: 503."""
    try:
        yield
    except errors as exc:
        raise DatabaseUnavailable(str(exc)) from exc


class _SQLiteReads:
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
    connection: sqlite3.Connection, compiled: _Compiled, parameters: Mapping[str, Any]
) -> list[Row]:
    with _unavailable_as_503(sqlite3.OperationalError):
        cursor = connection.execute(compiled.sql, compiled.parameters(parameters))
        rows = cursor.fetchall()
    cursor.close()
    return [compiled.row(values) for values in rows]


# The server is down, restarting, refusing connections or gone mid-query.
_UNREACHABLE = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InsufficientResourcesError,
    asyncpg.OperatorInterventionError,
    asyncpg.InterfaceError,
    # The protocol's own state broken by a connection lost mid-statement ("cannot switch
    # to state 12"): the connection is gone, the database may be fine a moment later.
    asyncpg.exceptions.InternalClientError,
)


# A transaction the server gave up (a deadlock, a serialization failure) or a statement
# prepared before the schema changed: the same request succeeds when sent again.
_RETRY_LATER = (asyncpg.TransactionRollbackError, asyncpg.InvalidCachedStatementError)


async def _keep_as_is(_connection: asyncpg.Connection) -> None:
    """asyncpg resets a connection given back to its pool (one more round trip per read).
    These run single statements, each its own transaction: no locks, settings or listeners
    are left."""


class _PostgresReads:
    """asyncpg pools on this event loop; statements are prepared once per connection.

    Three pools. Point lookups (`one`: the caller, a request by id) keep
    PostgreSQL's own choice, a generic plan after a few calls: as good as any for a key,
    and not planned again on every call, which a lookup's time shows. Lists and
    searches (`all`) are planned for the values given: a generic plan of a search or a
    filtered list cannot see how selective its words or values are, and on a large table
    runs far slower. Writers (`writing`) have a pool of their own, so that a write holding
    its connection for two round trips never keeps a caller waiting to be looked up. Each
    pool opens its connections only once it is used.
    """

    # JSON written as the ORM writes it (pydantic's serializer: datetimes, decimals).
    dialect = PGDialect_asyncpg(json_serializer=json_text)  # type: ignore[no-untyped-call]

    def __init__(self, settings: Settings) -> None:
        self._lookups = _LazyPool(settings, plan_cache_mode="auto")
        self._lists = _LazyPool(settings, plan_cache_mode="force_custom_plan")
        # Writers hold a connection for a few round trips: never the lookups' (callers').
        self._writes = _LazyPool(settings, plan_cache_mode="auto")

    async def one(self, query: DirectQuery, **parameters: Any) -> Row | None:
        rows = await self._lookups.fetch(query.compiled_for(self.dialect), parameters)
        return rows[0] if rows else None

    async def all(self, query: DirectQuery, **parameters: Any) -> list[Row]:
        return await self._lists.fetch(query.compiled_for(self.dialect), parameters)

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[DirectWrite]:
        async with self._writes.connection() as connection:
            yield _PostgresWrite(connection, self.dialect)

    async def close(self) -> None:
        await self._lookups.close()
        await self._lists.close()
        await self._writes.close()


class _LazyPool:
    def __init__(self, settings: Settings, *, plan_cache_mode: str) -> None:
        url = make_url(settings.database_url).set(drivername="postgresql")
        self._pool = asyncpg.create_pool(
            url.render_as_string(hide_password=False),
            min_size=0,
            # Each as many as the ORM pool keeps: a worker holds at most POOL_SIZE +
            # MAX_OVERFLOW (the ORM's) + 3 x POOL_SIZE, 50 with the defaults (README).
            max_size=settings.db_pool_size,
            timeout=CONNECT_TIMEOUT_SECONDS,
            reset=_keep_as_is,
            server_settings={"plan_cache_mode": plan_cache_mode},
        )
        self._ready = False

    async def fetch(self, compiled: _Compiled, parameters: Mapping[str, Any]) -> list[Row]:
        with _unavailable_as_503(*_UNREACHABLE):
            await self._opened()
            rows = await self._pool.fetch(compiled.sql, *compiled.parameters(parameters))
        return [compiled.row(values) for values in rows]

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        """A connection, each statement its own transaction. A broken rule (a row a foreign
        key needs, missing) comes out as SQLAlchemy's IntegrityError, as the app's handlers
        expect it."""
        with _unavailable_as_503(*_UNREACHABLE):
            await self._opened()
            try:
                async with self._pool.acquire() as connection:
                    yield connection
            except asyncpg.IntegrityConstraintViolationError as exc:
                raise IntegrityError(None, None, exc) from exc
            except _RETRY_LATER as exc:  # as the session's OperationalError: 503, retry
                raise DatabaseUnavailable(str(exc)) from exc

    async def _opened(self) -> None:
        if not self._ready:
            await self._pool
            self._ready = True

    async def close(self) -> None:
        if self._ready:
            await self._pool.close()


class DirectReaders:
    """The app's direct readers: one per event loop, as the drivers' connections are
    (one per server process; the test client may run several loops)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._by_loop: WeakKeyDictionary[asyncio.AbstractEventLoop, DirectReads] = (
            WeakKeyDictionary()
        )
        # A server has one loop: the last one asked for skips the weak-keyed lookup.
        self._last: tuple[Callable[[], asyncio.AbstractEventLoop | None], DirectReads | None]
        self._last = (lambda: None, None)

    def here(self) -> DirectReads:
        loop = asyncio.get_running_loop()
        last_loop, last_reads = self._last
        if last_loop() is loop and last_reads is not None:
            return last_reads
        reads = self._by_loop.get(loop)
        if reads is None:
            settings = self._settings
            reads = _SQLiteReads(settings) if settings.is_sqlite else _PostgresReads(settings)
            self._by_loop[loop] = reads
        self._last = (weakref.ref(loop), reads)
        return reads

    async def close(self) -> None:
        self._last = (lambda: None, None)
        reads = self._by_loop.pop(asyncio.get_running_loop(), None)
        if reads is not None:
            await reads.close()


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

    compiled: _Compiled
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
    driver: sqlite3.Connection, compiled: _Compiled, rows: list[list[Any]]
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


async def direct_reads(request: Request) -> DirectReads:
    readers: DirectReaders = request.app.state.direct_readers
    return readers.here()


DirectReadsDep = Annotated[DirectReads, Depends(direct_reads)]
