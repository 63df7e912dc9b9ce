"""What a direct reader offers the app (`DirectReads`), and a write through it
(`DirectWrite`), whichever the database."""

from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from sqlalchemy import Dialect, Table

from app.core.direct.query import DirectQuery, Row


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
