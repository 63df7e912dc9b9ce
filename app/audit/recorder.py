"""Every write is audited in its own transaction, whichever service made it.

A session hook sees each flushed insert, update and delete of an audited table and
writes an audit row through the same connection: the change and its record commit
or roll back together. Actions that are more than one row change (a merge) are
recorded explicitly with `record`.
"""

from datetime import datetime
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session, UOWTransaction

from app.audit.models import AuditEntry
from app.auth.models import Principal
from app.core.changes import SECRET_COLUMNS, flushed_changes
from app.core.db import ACTOR_KEY
from app.core.types import utcnow

# Table name -> entity name in the audit log (singular snake_case, as the API says).
AUDITED_ENTITIES = {
    "stakeholder": "stakeholder",
    "request": "request",
    "need": "need",
    "roadmap_item": "roadmap_item",
    "decision": "decision",
    "user_account": "user",
    "service_token": "service_token",
    "webhook": "webhook",
}
ACTIONS = {"created": "create", "updated": "update", "deleted": "delete"}


def record(
    session: Session,
    *,
    entity: str,
    entity_id: int,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    """Record an action the row hooks cannot see as such (e.g. a merge)."""
    row = _entry(session, entity, entity_id, action, before, after)
    session.connection().execute(insert(AuditEntry), [row])


@event.listens_for(Session, "after_flush")
def _record_flushed_changes(session: Session, _context: UOWTransaction) -> None:
    rows = []
    for verb, obj in flushed_changes(session):
        entity = AUDITED_ENTITIES.get(getattr(obj, "__tablename__", ""))
        if entity is None:
            continue
        action = ACTIONS[verb]
        before, after = _snapshots(obj, action)
        rows.append(_entry(session, entity, obj.id, action, before, after))
    if rows:
        session.connection().execute(insert(AuditEntry), rows)


def _snapshots(obj: Any, action: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    state = inspect(obj)
    current, previous = {}, {}
    for column in state.mapper.column_attrs:
        name = column.key
        if name in SECRET_COLUMNS:
            continue
        history = state.attrs[name].history
        value = getattr(obj, name)
        current[name] = value
        previous[name] = history.deleted[0] if history.deleted else value
    version = state.mapper.version_id_col
    if action == "update" and version is not None:
        # SQLAlchemy bumps the version itself and keeps no history of it: the one the
        # row had before this update is one less.
        key = state.mapper.get_property_by_column(version).key
        previous[key] = current[key] - 1
    before = None if action == "create" else to_jsonable_python(previous)
    after = None if action == "delete" else to_jsonable_python(current)
    return before, after


def _entry(
    session: Session,
    entity: str,
    entity_id: int,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> dict[str, Any]:
    actor: Principal | None = session.info.get(ACTOR_KEY)
    return audit_row(actor, entity, entity_id, action, before, after)


def audit_row(
    actor: Principal | None,
    entity: str,
    entity_id: int,
    action: str,
    before: Any,
    after: Any,
    *,
    at: datetime | None = None,
) -> dict[str, Any]:
    """An audit entry as a row: the one shape, whatever writes it (these hooks, or a
    write through the driver that no hook sees)."""
    return {
        "occurred_at": at or utcnow(),
        "actor_type": actor.kind if actor else "system",
        "actor_id": actor.id if actor else None,
        "actor_label": actor.label if actor else None,
        "entity": entity,
        "entity_id": entity_id,
        "action": action,
        "before": before,
        "after": after,
    }
