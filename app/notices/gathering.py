"""Notices owed, gathered per stakeholder in the transaction of the change that owes
them: a decision recorded (on a request, or on its need), or a roadmap item shipped,
cancelled or reopened under an acceptance. Derived each time from the answers in force and what
was last told, never remembered apart, so the two cannot drift."""

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, insert
from sqlmodel import Session, col, select

from app.core.config import Settings
from app.core.db import settings_of
from app.core.types import utcnow
from app.deciding.service import watch_decisions
from app.decisions.models import Decision
from app.notices.answers import InForce, answers_in_force, last_told
from app.notices.models import (
    GATHERING,
    NOTICE_ITEM_TABLE,
    NOTICE_TABLE,
    Notice,
    NoticeChannel,
    NoticeItem,
    NoticeStatus,
)
from app.requests.effective import accepted_into
from app.requests.models import Request
from app.roadmap.models import RoadmapItem
from app.roadmap.service import watch_endings
from app.stakeholders.models import Stakeholder


@watch_decisions
def _decided(session: Session, decision: Decision) -> None:
    if decision.request_id is not None:
        owe_notices(session, [decision.request_id])
    else:
        _owe_for_requests_where(session, col(Request.need_id) == decision.need_id)


@watch_endings
def _item_ended_or_reopened(session: Session, item: RoadmapItem) -> None:
    assert item.id is not None
    _owe_for_requests_where(session, accepted_into(item.id))


def _owe_for_requests_where(session: Session, condition: ColumnElement[bool]) -> None:
    found = session.exec(select(col(Request.id)).where(condition)).all()
    owe_notices(session, [request_id for request_id in found if request_id is not None])


def owe_notices(session: Session, request_ids: Collection[int]) -> None:
    """Bring each stakeholder's gathering notice in line with these requests: an item
    for each whose answer differs from what they were last told, none for the others;
    a notice left with no item is cancelled. A few statements whatever the number of
    requests: deciding a need with thousands of them queues its notices in one go."""
    if not request_ids:
        return
    told = last_told(session, request_ids)
    concerned: dict[int, list[InForce]] = defaultdict(list)
    for request in answers_in_force(session, request_ids):
        concerned[request.stakeholder_id].append(request)
    stakeholders = hold_stakeholders(session, concerned)
    notices = _gathering_notices(session, concerned)
    items = _items_of(session, notices.values())
    untold: list[NoticeItem] = []
    # New items as rows, per stakeholder: written in one statement once their notices are.
    new_items: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
    for stakeholder_id, requests in concerned.items():
        kept = items[stakeholder_id]
        for request in requests:
            answer = request.answer
            earlier = [item for item in kept if item.request_id == request.request_id]
            if (
                request.stakeholder_wants_notices
                and answer is not None
                and not answer.tells_the_same_as(told.get(request.request_id))
            ):
                # A later answer replaces an earlier one: the request appears once.
                told_now: dict[str, Any] = asdict(answer)  # its fields are the item's
                if earlier:
                    earlier[0].sqlmodel_update(told_now)
                else:
                    new_items[stakeholder_id].append({"request_id": request.request_id, **told_now})
            else:
                untold += earlier
                kept[:] = [item for item in kept if item.request_id != request.request_id]
    for stakeholder_id, notice in notices.items():
        if not items[stakeholder_id] and not new_items[stakeholder_id]:
            notice.status = NoticeStatus.cancelled
            notice.finished_at = utcnow()
    unopened = [stakeholders[s] for s, rows in new_items.items() if rows and s not in notices]
    notice_ids = {s: notice.id for s, notice in notices.items()}
    notice_ids |= _open_notices(session, unopened, settings_of(session))
    rows = [
        {"notice_id": notice_ids[stakeholder_id], **row}
        for stakeholder_id, of_stakeholder in new_items.items()
        for row in of_stakeholder
    ]
    if rows:
        session.execute(insert(NOTICE_ITEM_TABLE), rows)
    if untold:
        session.execute(delete(NoticeItem).where(col(NoticeItem.id).in_([i.id for i in untold])))
    session.flush()


def hold_stakeholders(session: Session, stakeholder_ids: Collection[int]) -> dict[int, Stakeholder]:
    """Lock these stakeholders' rows until the transaction ends, in id order (two
    transactions never wait on each other in a cycle): one transaction at a time gathers
    or claims a stakeholder's notices. NO KEY: new requests of theirs may still be filed."""
    found = session.exec(
        select(Stakeholder)
        .where(col(Stakeholder.id).in_(sorted(stakeholder_ids)))
        .order_by(col(Stakeholder.id))
        .with_for_update(key_share=True)
    ).all()
    return {stakeholder.id or 0: stakeholder for stakeholder in found}


def _gathering_notices(session: Session, stakeholder_ids: Collection[int]) -> dict[int, Notice]:
    """Per stakeholder, the notice still taking changes (the latest, if a failed one
    came back to wait out its backoff beside a new one), locked: a manager's cancel or
    release waits until this transaction ends."""
    found = session.exec(
        select(Notice)
        .where(col(Notice.stakeholder_id).in_(list(stakeholder_ids)))
        .where(col(Notice.status).in_(GATHERING))
        .order_by(col(Notice.id))
        .with_for_update()
    ).all()
    return {notice.stakeholder_id: notice for notice in found}  # later ids win


def _items_of(session: Session, notices: Iterable[Notice]) -> defaultdict[int, list[NoticeItem]]:
    """Per stakeholder, the items of their gathering notice."""
    stakeholder_of = {notice.id: notice.stakeholder_id for notice in notices}
    items: defaultdict[int, list[NoticeItem]] = defaultdict(list)
    found = select(NoticeItem).where(col(NoticeItem.notice_id).in_(list(stakeholder_of)))
    for item in session.exec(found).all():
        items[stakeholder_of[item.notice_id]].append(item)
    return items


def _open_notices(
    session: Session, stakeholders: Collection[Stakeholder], settings: Settings
) -> dict[int, int]:
    """A new notice for each of these stakeholders, in one statement; their ids by
    stakeholder."""
    if not stakeholders:
        return {}
    send_after = utcnow() + timedelta(seconds=settings.notice_delay_seconds)
    held = settings.notice_approval == "required"
    rows = [
        {
            "stakeholder_id": stakeholder.id,
            "status": NoticeStatus.held if held else NoticeStatus.pending,
            "channel": NoticeChannel.email if stakeholder.email else NoticeChannel.feed,
            "created_at": utcnow(),
            "send_after": send_after,
            "next_attempt_at": send_after,
            "attempts_allowed": settings.notice_max_attempts,
        }
        for stakeholder in stakeholders
    ]
    opening = insert(NOTICE_TABLE).returning(NOTICE_TABLE.c.stakeholder_id, NOTICE_TABLE.c.id)
    return {row.stakeholder_id: row.id for row in session.execute(opening, rows)}
