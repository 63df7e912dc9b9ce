"""Requests whose stakeholder does not know the answer in force: never told, told
something else since changed, or promised something now in doubt (suspect)."""

from datetime import datetime
from enum import StrEnum

import pydantic
from sqlalchemy import case, func, literal, null, or_
from sqlalchemy import select as select_columns
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from app.decisions.models import Outcome, SuspectReason
from app.decisions.reads import promise_changed
from app.decisions.suspicion import explain_in_session
from app.notices.models import Notice, NoticeItem
from app.requests.effective import effective_field, join_current_decisions
from app.requests.models import Request
from app.roadmap.models import RoadmapItem
from app.roadmap.service import ENDINGS


class UntoldBecause(StrEnum):
    never_told = "never_told"
    changed = "changed"  # they were told an answer that is no longer the one in force
    suspect = "suspect"  # they were told a promise whose roadmap item changed since


class Untold(pydantic.BaseModel):
    request_id: int = pydantic.Field(description="The request.")
    title: str = pydantic.Field(description="What was asked, in a few words.")
    stakeholder_id: int = pydantic.Field(description="Who asked, and does not know.")
    decision_id: int = pydantic.Field(description="The decision in force.")
    outcome: Outcome = pydantic.Field(description="Its answer.")
    decided_at: datetime = pydantic.Field(description="When it was decided.")
    because: UntoldBecause = pydantic.Field(
        description="never_told, changed (told an answer since replaced) or suspect "
        "(told a promise whose roadmap item changed since)."
    )
    last_told_at: datetime | None = pydantic.Field(
        description="When they were last sent a notice about it; null if never."
    )
    roadmap_item_id: int | None = pydantic.Field(
        description="The roadmap item the decision in force accepts it into, if any."
    )
    suspect: bool = pydantic.Field(
        description="Whether that promise is in doubt: its roadmap item changed since (told "
        "or not)."
    )
    suspect_reason: SuspectReason | None = pydantic.Field(
        default=None,
        description="For a suspect promise: what its roadmap item changed since, when, and by "
        "whom; else null.",
    )


class UntoldReport(pydantic.BaseModel):
    items: list[Untold] = pydantic.Field(description="Oldest decision first.")


Told = aliased(NoticeItem, name="told")
ToldNotice = aliased(Notice, name="told_notice")


def untold(session: Session, *, limit: int) -> UntoldReport:
    """The oldest `limit` requests whose stakeholder does not know the answer in force.
    Decisions recorded with notify false are left out: nobody was meant to be told."""
    ended = case((col(RoadmapItem.status).in_(ENDINGS), col(RoadmapItem.status)), else_=null())
    changed = or_(
        col(Told.outcome) != effective_field("outcome"),
        col(Told.roadmap_item_id).is_distinct_from(effective_field("roadmap_item_id")),
        col(Told.stakeholder_message).is_distinct_from(effective_field("stakeholder_message")),
        col(Told.roadmap_item_status).is_distinct_from(ended),
    )
    suspect = promise_changed(effective_field("outcome"), effective_field("decided_at"))
    because = case(
        (col(Told.id).is_(None), literal(UntoldBecause.never_told.value)),
        (changed, literal(UntoldBecause.changed.value)),
        else_=literal(UntoldBecause.suspect.value),
    )
    statement = select_columns(
        col(Request.id).label("request_id"),
        col(Request.title),
        col(Request.stakeholder_id),
        effective_field("id").label("decision_id"),
        effective_field("outcome").label("outcome"),
        effective_field("decided_at").label("decided_at"),
        effective_field("roadmap_item_id").label("roadmap_item_id"),
        func.coalesce(suspect, False).label("suspect"),
        because.label("because"),
        col(ToldNotice.sent_at).label("last_told_at"),
    )
    statement = join_current_decisions(statement)
    statement = (
        statement.outerjoin(RoadmapItem, col(RoadmapItem.id) == effective_field("roadmap_item_id"))
        .outerjoin(Told, col(Told.id) == _last_told_item())
        .outerjoin(ToldNotice, col(ToldNotice.id) == col(Told.notice_id))
        .where(effective_field("id").is_not(None), effective_field("notify"))
        .where(or_(col(Told.id).is_(None), changed, suspect))
        .order_by(effective_field("decided_at"), col(Request.id))
        .limit(limit)
    )
    rows = session.execute(statement).mappings()
    items = [Untold.model_validate(dict(row)) for row in rows]
    explain_in_session(session, [item for item in items if item.suspect])
    return UntoldReport(items=items)


def _last_told_item() -> object:
    """SQL on Request: the item of the last notice sent about it."""
    return (
        select(NoticeItem.id)
        .join(Notice, col(Notice.id) == col(NoticeItem.notice_id))
        .where(col(NoticeItem.request_id) == col(Request.id))
        .where(col(Notice.sent_at).is_not(None))  # sent (see answers.told_when)
        .order_by(col(Notice.sent_at).desc(), col(Notice.id).desc())
        .limit(1)
        .correlate(Request)
        .scalar_subquery()
    )
