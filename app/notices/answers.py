"""What a request's stakeholder should know (the answer in force) and what they were
told (the answer of the last notice sent about it): a notice is owed where they differ."""

from collections.abc import Collection
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping
from sqlalchemy import select as select_columns
from sqlmodel import Session, col

from app.core.filters import among
from app.decisions.models import Outcome
from app.notices.models import Notice, NoticeItem
from app.requests.effective import effective_field, join_current_decisions
from app.requests.models import Request
from app.roadmap.models import RoadmapItem, RoadmapStatus, Visibility
from app.roadmap.service import ENDINGS
from app.stakeholders.models import Stakeholder


@dataclass(frozen=True)
class Answer:
    decision_id: int
    outcome: Outcome
    roadmap_item_id: int | None
    roadmap_item_status: str | None  # shipped or cancelled once the item ended
    why: str
    stakeholder_message: str | None

    def columns(self) -> dict[str, Any]:
        """Its fields, as a notice item's columns of the same names (a shallow copy:
        dataclasses.asdict copies deeply, and took most of gathering a need's time)."""
        return dict(vars(self))

    def tells_the_same_as(self, other: "Answer | None") -> bool:
        """The same news: a confirmation with a new why, or a new decision saying what
        was already said, is nothing new to the stakeholder."""
        return other is not None and (
            self.outcome,
            self.roadmap_item_id,
            self.roadmap_item_status,
            self.stakeholder_message,
        ) == (
            other.outcome,
            other.roadmap_item_id,
            other.roadmap_item_status,
            other.stakeholder_message,
        )


# A notice item keeps an answer in columns of these names, in this order.
_ANSWER_FIELDS = [field.name for field in fields(Answer)]


@dataclass(frozen=True)
class InForce:
    """A request, whom it concerns, and the answer in force (None while undecided, or
    when it was decided quietly: notify false)."""

    request_id: int
    stakeholder_id: int
    stakeholder_wants_notices: bool
    answer: Answer | None


# The effective decision's fields a notice tells, read as decision_<name>.
_DECISION_FIELDS = ("id", "outcome", "roadmap_item_id", "why", "stakeholder_message", "notify")


def answers_in_force(
    session: Session, request_ids: Collection[int], *, of_stakeholder: int | None = None
) -> list[InForce]:
    """`of_stakeholder`: every request named is this stakeholder's. Said to the database,
    it finds them by that stakeholder's index and probes the decisions' indexes; given
    hundreds of ids alone, PostgreSQL read every current decision and stakeholder."""
    statement = select_columns(
        col(Request.id).label("request_id"),
        col(Request.stakeholder_id),
        col(Stakeholder.notify).label("stakeholder_notify"),
        *(effective_field(name).label(f"decision_{name}") for name in _DECISION_FIELDS),
        col(RoadmapItem.status).label("roadmap_item_status"),
    ).join(Stakeholder, col(Stakeholder.id) == col(Request.stakeholder_id))
    statement = join_current_decisions(statement).outerjoin(
        RoadmapItem, col(RoadmapItem.id) == effective_field("roadmap_item_id")
    )
    statement = statement.where(among(session, col(Request.id), request_ids))
    if of_stakeholder is not None:
        statement = statement.where(col(Request.stakeholder_id) == of_stakeholder)
    rows = session.execute(statement).mappings()
    return [
        InForce(
            request_id=row["request_id"],
            stakeholder_id=row["stakeholder_id"],
            stakeholder_wants_notices=bool(row["stakeholder_notify"]),
            answer=_answer_of(row) if row["decision_id"] and row["decision_notify"] else None,
        )
        for row in rows
    ]


ACCEPTED = Outcome.accepted.value  # read once: an enum member read from its class is slow


def _answer_of(row: RowMapping) -> Answer:
    ended = row["roadmap_item_status"]
    return Answer(
        decision_id=row["decision_id"],
        outcome=Outcome(row["decision_outcome"]),
        roadmap_item_id=row["decision_roadmap_item_id"],
        # Only a promise ends with its item: a deferral to it is still a deferral.
        roadmap_item_status=(
            ended if ended in ENDINGS and row["decision_outcome"] == ACCEPTED else None
        ),
        why=row["decision_why"],
        stakeholder_message=row["decision_stakeholder_message"],
    )


def last_told(session: Session, request_ids: Collection[int]) -> dict[int, Answer]:
    """Per request, the answer of the last notice sent about it."""
    return {
        request_id: answer for request_id, (answer, _) in told_when(session, request_ids).items()
    }


def told_when(session: Session, request_ids: Collection[int]) -> dict[int, tuple[Answer, datetime]]:
    """Per request, the answer of the last notice sent about it, and when it was sent."""
    return {request_id: told[-1] for request_id, told in told_history(session, request_ids).items()}


def told_history(
    session: Session, request_ids: Collection[int], *, to_stakeholder: int | None = None
) -> dict[int, list[tuple[Answer, datetime]]]:
    """Per request, every answer sent about it and when, oldest first; `to_stakeholder`:
    only what was sent to them (a request moved to another stakeholder keeps its notices,
    which told the one who asked then)."""
    # Two steps, each by its own index: these requests' items, then which of their notices
    # went out. As one join, a planner whose statistics predate a burst of sending walked
    # every sent notice for each of the sender's batches.
    items = session.execute(
        select_columns(
            col(NoticeItem.notice_id),
            col(NoticeItem.request_id),
            *(getattr(NoticeItem, name) for name in _ANSWER_FIELDS),
        ).where(among(session, col(NoticeItem.request_id), request_ids))
    ).all()
    sending = (
        select_columns(col(Notice.id), col(Notice.sent_at))
        .where(among(session, col(Notice.id), (item.notice_id for item in items)))
        .where(col(Notice.sent_at).is_not(None))  # a notice has it once sent, and only then
    )
    if to_stakeholder is not None:
        sending = sending.where(col(Notice.stakeholder_id) == to_stakeholder)
    sent = session.execute(sending)
    sent_at: dict[int, datetime] = {row.id: row.sent_at for row in sent}
    told = sorted(
        (item for item in items if item.notice_id in sent_at),
        key=lambda item: (sent_at[item.notice_id], item.notice_id),
    )
    history: dict[int, list[tuple[Answer, datetime]]] = {}
    for item in told:
        history.setdefault(item.request_id, []).append((Answer(*item[2:]), sent_at[item.notice_id]))
    return history


def told_at(session: Session, request_ids: Collection[int]) -> dict[int, datetime]:
    """Per request whose stakeholder knows the answer in force: when it was sent to them."""
    told = told_when(session, request_ids)
    return {
        found.request_id: told[found.request_id][1]
        for found in answers_in_force(session, request_ids)
        if found.answer is not None
        and found.request_id in told
        and found.answer.tells_the_same_as(told[found.request_id][0])
    }


def answer_of_item(item: NoticeItem) -> Answer:
    return Answer(
        decision_id=item.decision_id,
        outcome=item.outcome,
        roadmap_item_id=item.roadmap_item_id,
        roadmap_item_status=item.roadmap_item_status,
        why=item.why,
        stakeholder_message=item.stakeholder_message,
    )


def in_words(answer: Answer, roadmap_item: RoadmapItem | None) -> str:
    """The answer as a stakeholder reads it, in a notice and on their page."""
    if answer.roadmap_item_status == RoadmapStatus.shipped:
        return "Done: it has shipped."
    if answer.roadmap_item_status == RoadmapStatus.cancelled:
        return "The work it was planned into has been cancelled."
    if answer.outcome == Outcome.accepted:
        # Only what the item shows stakeholders: an internal title stays internal.
        title = public_title_of(roadmap_item)
        return f"Yes: it is on our roadmap ({title})." if title else "Yes: it is on our roadmap."
    return _ANSWERS[Outcome(answer.outcome)]


def public_title_of(roadmap_item: RoadmapItem | None) -> str | None:
    """What stakeholders may read of an item's name: its public title, if it shows."""
    if roadmap_item is None or roadmap_item.visibility != Visibility.portal:
        return None
    return roadmap_item.public_title


_ANSWERS = {
    Outcome.declined: "Not this time.",
    Outcome.deferred: "Not now: we will look at it again.",
    Outcome.duplicate: "It is the same as another request we are tracking.",
    Outcome.needs_info: "We need more information from you first.",
}
