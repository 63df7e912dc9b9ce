"""The `request.created` events of an import, written in bulk at its end.

An import inserts with bulk (executemany) INSERTs, which the session's flush hooks never
see (app/requests/journal.py writes their audit entries); and the outbox would load every
changed row at once at COMMIT. So the import writes the events itself, a batch at a time.
"""

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TypeVar

from pydantic_core import to_jsonable_python
from sqlalchemy import Table, insert, select
from sqlmodel import Session

from app.core.types import utcnow
from app.decisions.effective import current_decisions_of_needs
from app.events.outbox import EVENT_TABLE
from app.requests.journal import ENTITY, created_read
from app.requests.models import Request

EVENT_BATCH = 1000
T = TypeVar("T")
REQUEST: Table = Request.__table__  # type: ignore[attr-defined]


def announce_created_requests(session: Session, ids: list[int]) -> None:
    """A `request.created` event per id, with the request as GET /requests/{id} shows it.

    Their ids follow commit order as every event's do (see app/events/outbox.py).
    """
    for chunk in batches(ids, EVENT_BATCH):
        # Plain rows, not ORM objects: a new request has no decision of its own, so its
        # need's current decision (if any) is its effective one.
        rows = session.execute(select(REQUEST).where(REQUEST.c.id.in_(chunk))).mappings()
        requests = sorted(rows, key=lambda row: int(row["id"]))
        decisions = current_decisions_of_needs(
            session, list({row["need_id"] for row in requests if row["need_id"] is not None})
        )
        now = utcnow()
        events = [
            {
                "type": f"{ENTITY}.created",
                "occurred_at": now,
                "entity": ENTITY,
                "entity_id": row["id"],
                "data": to_jsonable_python(created_read(dict(row), decisions.get(row["need_id"]))),
            }
            for row in requests
        ]
        session.execute(insert(EVENT_TABLE), events)


def batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Lists of `size` items (the last may be shorter), taken as the iterable yields them."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch
