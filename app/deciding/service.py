"""Recording decisions on requests and needs: each new one supersedes the subject's
current one and marks the requests it answers. Above requests and needs, which it
locks and updates."""

from collections.abc import Callable
from typing import Any

from sqlmodel import Session, col, select

from app.auth.models import Principal
from app.core.errors import Conflict, Unprocessable
from app.core.pagination import PageParams, fetch_page
from app.core.types import utcnow
from app.decisions.models import Decision, DecisionConfirm, DecisionCreate, DecisionRead, Outcome
from app.decisions.reads import to_decision_reads
from app.needs.models import Need
from app.requests.models import Request
from app.requests.service import mark_answered
from app.roadmap.models import RoadmapItem

Subject = Request | Need


def history(
    *, session: Session, subject: Subject, page: PageParams
) -> tuple[list[DecisionRead], str | None]:
    """Every decision on the subject, newest first."""
    statement = select(Decision).where(_subject_column(subject) == subject.id)
    found, next_cursor = fetch_page(
        session=session,
        statement=statement,
        id_column=col(Decision.id),
        params=page,
        list_name=f"/{_collection(subject)}/{subject.id}/decisions",
    )
    return to_decision_reads(session, found), next_cursor


def record_decision(
    *, session: Session, subject: Subject, data: DecisionCreate, decider: Principal
) -> Decision:
    """Record a decision on a request or a need; the current one, if any, is superseded.
    The caller has loaded the subject for update (`get(..., for_update=True)`): concurrent
    decisions on it queue there, one current at a time. (The demo data, written in one
    transaction nobody sees yet, needs no lock.)"""
    _ensure_it_fits(session, subject, data)
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
    for watcher in _decision_watchers:
        watcher(session, decision)
    return decision


# Domains above this one (notices) learn of each decision, in the transaction recording it.
DecisionWatcher = Callable[[Session, Decision], None]
_decision_watchers: list[DecisionWatcher] = []


def watch_decisions(watcher: DecisionWatcher) -> DecisionWatcher:
    _decision_watchers.append(watcher)
    return watcher


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
    _ensure_confirmable(session, decision, subject)
    today = utcnow().date()
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
        # A revisit date already passed is not promised again.
        revisit_at=decision.revisit_at if (decision.revisit_at or today) >= today else None,
    )
    return record_decision(session=session, subject=subject, data=repeated, decider=decider)


def _ensure_confirmable(session: Session, decision: Decision, subject: Subject) -> None:
    """Only the subject's current acceptance is confirmed: standing by a promise."""
    if not decision.is_current:
        current = session.exec(
            select(Decision.id).where(
                _subject_column(subject) == subject.id, col(Decision.is_current)
            )
        ).first()
        now = f"decision {current} is the current one" if current else "none is current now"
        raise Conflict(f"Decision {decision.id} was superseded; {now}: confirm that one.")
    if decision.outcome != Outcome.accepted:
        outcome = Outcome(decision.outcome).value
        raise Conflict(
            f"Decision {decision.id} is {outcome}, not an acceptance: only a promise is "
            "confirmed. Record a new decision to change or restate it."
        )


def _ensure_it_fits(session: Session, subject: Subject, data: DecisionCreate) -> None:
    # A rule of the day it is checked on, so no schema says it: a rule violation.
    if data.revisit_at is not None and data.revisit_at < utcnow().date():
        raise Unprocessable(
            "revisit_at is in the past: give today or a later date", loc=["body", "revisit_at"]
        )
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


def _collection(subject: Subject) -> str:
    return "requests" if isinstance(subject, Request) else "needs"


def _subject_column(subject: Subject) -> Any:
    return col(Decision.request_id) if isinstance(subject, Request) else col(Decision.need_id)
