"""What rows inserted through the driver leave behind: their audit entries and events.

No session hook sees a write through the driver (a plain POST /requests, the import),
so it writes its records with its rows: made from the same `Change`s by the same
functions as the hooks make theirs (`audit_entries`, `event_rows`), so that a rule of
either applies to every path.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table

from app.audit.models import AuditEntry
from app.audit.recorder import audit_entries
from app.auth.models import Principal
from app.core.changes import Change
from app.core.direct import insert_of
from app.core.types import utcnow
from app.events.outbox import EVENT_TABLE, event_rows

AUDIT_TABLE: Table = AuditEntry.__table__  # type: ignore[attr-defined]
INSERT_AUDIT = insert_of(AUDIT_TABLE)


@dataclass(frozen=True)
class Journal:
    """The records of inserted rows, as rows of AUDIT_TABLE and EVENT_TABLE."""

    audit_entries: list[dict[str, Any]]
    events: list[dict[str, Any]]

    def of_one(self) -> dict[Table, dict[str, Any]]:
        """The records of a single row inserted, by table (for `insert_into_each`)."""
        (audit_entry,), (event,) = self.audit_entries, self.events
        return {AUDIT_TABLE: audit_entry, EVENT_TABLE: event}


def journal_of(
    table: Table, rows: Sequence[Mapping[str, Any]], actor: Principal, resources: Mapping[int, Any]
) -> Journal:
    """The records of `rows` just inserted into `table` (every column, id included), each
    event carrying `resources[id]`: the row as the API answers it."""
    changes = [Change.created(table.name, row) for row in rows]
    now = utcnow()
    return Journal(
        audit_entries(changes, actor, at=now), event_rows(changes, dict(resources), at=now)
    )
