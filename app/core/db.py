"""Engine and the per-request session for SQLite and PostgreSQL."""

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, TypeVar
from weakref import WeakKeyDictionary

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from pydantic_core import to_json
from sqlalchemy import Engine, Table, create_engine, event, make_url
from sqlalchemy.dialects.postgresql import Insert as PostgresInsert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import Insert as SQLiteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, SQLModel

from app.core.checkpoints import AUTOCHECKPOINT_PAGES
from app.core.config import Settings, get_settings
from app.core.errors import Conflict

UNICODE_LOWER = "reqtrack_lower"
# A page cache of up to 16 MiB per connection (SQLite's default is 2 MiB) for large
# databases. (Not mmap: each connection's mapping would count its pages in the RSS again.)
SQLITE_READ_PRAGMAS = ("PRAGMA cache_size=-16384",)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Execution option that makes SQLite take the write lock when the transaction starts.
WRITE_INTENT = "reqtrack_write_intent"
# With WRITE_INTENT on SQLite: fail at once if another process holds the write lock.
NO_WAIT = "reqtrack_no_wait"
# Session info: the principal the audit log names for this session's changes.
ACTOR_KEY = "reqtrack_actor"
# The settings of the app a session serves (tests run apps with settings of their own).
SETTINGS_KEY = "reqtrack_settings"
T = TypeVar("T")


def make_engine(settings: Settings) -> Engine:
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        return _make_sqlite_engine(settings)
    return create_engine(
        url,
        hide_parameters=True,  # errors and logs never show values (hashes, personal data)
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_pre_ping=True,
        json_serializer=json_text,
    )


def json_text(value: Any) -> str:
    """JSON columns (audit snapshots, event data) written by pydantic's serializer: much
    faster than the standard library's, and an import writes two of them a row."""
    return to_json(value).decode()


def _make_sqlite_engine(settings: Settings) -> Engine:
    url = make_url(settings.database_url)
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        hide_parameters=True,  # errors and logs never show values (hashes, personal data)
        connect_args={"check_same_thread": False},
        # The connection used last first: SQLite keeps a page cache per connection, valid
        # until another connection writes; writers one after another on one connection
        # keep it warm (docs/performance.md, "Notices").
        pool_use_lifo=True,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        json_serializer=json_text,
    )
    busy_timeout = settings.sqlite_busy_timeout_ms

    @event.listens_for(engine, "connect")
    def configure_connection(dbapi_connection: Any, _record: Any) -> None:
        configure_sqlite_connection(dbapi_connection, busy_timeout_ms=busy_timeout)

    @event.listens_for(engine, "begin")
    def begin_transaction(connection: Connection) -> None:
        # A deferred transaction that later writes can fail with "database is locked"
        # without waiting; writers take the lock up front so busy_timeout applies.
        options = connection.get_execution_options()
        if not options.get(WRITE_INTENT, False):
            connection.exec_driver_sql("BEGIN")
        elif not options.get(NO_WAIT, False):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:  # the lock now or "database is locked" now, never a wait
            driver = connection.connection.dbapi_connection
            assert driver is not None
            driver.execute("PRAGMA busy_timeout=0")
            try:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            finally:
                driver.execute(f"PRAGMA busy_timeout={int(busy_timeout)}")

    return engine


def configure_sqlite_connection(dbapi_connection: Any, *, busy_timeout_ms: int) -> None:
    """What every connection that writes to the SQLite file needs (the engine's, and the
    direct writer's in app/core/direct/)."""
    # Let SQLAlchemy (or the direct writer), not pysqlite, decide when a transaction begins.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # The server's checkpoints run in a thread of their own (app/core/checkpoints.py).
    cursor.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")
    for pragma in SQLITE_READ_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()
    # Unicode-aware lower(): SQLite's own folds ASCII only, so "Ü" would not find "ü".
    dbapi_connection.create_function(UNICODE_LOWER, 1, _unicode_lower, deterministic=True)


def _unicode_lower(value: str | None) -> str | None:
    return value.lower() if isinstance(value, str) else value


def is_write(request: Request) -> bool:
    return request.method not in SAFE_METHODS


async def write_intent(request: Request) -> bool:
    return is_write(request)


# Loaded rows are locked (FOR UPDATE) on writes, so concurrent writers queue instead of
# failing on a stale version; SQLite ignores it (its writers are serialized anyway).
WriteIntent = Annotated[bool, Depends(write_intent)]


@dataclass
class _Turns:
    """How many requests may use the database at once, and SQLite's single writer."""

    sessions: asyncio.Semaphore
    sqlite_writer: asyncio.Lock


# Per event loop: one per process in production; the test client runs several.
_turns: "WeakKeyDictionary[asyncio.AbstractEventLoop, _Turns]" = WeakKeyDictionary()


@asynccontextmanager
async def turn(settings: Settings, *, write: bool) -> AsyncIterator[None]:
    """Wait for the database on the event loop, never in a worker thread.

    A request blocked inside the database (on SQLite's write lock, a row lock or an empty
    pool) holds a worker thread; enough of them starve the pool, and the request that holds
    the lock cannot get a thread to commit. So at most as many requests as the pool keeps
    connections get that far, and SQLite writers go one at a time.
    """
    turns = _turns.get(asyncio.get_running_loop())
    if turns is None:
        # The pool's kept connections, not its overflow: an overflow connection is opened
        # for one session and closed after it (a new PostgreSQL backend per request under
        # load); the overflow serves work outside turns.
        turns = _Turns(
            sessions=asyncio.Semaphore(settings.db_pool_size), sqlite_writer=asyncio.Lock()
        )
        _turns[asyncio.get_running_loop()] = turns
    async with AsyncExitStack() as stack:
        if settings.is_sqlite and write:
            await stack.enter_async_context(turns.sqlite_writer)
        await stack.enter_async_context(turns.sessions)
        yield


def open_session(engine: Engine, *, write: bool) -> Session:
    """A session; a write's transaction takes SQLite's write lock as it begins, at its
    first statement (so the wait happens where that statement runs, in a worker thread)."""
    return Session(_for_writes(engine) if write else engine, expire_on_commit=False)


# Made once per engine, not once per write (a few percent of POST /requests); the app
# has one engine, the tests a few at a time.
@lru_cache(maxsize=8)
def _for_writes(engine: Engine) -> Engine:
    return engine.execution_options(**{WRITE_INTENT: True})


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One transaction per request, in its turn (see `turn`), committed before the
    response is sent.

    Async, with the database work in worker threads: a route that never touches its
    session (most reads take the direct path) costs no thread hop at all, and a write's
    transaction begins in the thread of its first statement.
    """
    async with turn(request.app.state.settings, write=is_write(request)):
        session = open_session(request.app.state.engine, write=is_write(request))
        # Set by current_principal, which runs before the routes' own dependencies.
        session.info[ACTOR_KEY] = getattr(request.state, "principal", None)
        session.info[SETTINGS_KEY] = request.app.state.settings
        try:
            yield session
            if session.in_transaction():
                await run_in_threadpool(session.commit)
        finally:
            if session.in_transaction():
                await run_in_threadpool(session.close)
            else:
                session.close()


async def write_and_commit(
    session: Session, write: Callable[[], T], *, grows_with_data: bool = False
) -> T:
    """Run a route's write and commit it: on the event loop when SQLite's write lock is
    free, else in one worker-thread hop.

    This process's SQLite writers already take turns on the loop (`turn`), and a write of
    a fixed size takes a fraction of a millisecond: inline it saves the hop to a thread and
    back, a large part of a POST's time. Waiting must not happen on the loop, so a write
    goes inline only once the lock is taken without waiting, and only if its size does not
    grow with the data (`grows_with_data`: a need's decision answers every request under
    it). Otherwise, and on PostgreSQL (every statement a network round trip), it runs in a
    thread, where one hop for the write and COMMIT keeps the time the lock is held short.
    """

    def write_then_commit() -> T:
        result = write()
        session.commit()
        return result

    if not grows_with_data and _sqlite_write_lock_taken_at_once(session):
        return write_then_commit()
    return await run_in_threadpool(write_then_commit)


def _sqlite_write_lock_taken_at_once(session: Session) -> bool:
    # A session already in a transaction (an Idempotency-Key's claim) may or may not hold
    # the lock yet: that one goes to a thread, where waiting does no harm.
    if session.get_bind().dialect.name != "sqlite" or session.in_transaction():
        return False
    try:
        session.connection(execution_options={NO_WAIT: True})
    except OperationalError:  # another writer holds the lock: wait for it in a thread
        session.rollback()
        return False
    return True


# scope="function" closes the dependency (and commits) before the response is built,
# so a failed commit turns into an error response instead of a lost 2xx.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def insert_on_conflict(session: Session, table: Table) -> SQLiteInsert | PostgresInsert:
    """An INSERT that can say what to do ON CONFLICT, in the session's database's words."""
    dialect_insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
    return dialect_insert(table)


def insert_if_absent(session: Session, row: SQLModel) -> None:
    """INSERT ... ON CONFLICT DO NOTHING on either database: safe when racing."""
    table = type(row).__table__  # type: ignore[attr-defined]
    values = row.model_dump(exclude_none=True)
    session.execute(insert_on_conflict(session, table).values(**values).on_conflict_do_nothing())


def consistent_snapshot(session: Session) -> None:
    """Let the following reads see one state of the database, as a report must.

    SQLite's transaction already reads one snapshot. On PostgreSQL each statement of a
    READ COMMITTED transaction sees the latest commits, so end the transaction that
    authenticated the caller and read on in a REPEATABLE READ one.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    session.commit()
    session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def delete_unless_referenced(session: Session, row: SQLModel, refusal: str) -> None:
    """Delete the row, or raise Conflict(refusal) when a key that points at it (ON DELETE
    RESTRICT) refuses: the database says it, in the same statement, with no race."""
    session.delete(row)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(refusal) from None


def settings_of(session: Session) -> Settings:
    """The settings of the app the session serves; the environment's outside one (the
    command line)."""
    settings = session.info.get(SETTINGS_KEY)
    return settings if isinstance(settings, Settings) else get_settings()
