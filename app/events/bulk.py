"""The events of a bulk write (an import): thousands at once, given their final ids once.

Other writes insert their events with draft ids that a trigger renumbers at COMMIT
(migration b5e08d2c4f17): an UPDATE of each, under the feed lock every writer's COMMIT
waits for, a long wait for an import's many events. On PostgreSQL a bulk write
stages its events in a temporary table instead (PostgreSQL lets every role create them
unless TEMP is revoked) and, as its session commits, reserves their ids
(`event_ids_reserved`, migration e3f9a0c5d7b1: it holds the feed lock from there to
COMMIT) and moves them into the feed in one statement. SQLite's writers are serialized:
there the events go straight in, their ids in commit order already.
"""

from functools import partial
from typing import Any

from sqlalchemy import Column, MetaData, Table, event, func, select, text
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session

from app.core.direct import BoundRows, SessionDriver, insert_of
from app.events.outbox import EVENT_TABLE

# The events' columns; id is an event's position among the write's events.
_STAGED = Table("staged_event", MetaData(), *(Column(c.name, c.type) for c in EVENT_TABLE.c))
_COLUMNS = ", ".join(c.name for c in EVENT_TABLE.c if c.name != "id")
_STAGE = text("CREATE TEMPORARY TABLE staged_event (LIKE event) ON COMMIT DROP")
_PUBLISH = text(
    f"INSERT INTO event (id, {_COLUMNS}) SELECT :first_id + id, {_COLUMNS} FROM staged_event"  # noqa: S608  (column names of our own table)
)
_INSERT_STAGED = insert_of(_STAGED, with_id=True)
_INSERT_EVENT = insert_of(EVENT_TABLE)


class BulkEvents:
    """Events added in batches, in the feed in the order added once the session commits
    (`publish_at_commit`); nothing is published if the transaction rolls back."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._driver = SessionDriver(session)
        self._staged = session.get_bind().dialect.name == "postgresql"
        self._count = 0
        if self._staged:
            session.execute(_STAGE)

    def bound(self, events: list[dict[str, Any]]) -> BoundRows:
        """A batch of rows of the event table (without ids), bound to be inserted, in the
        order added, by `SessionDriver.insert` (from any thread)."""
        if not self._staged:
            return self._driver.bound(_INSERT_EVENT, events)
        first = self._count
        staged = [row | {"id": first + i} for i, row in enumerate(events)]
        self._count += len(events)
        return self._driver.bound(_INSERT_STAGED, staged)

    def publish_at_commit(self) -> None:
        """Publish the events as the session commits, within its call to COMMIT: the feed
        lock is then held for the COMMIT alone, never while the answer is on its way to
        it (every other writer's COMMIT waits for it meanwhile)."""
        if self._staged:
            transaction = self._session.get_transaction()
            publish = partial(self._publish, transaction)
            event.listen(self._session, "before_commit", publish, once=True)

    def _publish(self, transaction: SessionTransaction | None, session: Session) -> None:
        if session.get_transaction() is not transaction:
            return  # rolled back since: the staged events went with it
        if self._count:
            reserved = select(func.event_ids_reserved(self._count))
            first_id = session.execute(reserved).scalar_one()
            session.execute(_PUBLISH, {"first_id": first_id})
        session.execute(text("DROP TABLE staged_event"))
