"""What a stakeholder's portal shows: their own requests, each with the answer in force
and what they were told, and the roadmap items meant for stakeholders. Only public
fields of a roadmap item, and only of an item whose visibility is `portal`."""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from app.core.filters import among
from app.decisions.models import Outcome
from app.needs.demand import demand_by_roadmap_item
from app.notices.answers import Answer, answers_in_force, in_words, told_history
from app.requests.models import Request
from app.roadmap.models import Horizon, RoadmapItem, RoadmapStatus, Visibility
from app.stakeholders.models import Stakeholder

# The newest requests a page lists: a page stays quick to send and to read on a phone.
MOST_SHOWN = 500


@dataclass(frozen=True)
class PublicItem:
    """A roadmap item as stakeholders may see it."""

    id: int
    title: str
    description: str | None
    horizon: Horizon
    target_date: date | None
    shipped: bool


@dataclass(frozen=True)
class Told:
    at: datetime
    answer: str
    message: str | None


@dataclass(frozen=True)
class AskedRequest:
    """One request on its stakeholder's page. answer, why and message are None until an
    answer is in force (a decision recorded quietly tells nothing here either)."""

    id: int
    title: str
    asked_at: datetime
    status: str
    tone: str  # yes, no or wait: how the status reads at a glance
    answer: str | None
    why: str | None
    message: str | None
    roadmap_item: PublicItem | None
    told: list[Told]


@dataclass(frozen=True)
class StakeholderPage:
    requests: list[AskedRequest]
    more_than_shown: bool


@dataclass(frozen=True)
class RoadmapEntry:
    item: PublicItem
    request_count: int  # the requests it answers: accepted into it


def stakeholder_page(session: Session, stakeholder: Stakeholder) -> StakeholderPage:
    rows = session.execute(
        select_columns(
            col(Request.id), col(Request.title), col(Request.created_at), col(Request.need_id)
        )
        .where(col(Request.stakeholder_id) == stakeholder.id)
        .order_by(col(Request.created_at).desc(), col(Request.id).desc())
        .limit(MOST_SHOWN + 1)
    ).all()
    shown = rows[:MOST_SHOWN]
    ids = [row.id for row in shown]
    in_force = answers_in_force(session, ids, of_stakeholder=stakeholder.id)
    answers = {found.request_id: found.answer for found in in_force}
    history = told_history(session, ids, to_stakeholder=stakeholder.id)
    items = _public_items(
        session,
        {answer.roadmap_item_id for answer in answers.values() if answer is not None}
        | {told.roadmap_item_id for each in history.values() for told, _ in each},
    )
    requests = []
    for row in shown:
        answer = answers.get(row.id)
        item = items.get(answer.roadmap_item_id or 0) if answer else None
        status, tone = _status(answer, triaged=row.need_id is not None)
        requests.append(
            AskedRequest(
                id=row.id,
                title=row.title,
                asked_at=row.created_at,
                status=status,
                tone=tone,
                answer=in_words(answer, item) if answer else None,
                why=answer.why if answer else None,
                message=answer.stakeholder_message if answer else None,
                roadmap_item=_public(item) if item else None,
                told=[
                    Told(
                        at,
                        in_words(told, items.get(told.roadmap_item_id or 0)),
                        told.stakeholder_message,
                    )
                    for told, at in history.get(row.id, [])
                ],
            )
        )
    return StakeholderPage(requests, more_than_shown=len(rows) > MOST_SHOWN)


def public_roadmap(session: Session) -> dict[Horizon, list[RoadmapEntry]]:
    """The items meant for stakeholders and not cancelled, by horizon, soonest first."""
    items = session.exec(
        select(RoadmapItem)
        .where(col(RoadmapItem.visibility) == Visibility.portal)
        .where(col(RoadmapItem.status) != RoadmapStatus.cancelled)
        .order_by(col(RoadmapItem.target_date).is_(None), col(RoadmapItem.target_date))
        .order_by(col(RoadmapItem.id))
    ).all()
    demand = demand_by_roadmap_item(session=session, item_ids=[item.id or 0 for item in items])
    by_horizon: dict[Horizon, list[RoadmapEntry]] = {horizon: [] for horizon in Horizon}
    for item in items:
        count = demand[item.id].request_count if item.id in demand else 0
        by_horizon[item.horizon].append(RoadmapEntry(_public(item), count))
    return by_horizon


def _public_items(session: Session, ids: Collection[int | None]) -> dict[int, RoadmapItem]:
    """The items among these that stakeholders may see: meant for them, and not cancelled
    (the request's status says that the plans changed)."""
    wanted = [item_id for item_id in ids if item_id is not None]
    found = session.exec(
        select(RoadmapItem)
        .where(among(session, col(RoadmapItem.id), wanted))
        .where(col(RoadmapItem.visibility) == Visibility.portal)
        .where(col(RoadmapItem.status) != RoadmapStatus.cancelled)
    )
    return {item.id or 0: item for item in found}


def _public(item: RoadmapItem) -> PublicItem:
    return PublicItem(
        id=item.id or 0,
        # A shown item without a public title yet: nothing internal stands in for it.
        title=item.public_title or "Planned work",
        description=item.public_description,
        horizon=Horizon(item.horizon),
        target_date=item.target_date,
        shipped=item.status == RoadmapStatus.shipped,
    )


def _status(answer: Answer | None, *, triaged: bool) -> tuple[str, str]:
    """The request's status in a stakeholder's words, and its tone."""
    if answer is None:
        return ("Being looked at", "wait") if triaged else ("Received", "wait")
    if answer.roadmap_item_status == RoadmapStatus.shipped:
        return "Shipped", "yes"
    if answer.roadmap_item_status == RoadmapStatus.cancelled:
        return "Plans changed", "no"
    return _OUTCOME_STATUS[Outcome(answer.outcome)]


_OUTCOME_STATUS = {
    Outcome.accepted: ("Planned", "yes"),
    Outcome.declined: ("Not planned", "no"),
    Outcome.deferred: ("Later", "wait"),
    Outcome.duplicate: ("Already asked", "wait"),
    Outcome.needs_info: ("Needs your input", "wait"),
}
