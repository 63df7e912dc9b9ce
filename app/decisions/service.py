"""Recording decisions: each new one supersedes the subject's current one."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import update
from sqlmodel import Session, col, select

from app.auth.models import Principal
from app.core.errors import Conflict, NotFound, Unprocessable
from app.core.filters import where_equal
from app.core.pagination import PageParams, fetch_page
from app.core.types import QueryId
from app.decisions.effective import suspect_condition, to_decision_reads
from app.decisions.models import Decision, DecisionConfirm, DecisionCreate, Outcome
from app.events.outbox import publish_resources
from app.needs.models import Need
from app.requests.models import Request
from app.roadmap.models import RoadmapItem

Subject = Request | Need


class DecisionFieldFilters(BaseModel):
    """The filters of the list and the export."""

    model_config = ConfigDict(extra="forbid")

    outcome: Outcome | None = None
    roadmap_item_id: QueryId | None = None
    decided_by: QueryId | None = None
    current: bool | None = None
    suspect: bool | None = None


class DecisionFilters(DecisionFieldFilters, PageParams):
    """Query parameters of the list: the filters and the page."""


def get(*, session: Session, decision_id: int) -> Decision:
    decision = session.get(Decision, decision_id)
    if decision is None:
        raise NotFound(f"Decision {decision_id} does not exist.")
    return decision


def list_decisions(
    *, session: Session, filters: DecisionFilters
) -> tuple[Sequence[Decision], str | None]:
    statement = where_equal(
        select(Decision), Decision, filters, "outcome", "roadmap_item_id", "decided_by"
    )
    if filters.current is not None:
        statement = statement.where(col(Decision.is_current) == filters.current)
    if filters.suspect is not None:
        condition = suspect_condition()
        statement = statement.where(condition if filters.suspect else ~condition)
    return fetch_page(
        session=session, statement=statement, id_column=col(Decision.id), params=filters
    )


def history(
    *, session: Session, subject: Subject, page: PageParams
) -> tuple[Sequence[Decision], str | None]:
    """Every decision on the subject, newest first."""
    statement = select(Decision).where(_subject_column(subject) == subject.id)
    return fetch_page(session=session, statement=statement, id_column=col(Decision.id), params=page)


def record_decision(
    *, session: Session, subject: Subject, data: DecisionCreate, decider: Principal
) -> Decision:
    """Record a decision on a request or a need; the current one, if any, is superseded.
    The caller has loaded the subject for update (`get(..., for_update=True)`): concurrent
    decisions on it queue there, one current at a time. (The demo data, written in one
    transaction nobody sees yet, needs no lock.)"""
    _ensure_references_fit(session, subject, data)
    current = session.exec(
        select(Decision).where(_subject_column(subject) == subject.id, col(Decision.is_current))
    ).first()
    if current is not None:
        current.is_current = False
        # Flushed first, so the one-current-per-subject index never sees two.
        session.flush()
    decision = Decision(
        **data.model_dump(),
        request_id=subject.id if isinstance(subject, Request) else None,
        need_id=subject.id if isinstance(subject, Need) else None,
        decided_by=decider.user_id,
        supersedes_id=current.id if current else None,
    )
    session.add(decision)
    session.flush()
    if isinstance(subject, Request):
        if subject.first_answered_at is None:
            subject.first_answered_at = decision.decided_at
    else:
        mark_answered(session, col(Request.need_id) == subject.id, at=decision.decided_at)
    session.flush()
    return decision


def mark_answered(session: Session, *conditions: Any, at: datetime) -> None:
    """Requests matching the conditions that had no answer yet were answered at `at`."""
    session.execute(
        update(Request)
        .where(col(Request.first_answered_at).is_(None), *conditions)
        .values(first_answered_at=at)
    )


def need_is_decided(session: Session, need_id: int) -> bool:
    current = select(Decision.id).where(col(Decision.need_id) == need_id, col(Decision.is_current))
    return session.exec(current).first() is not None


def confirm(
    *, session: Session, decision: Decision, data: DecisionConfirm, decider: Principal
) -> Decision:
    """Stand by a decision (typically a suspect one) with a fresh why."""
    # Lock the subject first, then look again: a concurrent confirmation may have won.
    subject: Subject | None = (
        session.get(Request, decision.request_id, with_for_update=True, populate_existing=True)
        if decision.request_id is not None
        else session.get(Need, decision.need_id, with_for_update=True, populate_existing=True)
    )
    if subject is None:  # merged away meanwhile
        raise Conflict(f"Decision {decision.id} was moved by a merge; confirm the current one.")
    session.refresh(decision)
    if not decision.is_current:
        raise Conflict(
            f"Decision {decision.id} was superseded by a newer one; confirm the current one."
        )
    repeated = DecisionCreate(
        outcome=decision.outcome,
        why=data.why,
        stakeholder_message=(
            data.stakeholder_message
            if "stakeholder_message" in data.model_fields_set
            else decision.stakeholder_message
        ),
        roadmap_item_id=decision.roadmap_item_id,
        duplicate_of_request_id=decision.duplicate_of_request_id,
        revisit_at=decision.revisit_at,
    )
    return record_decision(session=session, subject=subject, data=repeated, decider=decider)


def _ensure_references_fit(session: Session, subject: Subject, data: DecisionCreate) -> None:
    if data.roadmap_item_id is not None and session.get(RoadmapItem, data.roadmap_item_id) is None:
        raise Unprocessable(
            f"Roadmap item {data.roadmap_item_id} does not exist.",
            loc=["body", "roadmap_item_id"],
        )
    if data.duplicate_of_request_id is None:
        return
    loc: list[str | int] = ["body", "duplicate_of_request_id"]
    if isinstance(subject, Need):
        raise Unprocessable("Needs are not duplicates; merge them instead.", loc=loc)
    if data.duplicate_of_request_id == subject.id:
        raise Unprocessable("A request cannot be a duplicate of itself.", loc=loc)
    if session.get(Request, data.duplicate_of_request_id) is None:
        raise Unprocessable(f"Request {data.duplicate_of_request_id} does not exist.", loc=loc)


def _subject_column(subject: Subject) -> Any:
    return col(Decision.request_id) if isinstance(subject, Request) else col(Decision.need_id)


# A decision is recorded, never edited: its supersession shows in the next one.
publish_resources(
    Decision, "decision", to_decision_reads, verbs={"created": "recorded", "updated": None}
)
