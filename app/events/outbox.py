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

from app.core.changes import Change, flushed_changes
from app.core.types import utcnow
from app.events.models import Event
from app.events.types import known_event_types, register

Publisher = Callable[[Session, list[int]], dict[int, Any]]

_PENDING = "reqtrack_pending_events"
_CHANGES = "reqtrack_changes"
EVENT_TABLE: Table = Event.__table__  # type: ignore[attr-defined]
# Table name -> (entity name, publisher, verb renames; a verb renamed to None is not sent).
_publishers: dict[str, tuple[str, Publisher, dict[str, str | None]]] = {}


def publish(
    table: str,
    entity: str,
    publisher: Publisher,
    verbs: dict[str, str | None] | None = None,
    announces: tuple[str, ...] = (),
) -> None:
    """Announce changes of `table` as `<entity>.created|updated|deleted` events (renamed
    or dropped by `verbs`), and declare the verbs `announce` adds for it."""
    renames = verbs or {}
    _publishers[table] = (entity, publisher, renames)
    row_verbs = [renames.get(verb, verb) for verb in ("created", "updated", "deleted")]
    register(entity, [verb for verb in row_verbs if verb is not None] + list(announces))


def publish_resources(
    model: Any,
    entity: str,
    reads: Callable[[Any, list[Any]], Iterable[Any]],  # (a session, the changed rows)
    verbs: dict[str, str | None] | None = None,
    announces: tuple[str, ...] = (),
) -> None:
    """Announce changes of `model`'s rows, each event carrying the resource as `reads`
    makes it of the changed rows (as the API answers it). Each domain registers its own,
    next to the service that writes it: whatever process writes, its events are sent."""

    def publisher(session: Session, ids: list[int]) -> dict[int, Any]:
        rows = session.execute(select(model).where(model.id.in_(ids))).scalars()
        return {resource.id: resource for resource in reads(session, list(rows))}

    publish(model.__tablename__, entity, publisher, verbs, announces)


def announce(session: Session, entity: str, entity_id: int, verb: str, data: Any) -> None:
    """An event the row hooks cannot infer (a merge, a promise turning suspect); its
    verb is declared where the entity is published."""
    assert f"{entity}.{verb}" in known_event_types(), f"{entity}.{verb} is not declared"
    session.info.setdefault(_PENDING, []).append(
        (f"{entity}.{verb}", entity, entity_id, to_jsonable_python(data))
    )


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _context: UOWTransaction) -> None:
    changes: dict[tuple[str, int], Change] = session.info.setdefault(_CHANGES, {})
    for change in flushed_changes(session, _publishers):
        key = (change.table, change.row_id)
        # created then updated in one transaction is still "created".
        if change.verb == "deleted" or key not in changes:
            changes[key] = change


@event.listens_for(Session, "before_commit")
def _write_events(session: Session) -> None:
    changes: dict[tuple[str, int], Change] = session.info.pop(_CHANGES, {})
    rows = [
        event_row(type_, entity, entity_id, data)
        for type_, entity, entity_id, data in session.info.pop(_PENDING, [])
    ]
    for table, (_entity, publisher, _renames) in _publishers.items():
        ids = [i for (t, i), change in changes.items() if t == table and change.verb != "deleted"]
        resources = publisher(session, ids) if ids else {}
        of_table = [change for (t, _), change in sorted(changes.items(), key=_by_id) if t == table]
        rows += event_rows(of_table, resources)
    if not rows:
        return
    session.connection().execute(insert(EVENT_TABLE), rows)


def event_rows(
    changes: Iterable[Change], resources: dict[int, Any], *, at: datetime | None = None
) -> list[dict[str, Any]]:
    """The events of these changes, as rows: `<entity>.<verb>` carrying the resource as
    the API answers it (a deleted row's last columns). What the commit hook writes, and
    what a write through the driver, which no hook sees, writes with its rows."""
    rows = []
    for change in changes:
        if change.table not in _publishers:
            continue
        entity, _publisher, renames = _publishers[change.table]
        name = renames.get(change.verb, change.verb)
        if name is None:
            continue
        data = change.before if change.verb == "deleted" else resources.get(change.row_id)
        # The data becomes JSON as it is bound (json_text), like every JSON column.
        rows.append(event_row(f"{entity}.{name}", entity, change.row_id, data, at=at))
    return rows


def _by_id(item: tuple[tuple[str, int], Change]) -> int:
    return item[0][1]


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
