"""What a created request leaves behind, written without the ORM's flush hooks.

POST /requests and the import insert through the driver (no unit of work to pay for),
which the session's hooks (the audit recorder, the outbox) never see. So they write the
same audit entries and `request.created` events themselves, from the rows in hand: what
app/audit/recorder.py and app/events/outbox.py write for a created row. Event ids still
follow commit order (see app/events/outbox.py).
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table
from sqlmodel import Session

from app.audit.models import AuditEntry
from app.audit.recorder import audit_row
from app.auth.models import Principal
from app.core.direct import SessionDriver, insert_of
from app.core.types import utcnow
from app.decisions.models import DecisionRead
from app.events.outbox import EVENT_TABLE, event_row
from app.requests.models import RequestRead, RequestStatus

ENTITY = "request"
AUDIT_TABLE: Table = AuditEntry.__table__  # type: ignore[attr-defined]
INSERT_AUDIT = insert_of(AUDIT_TABLE)
INSERT_EVENT = insert_of(EVENT_TABLE)


def record_created_requests(
    session: Session,
    rows: list[dict[str, Any]],
    creator: Principal,
    need_decisions: dict[int, DecisionRead],
) -> list[RequestRead]:
    """Audit entries and `request.created` events for rows just inserted (every column,
    id included); the requests as the API answers them."""
    journal = journal_of(rows, creator, need_decisions)
    driver = SessionDriver(session)
    driver.execute(INSERT_AUDIT, journal.audit_entries)
    driver.execute(INSERT_EVENT, journal.events)
    return journal.reads


@dataclass
class Journal:
    """What created requests leave behind, as rows of INSERT_AUDIT and INSERT_EVENT."""

    audit_entries: list[dict[str, Any]]
    events: list[dict[str, Any]]
    reads: list[RequestRead]  # the requests as the API answers them


def journal_of(
    rows: list[dict[str, Any]], creator: Principal, need_decisions: dict[int, DecisionRead]
) -> Journal:
    now = utcnow()
    reads = [created_read(row, need_decisions.get(row["need_id"])) for row in rows]
    # Every column, as the recorder's snapshot: JSON once bound (json_text).
    audit_entries = [
        audit_row(creator, ENTITY, row["id"], "create", None, row, at=now) for row in rows
    ]
    events = [event_row(f"{ENTITY}.created", ENTITY, read.id, read, at=now) for read in reads]
    return Journal(audit_entries, events, reads)


def created_read(row: dict[str, Any], need_decision: DecisionRead | None) -> RequestRead:
    """A new request as the API answers it. It has no decision of its own yet, so its
    need's current decision (if any) is its effective one."""
    status = RequestStatus.of(need_id=row["need_id"], decided=need_decision is not None)
    return RequestRead.model_validate({**row, "status": status, "decision": need_decision})
