"""Every write is audited in its own transaction, whichever service made it.

A session hook sees each flushed insert, update and delete of an audited table and
writes an audit row through the same connection: the change and its record commit
or roll back together. Actions that are more than one row change (a merge) are
recorded explicitly with `record`.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import event, insert
from sqlalchemy.orm import Session, UOWTransaction

from app.audit.models import AuditEntry
from app.auth.models import Principal
from app.core.changes import Change, flushed_changes
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
    rows = audit_entries(flushed_changes(session, AUDITED_ENTITIES), session.info.get(ACTOR_KEY))
    if rows:
        session.connection().execute(insert(AuditEntry), rows)


def audit_entries(
    changes: Iterable[Change], actor: Principal | None, *, at: datetime | None = None
) -> list[dict[str, Any]]:
    """The audit entries of these changes, as rows: what the flush hook writes, and what a
    write through the driver, which no hook sees, writes with its rows."""
    at = at or utcnow()
    return [
        # The snapshots become JSON as they are bound (json_text), like every JSON column.
        audit_row(
            actor, entity, change.row_id, ACTIONS[change.verb], change.before, change.after, at=at
        )
        for change in changes
        if (entity := AUDITED_ENTITIES.get(change.table)) is not None
    ]


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
    """An audit entry as a row: the one shape, for a change and for an action (`record`)."""
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
