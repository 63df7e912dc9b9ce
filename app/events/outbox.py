"""Every committed write appends its events in the same transaction (outbox pattern).

Domains register a publisher: given ids of changed rows, the resources as the API shows
them. During a request, flushed changes are collected; just before COMMIT the events
are built from the resources as they are then, and inserted. Event ids follow commit
order, so a poller following the cursor can never skip one: SQLite's writers are
serialized, and on PostgreSQL a trigger deferred to COMMIT gives them their ids
(migration b5e08d2c4f17).
"""

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import Table, event, insert, select
from sqlalchemy.orm import Session, UOWTransaction

from app.core.changes import column_values, flushed_changes
from app.core.types import utcnow
from app.events.models import Event

Publisher = Callable[[Session, list[int]], dict[int, Any]]

_PENDING = "reqtrack_pending_events"
EVENT_TABLE: Table = Event.__table__  # type: ignore[attr-defined]
# Table name -> (entity name, publisher, verb renames; a verb renamed to None is not sent).
_publishers: dict[str, tuple[str, Publisher, dict[str, str | None]]] = {}


def publish(
    table: str, entity: str, publisher: Publisher, verbs: dict[str, str | None] | None = None
) -> None:
    """Announce changes of `table` as `<entity>.created|updated|deleted` events."""
    _publishers[table] = (entity, publisher, verbs or {})


def publish_resources(
    model: Any,
    entity: str,
    reads: Callable[[Any, list[Any]], Iterable[Any]],  # (a session, the changed rows)
    verbs: dict[str, str | None] | None = None,
) -> None:
    """Announce changes of `model`'s rows, each event carrying the resource as `reads`
    makes it of the changed rows (as the API answers it). Each domain registers its own,
    next to the service that writes it: whatever process writes, its events are sent."""

    def publisher(session: Session, ids: list[int]) -> dict[int, Any]:
        rows = session.execute(select(model).where(model.id.in_(ids))).scalars()
        return {resource.id: resource for resource in reads(session, list(rows))}

    publish(model.__tablename__, entity, publisher, verbs)


def announce(session: Session, entity: str, entity_id: int, verb: str, data: Any) -> None:
    """An event the row hooks cannot infer (a merge, a promise turning suspect)."""
    session.info.setdefault(_PENDING, []).append(
        (f"{entity}.{verb}", entity, entity_id, to_jsonable_python(data))
    )


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _context: UOWTransaction) -> None:
    changes: dict[tuple[str, int], str] = session.info.setdefault("reqtrack_changes", {})
    for verb, obj in flushed_changes(session):
        table = getattr(obj, "__tablename__", "")
        if table not in _publishers:
            continue
        key = (table, obj.id)
        # created then updated in one transaction is still "created".
        if verb == "deleted" or key not in changes:
            changes[key] = verb
        if verb == "deleted":
            session.info.setdefault("reqtrack_deleted", {})[key] = column_values(obj)


@event.listens_for(Session, "before_commit")
def _write_events(session: Session) -> None:
    changes: dict[tuple[str, int], str] = session.info.pop("reqtrack_changes", {})
    deleted: dict[tuple[str, int], Any] = session.info.pop("reqtrack_deleted", {})
    rows = [
        event_row(type_, entity, entity_id, data)
        for type_, entity, entity_id, data in session.info.pop(_PENDING, [])
    ]
    for table, (entity, publisher, renames) in _publishers.items():
        ids = [i for (t, i), verb in changes.items() if t == table and verb != "deleted"]
        resources = publisher(session, ids) if ids else {}
        for (t, entity_id), verb in sorted(changes.items(), key=lambda c: c[0][1]):
            name = renames.get(verb, verb)
            if t != table or name is None:
                continue
            data = deleted.get((t, entity_id)) if verb == "deleted" else resources.get(entity_id)
            rows.append(event_row(f"{entity}.{name}", entity, entity_id, to_jsonable_python(data)))
    if not rows:
        return
    session.connection().execute(insert(EVENT_TABLE), rows)


def event_row(
    type_: str, entity: str, entity_id: int, data: Any, *, at: datetime | None = None
) -> dict[str, Any]:
    """An event as a row of the change feed: the one shape, whatever writes it (these
    hooks, or a write through the driver that no hook sees)."""
    return {
        "type": type_,
        "occurred_at": at or utcnow(),
        "entity": entity,
        "entity_id": entity_id,
        "data": data,
    }
