"""Decisions as the API answers them: each with whether it is suspect (an acceptance
into a roadmap item whose promise changed after it was decided); the current ones of
needs. Read-only queries."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, exists
from sqlmodel import Session, col, select

from app.decisions.models import Decision, DecisionRead, Outcome
from app.decisions.suspicion import explain_in_session, suspect_among
from app.roadmap.models import RoadmapItem


def promise_changed(outcome: Any, decided_at: Any) -> ColumnElement[bool]:
    """SQL (RoadmapItem in the FROM list): what makes a decision suspect, the one rule
    for a decision and for a request's effective one: an acceptance into an item whose
    promise changed after it was decided."""
    return and_(outcome == Outcome.accepted, col(RoadmapItem.promise_changed_at) > decided_at)


def suspect_condition() -> ColumnElement[bool]:
    """SQL on Decision: a current decision, suspect."""
    item_changed_since = exists().where(
        col(RoadmapItem.id) == col(Decision.roadmap_item_id),
        promise_changed(col(Decision.outcome), col(Decision.decided_at)),
    )
    return and_(col(Decision.is_current), item_changed_since)


def to_decision_reads(session: Session, decisions: Sequence[Decision]) -> list[DecisionRead]:
    # Only a current acceptance can be suspect: most decisions need no query.
    ids = [d.id for d in decisions if d.is_current and d.outcome == Outcome.accepted]
    suspect: set[int] = set()
    if ids:
        suspect = {
            decision_id
            for decision_id in session.exec(
                select(Decision.id).where(col(Decision.id).in_(ids), suspect_condition())
            )
            if decision_id is not None
        }
    reads = [
        DecisionRead.of(decision, suspect=decision.id in suspect, suspect_reason=None)
        for decision in decisions
    ]
    explain_in_session(session, suspect_among(reads))
    return reads


def current_decisions_of_needs(
    session: Session, need_ids: Sequence[int]
) -> dict[int, DecisionRead]:
    if not need_ids:
        return {}
    current = select(Decision).where(col(Decision.is_current), col(Decision.need_id).in_(need_ids))
    decisions = session.exec(current).all()
    return {d.need_id: d for d in to_decision_reads(session, decisions) if d.need_id is not None}


def need_is_decided(session: Session, need_id: int) -> bool:
    current = select(Decision.id).where(col(Decision.need_id) == need_id, col(Decision.is_current))
    return session.exec(current).first() is not None


def current_acceptances_into(session: Session, item_id: int) -> list[DecisionRead]:
    accepted = session.exec(
        select(Decision).where(
            col(Decision.roadmap_item_id) == item_id,
            col(Decision.is_current),
            col(Decision.outcome) == Outcome.accepted,
        )
    ).all()
    return to_decision_reads(session, accepted)
