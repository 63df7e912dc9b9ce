"""The notices sender's database side: claim what is due (with the answers then in
force), and record how sending went. Each step is a short transaction, so server
processes and `reqtrack notices run` share the table; a claim is a lease, so a sender
that dies mid-send loses nothing: the notice is sent again, with the same Message-ID."""

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.core.config import Settings
from app.core.types import utcnow
from app.core.worker import Backoff
from app.decisions.models import Outcome
from app.events.outbox import announce
from app.events.types import register
from app.mail.message import OutgoingMessage, list_unsubscribe, message_id_for
from app.mail.templates import render
from app.notices.answers import answers_in_force, last_told
from app.notices.models import NOTICES, Notice, NoticeChannel, NoticeItem, NoticeStatus
from app.notices.service import to_reads
from app.notices.unsubscribe import unsubscribe_url
from app.requests.models import Request
from app.roadmap.models import RoadmapItem, RoadmapStatus, Visibility
from app.stakeholders.models import Stakeholder

ERROR_CHARS = 500
# A sent notice is announced on the change feed, so a webhook can relay it to chat.
register("notice", ["sent"])


@dataclass(frozen=True)
class Claim:
    """A notice this sender may send until its lease runs out; message None for a
    stakeholder with no address (the feed channel: the notice.sent event carries it)."""

    notice_id: int
    lease_token: str
    message: OutgoingMessage | None


def has_due(session: Session) -> bool:
    """Whether a notice may be due (a cheap read). Idle senders ask this rather than open
    write transactions, which on SQLite would take the one write lock every poll."""
    due = select(Notice.id).where(NOTICES.due(utcnow())).limit(1)
    return session.exec(due).first() is not None


def claim_due(session: Session, *, settings: Settings, limit: int) -> list[Claim]:
    """Lease up to `limit` due notices, each brought to the answers in force now; one
    whose every answer is what was last told is cancelled instead."""
    due = session.exec(
        select(Notice)
        .where(NOTICES.due(utcnow()))
        .order_by(col(Notice.next_attempt_at))
        .limit(limit)
        .with_for_update(skip_locked=True)  # another sender has it
    ).all()
    free = _free_stakeholders(session, due)
    claims = []
    for notice in due:
        if notice.stakeholder_id not in free:
            continue  # due again next round
        free.discard(notice.stakeholder_id)
        if not _bring_up_to_date(session, notice):
            notice.status = NoticeStatus.cancelled
            notice.finished_at = utcnow()
            session.add(notice)
            continue
        message = _rendered(session, notice, settings)
        token = NOTICES.lease(notice, seconds=settings.notice_lease_seconds)
        session.add(notice)
        claims.append(Claim(notice.id or 0, token, message))
    session.flush()
    return claims


def _free_stakeholders(session: Session, due: Sequence[Notice]) -> set[int]:
    """Stakeholders whose notice may go now: one notice each at a time, so the next is
    brought up to date with what the last one told. Not while a transaction gathers
    changes for them (their row locked: skipped, never waited on), nor while another
    sender holds a notice of theirs."""
    wanted = sorted({notice.stakeholder_id for notice in due})
    free = session.exec(
        select(Stakeholder.id)
        .where(col(Stakeholder.id).in_(wanted))
        .order_by(col(Stakeholder.id))
        .with_for_update(key_share=True, skip_locked=True)
    ).all()
    busy = session.exec(
        select(Notice.stakeholder_id)
        .where(col(Notice.stakeholder_id).in_(wanted))
        .where(col(Notice.status) == NoticeStatus.sending)
        .where(col(Notice.lease_expires_at) > utcnow())
    ).all()
    return {stakeholder_id for stakeholder_id in free if stakeholder_id is not None} - set(busy)


def _bring_up_to_date(session: Session, notice: Notice) -> bool:
    """Each item tells the answer in force; an item whose answer was already told, or
    that nothing answers any more, goes. Whether any item is left."""
    items = session.exec(select(NoticeItem).where(col(NoticeItem.notice_id) == notice.id)).all()
    request_ids = [item.request_id for item in items]
    # A stakeholder who unsubscribed while it waited is told nothing more.
    in_force = {
        found.request_id: found.answer if found.stakeholder_wants_notices else None
        for found in answers_in_force(session, request_ids)
    }
    told = last_told(session, request_ids)
    left = 0
    for item in items:
        answer = in_force.get(item.request_id)
        if answer is None or answer.tells_the_same_as(told.get(item.request_id)):
            session.execute(delete(NoticeItem).where(col(NoticeItem.id) == item.id))
            continue
        item.sqlmodel_update(asdict(answer))
        session.add(item)
        left += 1
    session.flush()
    return left > 0


def _rendered(session: Session, notice: Notice, settings: Settings) -> OutgoingMessage | None:
    """The message as it will go out; kept on the notice (subject, body_text)."""
    stakeholder = session.get(Stakeholder, notice.stakeholder_id)
    assert stakeholder is not None
    context = _context(session, notice, stakeholder, settings)
    notice.subject = _subject(context["items"])
    bodies = render("notice", context | {"subject": notice.subject}, settings=settings)
    notice.body_text = bodies.text
    notice.channel = NoticeChannel.email if stakeholder.email else NoticeChannel.feed
    if stakeholder.email is None:
        return None
    unsubscribe = context["unsubscribe_url"]
    return OutgoingMessage(
        to_address=stakeholder.email,
        to_name=stakeholder.name,
        subject=notice.subject,
        text_body=bodies.text,
        html_body=bodies.html,
        message_id=message_id_for("notice", notice.id or 0, settings.mail_sender.domain),
        # One click (RFC 8058) needs https; over plain http the link is in the text only.
        extra_headers=list_unsubscribe(unsubscribe) if unsubscribe.startswith("https:") else {},
    )


def _context(
    session: Session, notice: Notice, stakeholder: Stakeholder, settings: Settings
) -> dict[str, Any]:
    rows = session.exec(
        select(NoticeItem, Request, RoadmapItem)
        .join(Request, col(Request.id) == col(NoticeItem.request_id))
        .outerjoin(RoadmapItem, col(RoadmapItem.id) == col(NoticeItem.roadmap_item_id))
        .where(col(NoticeItem.notice_id) == notice.id)
        .order_by(col(NoticeItem.request_id))
    ).all()
    items = [
        {
            "title": request.title,
            "answer": _answer_in_words(item, roadmap_item),
            "why": item.why,
            "stakeholder_message": item.stakeholder_message,
        }
        for item, request, roadmap_item in rows
    ]
    unsubscribe = unsubscribe_url(settings, stakeholder.id or 0)
    return {"name": stakeholder.name, "items": items, "unsubscribe_url": unsubscribe}


def _answer_in_words(item: NoticeItem, roadmap_item: RoadmapItem | None) -> str:
    if item.roadmap_item_status == RoadmapStatus.shipped:
        return "Done: it has shipped."
    if item.roadmap_item_status == RoadmapStatus.cancelled:
        return "The work it was planned into has been cancelled."
    if item.outcome == Outcome.accepted:
        # Only what the item shows stakeholders: an internal title stays internal.
        shown = roadmap_item is not None and roadmap_item.visibility == Visibility.portal
        title = roadmap_item.public_title if shown and roadmap_item else None
        return f"Yes: it is on our roadmap ({title})." if title else "Yes: it is on our roadmap."
    return ANSWERS[Outcome(item.outcome)]


ANSWERS = {
    Outcome.declined: "Not this time.",
    Outcome.deferred: "Not now: we will look at it again.",
    Outcome.duplicate: "It is the same as another request we are tracking.",
    Outcome.needs_info: "We need more information from you first.",
}


def _subject(items: list[dict[str, Any]]) -> str:
    if len(items) == 1:
        return f"What we decided about your request: {items[0]['title']}"
    return f"What we decided about {len(items)} of your requests"


def record_sending(
    session: Session,
    *,
    claim: Claim,
    error: str | None,
    settings: Settings,
    permanent: bool = False,
) -> None:
    """Store how it went: sent (and announced on the change feed), failed for good (at
    once when the mail server refused it for good), or due again after a backoff."""
    notice = session.get(Notice, claim.notice_id, with_for_update=True, populate_existing=True)
    if notice is None or notice.lease_token != claim.lease_token:
        return  # cancelled meanwhile, or the lease ran out and another sender took it
    backoff = Backoff(settings.notice_backoff_base_seconds, settings.notice_backoff_max_seconds)
    NOTICES.settle(notice, succeeded=error is None, backoff=backoff, final=permanent)
    notice.last_error = error[:ERROR_CHARS] if error else None
    if error is None:
        notice.sent_at = notice.finished_at
    session.add(notice)
    session.flush()
    if error is None:
        announce(session, "notice", notice.id or 0, "sent", to_reads(session, [notice])[0])
