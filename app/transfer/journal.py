"""The audit entries and `request.created` events of an import, written in bulk.

An import inserts with bulk (executemany) INSERTs, which the session's flush hooks (the
audit recorder, the outbox) never see; and the outbox would load every changed row at
once at COMMIT. So the import writes the same audit entries and events itself, a batch at a
time: what app/audit/recorder.py and app/events/outbox.py write for a created row.
"""

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any, TypeVar

from pydantic_core import to_jsonable_python
from sqlalchemy import RowMapping, Table, insert, select, text
from sqlmodel import Session

from app.audit.models import AuditEntry
from app.auth.models import Principal
from app.core.types import utcnow
from app.decisions.effective import current_decisions_of_needs
from app.decisions.models import DecisionRead
from app.events.models import Event
from app.events.outbox import FEED_LOCK_ID
from app.requests.models import Request, RequestRead
from app.requests.service import derived_status

ENTITY = "request"
EVENT_BATCH = 1000
T = TypeVar("T")
REQUEST: Table = Request.__table__  # type: ignore[attr-defined]


def audit_created_requests(
    session: Session, rows: list[dict[str, Any]], creator: Principal
) -> None:
    """One `create` entry per inserted row (every column, as the recorder's snapshot)."""
    now = utcnow()
    entries = [
        {
            "occurred_at": now,
            "actor_type": creator.kind,
            "actor_id": creator.id,
            "actor_label": creator.label,
            "entity": ENTITY,
            "entity_id": row["id"],
            "action": "create",
            "before": None,
            "after": to_jsonable_python(row),
        }
        for row in rows
    ]
    session.execute(insert(AuditEntry), entries)


def announce_created_requests(session: Session, ids: list[int]) -> None:
    """A `request.created` event per id, with the request as GET /requests/{id} shows it.

    Written last, just before COMMIT, as the outbox writes its own: on PostgreSQL the feed
    lock is taken first and held to COMMIT, so event ids still follow commit order.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SELECT pg_advisory_xact_lock({FEED_LOCK_ID})"))
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
                "data": to_jsonable_python(_read(row, decisions.get(row["need_id"]))),
            }
            for row in requests
        ]
        session.execute(insert(Event), events)


def _read(row: RowMapping, decision: DecisionRead | None) -> RequestRead:
    status = derived_status(need_id=row["need_id"], decided=decision is not None)
    return RequestRead.model_validate({**row, "status": status, "decision": decision})


def batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Lists of `size` items (the last may be shorter), taken as the iterable yields them."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch
