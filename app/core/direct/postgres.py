"""Direct reads and writes on PostgreSQL: asyncpg pools on the event loop."""

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from functools import cache
from typing import Any

import asyncpg
from sqlalchemy import Dialect, Table, make_url
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.exc import IntegrityError

from app.core.config import Settings
from app.core.db import json_text
from app.core.direct.errors import unavailable_as_503
from app.core.direct.inserts import insert_into_each, next_postgres_ids, rows_into_each
from app.core.direct.protocols import DirectWrite
from app.core.direct.query import Compiled, DirectQuery, Row
from app.core.errors import DatabaseUnavailable

CONNECT_TIMEOUT_SECONDS = 5


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


@cache
def _inserts_into_each(tables: tuple[Table, ...]) -> DirectQuery:
    return insert_into_each(*tables)


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


class PostgresReads:
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

    async def fetch(self, compiled: Compiled, parameters: Mapping[str, Any]) -> list[Row]:
        with unavailable_as_503(*_UNREACHABLE):
            await self._opened()
            rows = await self._pool.fetch(compiled.sql, *compiled.parameters(parameters))
        return [compiled.row(values) for values in rows]

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        """A connection, each statement its own transaction. A broken rule (a row a foreign
        key needs, missing) comes out as SQLAlchemy's IntegrityError, as the app's handlers
        expect it."""
        with unavailable_as_503(*_UNREACHABLE):
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
