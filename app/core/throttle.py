"""Attempts counted against a limit in the database, so every server process counts the
same ones: logins, and the portal's request form. A row per key counts the attempts of
its window until it expires; reaching the limit refuses the key for a whole window
from then. One statement counts an attempt: parallel attempts queue on the row's lock."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, case, delete, or_, tuple_
from sqlalchemy import select as select_columns
from sqlmodel import Session

from app.core.db import insert_on_conflict
from app.core.types import UTCDateTime


@dataclass(frozen=True)
class Throttle:
    """A table of counts: `keys` name its primary key's columns, `count` the count's
    column; `expires_at` ends a row's window."""

    table: Table
    keys: tuple[str, ...]
    count: str

    def attempt(
        self,
        session: Session,
        key: Mapping[str, Any],
        *,
        limit: int,
        now: datetime,
        until: datetime,
    ) -> tuple[int, datetime]:
        """One more attempt on this key: the attempts now counted, and until when. Past
        `limit`, refused: roll back, so that a refused attempt does not count either."""
        columns = self.table.c
        expired = columns.expires_at <= now
        counted = case((expired, 1), else_=columns[self.count] + 1)
        later = bindparam("until", until, type_=UTCDateTime)
        upsert = insert_on_conflict(session, self.table).values(
            **key, **{self.count: 1}, expires_at=until
        )
        statement = upsert.on_conflict_do_update(
            index_elements=[columns[name] for name in self.keys],
            set_={
                self.count: counted,
                # A new window, or the limit reached: refused for a whole window from now.
                "expires_at": case(
                    (or_(expired, counted == limit), later), else_=columns.expires_at
                ),
            },
        ).returning(columns[self.count], columns.expires_at)
        attempts, expires_at = session.execute(statement).one()
        return attempts, expires_at

    def prune(self, session: Session, now: datetime, *, at_most: int) -> None:
        """Delete a batch of expired rows: each attempt adds at most a few, so the table
        holds little more than the rows still counting."""
        prune_expired(session, self.table, self.keys, now, at_most=at_most)


def prune_expired(
    session: Session, table: Table, keys: tuple[str, ...], now: datetime, *, at_most: int
) -> None:
    """Delete up to `at_most` rows whose expires_at has passed, oldest first, skipping
    rows another transaction holds: a table that gains a few rows per write stays small
    when each such write prunes a batch."""
    key_columns = tuple_(*(table.c[name] for name in keys))
    expired = (
        select_columns(*(table.c[name] for name in keys))
        .where(table.c.expires_at <= now)
        .order_by(table.c.expires_at)
        .limit(at_most)
        .with_for_update(skip_locked=True)  # PostgreSQL: never wait for another's row
    )
    session.execute(delete(table).where(key_columns.in_(expired), table.c.expires_at <= now))
