"""The notices sender's database side: claim what is due (with the answers then in
force), and record how sending went. Each step is a short transaction, so server
processes and `reqtrack notices run` share the table; a claim is a lease, so a sender
that dies mid-send loses nothing: the notice is sent again, with the same Message-ID."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.core.config import Settings
from app.core.types import utcnow
from app.core.worker import Backoff
from app.events.outbox import announce
from app.events.types import register
from app.mail.message import OutgoingMessage, list_unsubscribe, message_id_for
from app.mail.templates import render, render_text
from app.notices.answers import answer_of_item, answers_in_force, in_words, last_told
from app.notices.models import NOTICES, Notice, NoticeChannel, NoticeItem, NoticeStatus
from app.notices.service import to_reads
from app.notices.unsubscribe import unsubscribe_url
from app.requests.models import Request
from app.roadmap.models import RoadmapItem
from app.stakeholders.models import Stakeholder
from app.stakeholders.portal_links import portal_link

ERROR_CHARS = 500
PORTAL_LINK_KEPT_AS = "[your page: the link in the message]"
# A sent notice is announced on the change feed, so a webhook can relay it to chat.
register("notice", ["sent"])


@dataclass(frozen=True)
class Claim:
    """A notice this sender may send until its lease runs out; message None for a
    stakeholder with no address (the feed channel: the notice.sent event carries it)."""

    notice_id: int
    lease_token: str
    message: OutgoingMessage | None


@dataclass(frozen=True)
class Attempt:
    """How sending a claimed notice went: error None when it went out; a `permanent`
    error (the mail server refused it for good) fails it at once."""

    claim: Claim
    error: str | None = None
    permanent: bool = False


def has_due(session: Session) -> bool:
    """Whether a notice may be due (a cheap read). Idle senders ask this rather than open
    write transactions, which on SQLite would take the one write lock every poll."""
    due = select(Notice.id).where(NOTICES.due(utcnow())).limit(1)
    return session.exec(due).first() is not None


def claim_due(session: Session, *, settings: Settings, limit: int) -> list[Claim]:
    """Lease up to `limit` due notices, each brought to the answers in force now and
    rendered; one whose every answer is what was last told is cancelled instead. A few
    statements for the whole batch, however many notices it holds."""
    due = session.exec(
        select(Notice)
        .where(NOTICES.due(utcnow()))
        .order_by(col(Notice.next_attempt_at))
        .limit(limit)
        .with_for_update(skip_locked=True)  # another sender has it
    ).all()
    free = _free_stakeholders(session, due)
    chosen = []
    for notice in due:
        if notice.stakeholder_id in free:  # else due again next round
            free.discard(notice.stakeholder_id)
            chosen.append(notice)
    told = _bring_up_to_date(session, chosen)
    stakeholders = _stakeholders_of(session, chosen)
    claims = []
    for notice in chosen:
        if not told[notice.id or 0]:
            notice.status = NoticeStatus.cancelled
            notice.finished_at = utcnow()
            continue
        stakeholder = stakeholders[notice.stakeholder_id]
        message = _rendered(notice, stakeholder, told[notice.id or 0], settings)
        token = NOTICES.lease(notice, seconds=settings.notice_lease_seconds)
        claims.append(Claim(notice.id or 0, token, message))
    session.add_all(chosen)
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


@dataclass(frozen=True)
class _Told:
    """One item of a notice as the message tells it."""

    item: NoticeItem
    request_title: str
    roadmap_item: RoadmapItem | None


def _bring_up_to_date(session: Session, notices: Sequence[Notice]) -> dict[int, list[_Told]]:
    """Each item tells the answer in force; an item whose answer was already told, or
    that nothing answers any more, goes. Per notice, what is left, in request order."""
    rows = session.exec(
        select(NoticeItem, Request.title)
        .join(Request, col(Request.id) == col(NoticeItem.request_id))
        .where(col(NoticeItem.notice_id).in_([n.id for n in notices]))
        .order_by(col(NoticeItem.request_id))
    ).all()
    request_ids = [item.request_id for item, _ in rows]
    # A stakeholder who unsubscribed while it waited is told nothing more.
    in_force = {
        found.request_id: found.answer if found.stakeholder_wants_notices else None
        for found in answers_in_force(session, request_ids)
    }
    told = last_told(session, request_ids)
    gone, left = [], []
    for item, title in rows:
        answer = in_force.get(item.request_id)
        if answer is None or answer.tells_the_same_as(told.get(item.request_id)):
            gone.append(item.id)
            continue
        if answer != answer_of_item(item):  # unchanged items are not written again
            item.sqlmodel_update(answer.columns())
            session.add(item)
        left.append((item, title))
    session.execute(delete(NoticeItem).where(col(NoticeItem.id).in_(gone)))
    roadmap_items = _roadmap_items(session, {item.roadmap_item_id for item, _ in left})
    tells: dict[int, list[_Told]] = defaultdict(list)
    for item, title in left:
        roadmap_item = roadmap_items.get(item.roadmap_item_id or 0)
        tells[item.notice_id].append(_Told(item, title, roadmap_item))
    return tells


def _roadmap_items(session: Session, ids: set[int | None]) -> dict[int, RoadmapItem]:
    found = session.exec(select(RoadmapItem).where(col(RoadmapItem.id).in_(ids - {None})))
    return {roadmap_item.id or 0: roadmap_item for roadmap_item in found}


def _stakeholders_of(session: Session, notices: Sequence[Notice]) -> dict[int, Stakeholder]:
    ids = [notice.stakeholder_id for notice in notices]
    found = session.exec(select(Stakeholder).where(col(Stakeholder.id).in_(ids))).all()
    return {stakeholder.id or 0: stakeholder for stakeholder in found}


def _rendered(
    notice: Notice, stakeholder: Stakeholder, told: list[_Told], settings: Settings
) -> OutgoingMessage | None:
    """The message as it will go out; kept on the notice (subject, body_text)."""
    items = [
        {
            "title": each.request_title,
            "answer": in_words(answer_of_item(each.item), each.roadmap_item),
            "why": each.item.why,
            "stakeholder_message": each.item.stakeholder_message,
        }
        for each in told
    ]
    unsubscribe = unsubscribe_url(settings, stakeholder.id or 0)
    portal = portal_link(settings, stakeholder).url
    context = {
        "name": stakeholder.name,
        "items": items,
        "unsubscribe_url": unsubscribe,
        "portal_url": portal,
    }
    notice.subject = _subject(items)
    context["subject"] = notice.subject
    bodies = render("notice", context, settings=settings)
    # The copy kept (read on the API, relayed by the change feed) is made without the
    # link, whatever a template does with it: it is the key to one person's page.
    kept = {"portal_url": PORTAL_LINK_KEPT_AS if stakeholder.email else None}
    notice.body_text = render_text("notice", context | kept, settings=settings)
    notice.channel = NoticeChannel.email if stakeholder.email else NoticeChannel.feed
    if stakeholder.email is None:
        return None
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


def _subject(items: list[dict[str, Any]]) -> str:
    if len(items) == 1:
        return f"What we decided about your request: {items[0]['title']}"
    return f"What we decided about {len(items)} of your requests"


def record_attempts(session: Session, attempts: Sequence[Attempt], *, settings: Settings) -> None:
    """Store how each went: sent (and announced on the change feed), failed for good (at
    once when the mail server refused it for good), or due again after a backoff. One
    transaction for a batch: on SQLite each would wait its turn for the one writer."""
    if not attempts:
        return  # the sender's first round has nothing mailed yet to record
    by_id = {attempt.claim.notice_id: attempt for attempt in attempts}
    leased = session.exec(
        select(Notice)
        .where(col(Notice.id).in_(sorted(by_id)))
        .order_by(col(Notice.id))
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    backoff = Backoff(settings.notice_backoff_base_seconds, settings.notice_backoff_max_seconds)
    sent = []
    for notice in leased:
        attempt = by_id[notice.id or 0]
        if notice.lease_token != attempt.claim.lease_token:
            continue  # cancelled meanwhile, or the lease ran out and another sender took it
        error = attempt.error
        NOTICES.settle(notice, succeeded=error is None, backoff=backoff, final=attempt.permanent)
        notice.last_error = error[:ERROR_CHARS] if error else None
        if error is None:
            notice.sent_at = notice.finished_at
            sent.append(notice)
        session.add(notice)
    session.flush()
    for read in to_reads(session, sent):
        announce(session, "notice", read.id, "sent", read)
