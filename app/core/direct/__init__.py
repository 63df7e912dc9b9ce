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
import weakref
from collections.abc import Callable
from typing import Annotated
from weakref import WeakKeyDictionary

from fastapi import Depends, Request

from app.core.config import Settings
from app.core.direct.in_session import BoundRows, SessionDriver, execute_in_session
from app.core.direct.inserts import (
    insert_into_each,
    insert_of,
    last_sqlite_id,
    next_postgres_ids,
    rows_into_each,
)
from app.core.direct.postgres import PostgresReads
from app.core.direct.protocols import DirectReads, DirectWrite
from app.core.direct.query import AnySelect, DirectQuery, Row
from app.core.direct.sqlite import SQLiteReads

# What the app imports; the underscored names the modules share stay inside the package.
__all__ = [
    "AnySelect",
    "BoundRows",
    "DirectQuery",
    "DirectReaders",
    "DirectReads",
    "DirectReadsDep",
    "DirectWrite",
    "Row",
    "SessionDriver",
    "direct_reads",
    "execute_in_session",
    "insert_into_each",
    "insert_of",
    "last_sqlite_id",
    "next_postgres_ids",
    "rows_into_each",
]


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
            reads = SQLiteReads(settings) if settings.is_sqlite else PostgresReads(settings)
            self._by_loop[loop] = reads
        self._last = (weakref.ref(loop), reads)
        return reads

    async def close(self) -> None:
        self._last = (lambda: None, None)
        reads = self._by_loop.pop(asyncio.get_running_loop(), None)
        if reads is not None:
            await reads.close()


async def direct_reads(request: Request) -> DirectReads:
    readers: DirectReaders = request.app.state.direct_readers
    return readers.here()


DirectReadsDep = Annotated[DirectReads, Depends(direct_reads)]
