"""What a flush wrote, for the hooks that record it (the audit log, the change feed)."""

from collections.abc import Iterator
from typing import Any, Literal

from sqlalchemy.orm import Session

Verb = Literal["created", "updated", "deleted"]
# Secrets never leave their table: not in the audit log, not in events, not even hashed.
SECRET_COLUMNS = frozenset({"password_hash", "token_hash", "secret"})


def flushed_changes(session: Session) -> Iterator[tuple[Verb, Any]]:
    """Each row object the flush inserted, really changed or deleted (call in after_flush)."""
    for obj in session.new:
        yield "created", obj
    for obj in session.dirty:
        if session.is_modified(obj):
            yield "updated", obj
    for obj in session.deleted:
        yield "deleted", obj


def column_values(obj: Any) -> dict[str, Any]:
    """The row's columns as they are now, secrets left out."""
    return {
        c.key: getattr(obj, c.key) for c in obj.__table__.columns if c.key not in SECRET_COLUMNS
    }
