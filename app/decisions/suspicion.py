"""Why a decision is suspect: what its roadmap item changed since, when, and by whom.

Read from the audit log, which holds each change of the item with its fields before and
after: every change after the decision, folded into one (each field as it stood when the
decision was taken, and as it is now). Only suspect decisions are looked into, and they
are few: one look-up per roadmap item they point at.
"""

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import and_, bindparam, select
from sqlmodel import Session, col

from app.audit.models import AuditEntry
from app.core.direct import DirectQuery, DirectReads, Row
from app.decisions.models import DecisionRead, SuspectReason
from app.roadmap.models import RoadmapItem
from app.roadmap.service import PROMISE_FIELDS

# What a change to the item may have broken: its promise, and whether it still stands.
WATCHED_FIELDS = PROMISE_FIELDS | {"status"}
ROADMAP_ITEM = "roadmap_item"
LONGEST_VALUE = 500  # characters of a text field's value shown


# The item's changes since a time, each with when the item's promise last changed (a row
# with none of its own when the log holds no change since).
_CHANGES_OF_ITEM = DirectQuery(
    select(
        col(RoadmapItem.id).label("roadmap_item_id"),
        col(RoadmapItem.promise_changed_at),
        col(AuditEntry.occurred_at),
        col(AuditEntry.actor_type),
        col(AuditEntry.actor_id),
        col(AuditEntry.before),
        col(AuditEntry.after),
    )
    .outerjoin(
        AuditEntry,
        and_(
            col(AuditEntry.entity) == ROADMAP_ITEM,
            col(AuditEntry.entity_id) == col(RoadmapItem.id),
            col(AuditEntry.action) == "update",
            col(AuditEntry.occurred_at) > bindparam("since"),
        ),
    )
    .where(col(RoadmapItem.id) == bindparam("item_id"))
    .order_by(col(AuditEntry.id))
)


class Promised(Protocol):
    """A suspect decision, or a row that stands for one (a report's)."""

    roadmap_item_id: int | None
    decided_at: datetime
    suspect_reason: SuspectReason | None


def explain_in_session(session: Session, suspect: Sequence[Promised]) -> None:
    """Give each of these suspect decisions its reason, read in `session`."""
    changes = {
        (item_id, since): [
            dict(row)
            for row in session.execute(
                _CHANGES_OF_ITEM.statement, {"item_id": item_id, "since": since}
            ).mappings()
        ]
        for item_id, since in _look_ups(suspect)
    }
    _explain(suspect, changes)


async def explain_through(reads: DirectReads, suspect: Sequence[Promised]) -> None:
    """The same, read through the driver (the requests' reads, which have no session)."""
    changes = {
        (item_id, since): await reads.all(_CHANGES_OF_ITEM, item_id=item_id, since=since)
        for item_id, since in _look_ups(suspect)
    }
    _explain(suspect, changes)


def suspect_among(decisions: Iterable[DecisionRead | None]) -> list[DecisionRead]:
    """The suspect ones among `decisions` (None: a request nothing answers)."""
    return [
        decision
        for decision in decisions
        if decision is not None and decision.suspect and decision.roadmap_item_id is not None
    ]


def _look_ups(suspect: Sequence[Promised]) -> set[tuple[int, datetime]]:
    """One look-up an item, since the earliest decision into it."""
    since: dict[int, datetime] = {}
    for decision in suspect:
        if decision.roadmap_item_id is None:  # a suspect decision always names its item
            continue
        earliest = since.get(decision.roadmap_item_id)
        if earliest is None or decision.decided_at < earliest:
            since[decision.roadmap_item_id] = decision.decided_at
    return set(since.items())


ItemChanges = Mapping[tuple[int, datetime], list[Row]]  # (item, since): its changes


def _explain(suspect: Sequence[Promised], changes: ItemChanges) -> None:
    by_item = {item_id: rows for (item_id, _), rows in changes.items()}
    for decision in suspect:
        if decision.roadmap_item_id is not None:
            decision.suspect_reason = _folded(decision, by_item[decision.roadmap_item_id])


def _folded(decision: Promised, item_changes: list[Row]) -> SuspectReason:
    """The item's changes since the decision (oldest first) as one: each watched field
    from its first value to its last, unless it came back to where it was."""
    changes: dict[str, list[Any]] = {}
    changed_by = None
    for entry in item_changes:
        if entry["occurred_at"] is None or entry["occurred_at"] <= decision.decided_at:
            continue
        before, after = _snapshot(entry["before"]), _snapshot(entry["after"])
        moved = {f for f in WATCHED_FIELDS & after.keys() if before.get(f) != after[f]}
        for field in moved:
            changes[field] = [changes.get(field, [before.get(field)])[0], after[field]]
        if moved:
            changed_by = _actor(entry)
    return SuspectReason(
        roadmap_item_id=item_changes[0]["roadmap_item_id"],
        changed_at=item_changes[0]["promise_changed_at"],
        changed_by=changed_by,
        changes={
            field: [_bounded(old), _bounded(new)]
            for field, (old, new) in sorted(changes.items())
            if old != new
        },
    )


def _bounded(value: Any) -> Any:
    """A long description, cut: a page of requests accepted into one item would repeat it
    once each."""
    if isinstance(value, str) and len(value) > LONGEST_VALUE:
        return value[:LONGEST_VALUE] + "…"
    return value


def _snapshot(value: Any) -> dict[str, Any]:
    """An audit snapshot as stored: JSON that a driver may give back as text."""
    snapshot = json.loads(value) if isinstance(value, str) else value
    return snapshot if isinstance(snapshot, dict) else {}


def _actor(entry: Row) -> str | None:
    """As the audit log's `actor` filter names them; None for the system's own changes."""
    kind, actor_id = entry["actor_type"], entry["actor_id"]
    return None if actor_id is None else f"{kind}:{actor_id}"
