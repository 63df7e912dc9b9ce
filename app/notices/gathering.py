"""Notices owed, gathered per stakeholder in the transaction of the change that owes
them: a decision recorded (on a request, or on its need), or a roadmap item shipped or
cancelled under an acceptance. Derived each time from the answers in force and what
was last told, never remembered apart, so the two cannot drift."""

from collections import defaultdict
from collections.abc import Collection
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.core.config import Settings
from app.core.db import settings_of
from app.core.types import utcnow
from app.deciding.service import watch_decisions
from app.decisions.models import Decision
from app.notices.answers import InForce, answers_in_force, last_told
from app.notices.models import GATHERING, Notice, NoticeChannel, NoticeItem, NoticeStatus
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
        of_need = select(col(Request.id)).where(col(Request.need_id) == decision.need_id)
        owe_notices(session, [i for i in session.exec(of_need).all() if i is not None])


@watch_endings
def _item_ended(session: Session, item: RoadmapItem) -> None:
    assert item.id is not None
    promised = select(col(Request.id)).where(accepted_into(item.id))
    owe_notices(session, [i for i in session.exec(promised).all() if i is not None])


def owe_notices(session: Session, request_ids: Collection[int]) -> None:
    """Bring each stakeholder's gathering notice in line with these requests: an item
    for each whose answer differs from what they were last told, none for the others;
    a notice left with no item is cancelled."""
    if not request_ids:
        return
    told = last_told(session, request_ids)
    concerned: dict[int, list[InForce]] = defaultdict(list)
    for request in answers_in_force(session, request_ids):
        concerned[request.stakeholder_id].append(request)
    settings = settings_of(session)
    # One stakeholder's notice at a time, in id order: two transactions never wait on
    # each other's locks in a cycle.
    for stakeholder_id, requests in sorted(concerned.items()):
        notice = _gathering_notice(session, stakeholder_id)
        for request in requests:
            answer = request.answer
            owed = (
                request.stakeholder_wants_notices
                and answer is not None
                and not answer.tells_the_same_as(told.get(request.request_id))
            )
            if owed:
                notice = notice or _new_notice(session, stakeholder_id, settings)
                _tell(session, notice, request)
            elif notice is not None:
                _untell(session, notice, request.request_id)
        if notice is not None and not _has_items(session, notice):
            notice.status = NoticeStatus.cancelled
            notice.finished_at = utcnow()
            session.add(notice)
    session.flush()


def _gathering_notice(session: Session, stakeholder_id: int) -> Notice | None:
    """The stakeholder's notice still taking changes, locked: one at a time per
    stakeholder, and a sender claiming it waits until this transaction ends."""
    return session.exec(
        select(Notice)
        .where(col(Notice.stakeholder_id) == stakeholder_id)
        .where(col(Notice.status).in_(GATHERING))
        .order_by(col(Notice.id).desc())
        .with_for_update()
    ).first()


def _new_notice(session: Session, stakeholder_id: int, settings: Settings) -> Notice:
    stakeholder = session.get(Stakeholder, stakeholder_id)
    assert stakeholder is not None
    send_after = utcnow() + timedelta(seconds=settings.notice_delay_seconds)
    notice = Notice(
        stakeholder_id=stakeholder_id,
        status=NoticeStatus.held
        if settings.notice_approval == "required"
        else NoticeStatus.pending,
        channel=NoticeChannel.email if stakeholder.email else NoticeChannel.feed,
        send_after=send_after,
        next_attempt_at=send_after,
        attempts_allowed=settings.notice_max_attempts,
    )
    session.add(notice)
    session.flush()
    return notice


def _tell(session: Session, notice: Notice, request: InForce) -> None:
    """The request's item in the notice, with the answer in force (a later answer
    replaces an earlier one: the request appears once)."""
    answer = request.answer
    assert answer is not None
    told: dict[str, Any] = asdict(answer)  # its fields are the item's
    item = session.exec(
        select(NoticeItem).where(
            col(NoticeItem.notice_id) == notice.id,
            col(NoticeItem.request_id) == request.request_id,
        )
    ).first()
    if item is None:
        item = NoticeItem(notice_id=notice.id or 0, request_id=request.request_id, **told)
    else:
        item.sqlmodel_update(told)
    session.add(item)


def _untell(session: Session, notice: Notice, request_id: int) -> None:
    session.execute(
        delete(NoticeItem).where(
            col(NoticeItem.notice_id) == notice.id, col(NoticeItem.request_id) == request_id
        )
    )


def _has_items(session: Session, notice: Notice) -> bool:
    session.flush()
    found = select(NoticeItem.id).where(col(NoticeItem.notice_id) == notice.id).limit(1)
    return session.exec(found).first() is not None
