"""The dispatcher's database side: turn events into deliveries, claim them, record attempts.

Every step is a short transaction, so any number of dispatchers (server workers, `reqtrack
webhooks run`) can share one database. Per subscription only the oldest unfinished
delivery may be sent, so receivers get events in feed order; a claim is a lease, so a
dispatcher that dies mid-send loses nothing: the delivery is sent again when it runs out.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, insert
from sqlmodel import Session, col, select

from app.core.config import Settings
from app.core.types import utcnow
from app.core.worker import Backoff, LeasedQueue
from app.events.models import Event, EventRead
from app.events.types import matches
from app.webhooks.models import (
    UNFINISHED,
    DeliveryStatus,
    Webhook,
    WebhookAttempt,
    WebhookCursor,
    WebhookDelivery,
)

FAN_OUT_BATCH = 500
EXCERPT_CHARS = 500
DELIVERIES = LeasedQueue(
    WebhookDelivery,
    pending=DeliveryStatus.pending,
    sending=DeliveryStatus.sending,
    done=DeliveryStatus.succeeded,
    failed=DeliveryStatus.failed,
)


@dataclass(frozen=True)
class Claim:
    """A delivery this dispatcher may send until its lease runs out."""

    delivery_id: int
    lease_token: str
    url: str
    secret: str
    event_id: int
    body: bytes


@dataclass(frozen=True)
class AttemptResult:
    attempted_at: datetime
    duration_ms: int
    response_status: int | None = None
    error: str | None = None
    response_excerpt: str | None = None

    @property
    def succeeded(self) -> bool:
        return (
            self.error is None
            and self.response_status is not None
            and (200 <= self.response_status < 300)
        )


def has_work(session: Session) -> bool:
    """Whether a subscription is behind the feed or a delivery may be due (a cheap read).

    Idle dispatchers ask this instead of opening write transactions, which on SQLite
    would take the database's one write lock every poll.
    """
    newest_event = select(func.max(Event.id)).scalar_subquery()
    behind = select(WebhookCursor.webhook_id).where(col(WebhookCursor.last_event_id) < newest_event)
    due = select(WebhookDelivery.id).where(DELIVERIES.due(utcnow()))
    return session.exec(select(behind.exists() | due.exists())).one()


def fan_out(session: Session, *, settings: Settings) -> int:
    """Queue a delivery for each new event each active subscription wants; how many."""
    subscriptions = session.exec(
        select(WebhookCursor, Webhook)
        .join(Webhook, col(Webhook.id) == WebhookCursor.webhook_id)
        # One dispatcher per cursor; the subscription is locked too (skipped if an admin is
        # changing or deleting it), so the two never wait on each other in a cycle.
        .with_for_update(skip_locked=True, of=[WebhookCursor, Webhook])
    ).all()
    now, queued = utcnow(), 0
    for cursor, webhook in subscriptions:
        events = session.exec(
            select(Event.id, Event.type)
            .where(col(Event.id) > cursor.last_event_id)
            .order_by(col(Event.id))
            .limit(FAN_OUT_BATCH)
        ).all()
        if not events:
            continue
        # A paused subscription skips what happens meanwhile; its cursor still moves.
        rows = [
            {
                "webhook_id": webhook.id,
                "event_id": event_id,
                "event_type": event_type,
                "status": DeliveryStatus.pending,
                "attempt_count": 0,
                "attempts_allowed": settings.webhook_max_attempts,
                "next_attempt_at": now,
                "created_at": now,
            }
            for event_id, event_type in events
            if webhook.active and matches(webhook.events, event_type)
        ]
        if rows:
            session.execute(insert(WebhookDelivery), rows)
        cursor.last_event_id = events[-1][0] or 0
        session.add(cursor)
        queued += len(rows) or 1  # moving a cursor is work done too: look again at once
    session.flush()
    return queued


def claim_due(session: Session, *, settings: Settings, limit: int) -> list[Claim]:
    """Lease up to `limit` due deliveries, at most one per subscription: its oldest."""
    now = utcnow()
    heads = (
        select(WebhookDelivery.webhook_id, func.min(WebhookDelivery.event_id).label("event_id"))
        .where(col(WebhookDelivery.status).in_(UNFINISHED))
        .group_by(col(WebhookDelivery.webhook_id))
        .subquery()
    )
    rows = session.exec(
        select(WebhookDelivery, Webhook, Event)
        .join(
            heads,
            and_(
                col(WebhookDelivery.webhook_id) == heads.c.webhook_id,
                col(WebhookDelivery.event_id) == heads.c.event_id,
            ),
        )
        .join(Webhook, col(Webhook.id) == WebhookDelivery.webhook_id)
        .join(Event, col(Event.id) == WebhookDelivery.event_id)
        .where(col(Webhook.active), DELIVERIES.due(now))
        .order_by(col(WebhookDelivery.next_attempt_at))
        .limit(limit)
        .with_for_update(skip_locked=True, of=WebhookDelivery)  # another dispatcher has it
    ).all()
    claims = []
    for delivery, webhook, event in rows:
        token = DELIVERIES.lease(delivery, seconds=settings.webhook_lease_seconds)
        session.add(delivery)
        body = EventRead.model_validate(event).model_dump_json().encode()
        claims.append(
            Claim(delivery.id or 0, token, webhook.url, webhook.secret, event.id or 0, body)
        )
    session.flush()
    return claims


def record_attempt(
    session: Session, *, claim: Claim, result: AttemptResult, settings: Settings
) -> None:
    """Store the attempt and decide what comes next: done, failed, or another try later."""
    delivery = session.get(
        WebhookDelivery, claim.delivery_id, with_for_update=True, populate_existing=True
    )
    if delivery is None or delivery.lease_token != claim.lease_token:
        return  # the subscription was deleted, or the lease ran out and another took it
    session.execute(
        insert(WebhookAttempt),
        [
            {
                "delivery_id": delivery.id,
                "attempted_at": result.attempted_at,
                "duration_ms": result.duration_ms,
                "response_status": result.response_status,
                "error": result.error[:EXCERPT_CHARS] if result.error else None,
                "response_excerpt": result.response_excerpt,
            }
        ],
    )
    DELIVERIES.settle(delivery, succeeded=result.succeeded, backoff=backoff_of(settings))
    session.add(delivery)
    session.flush()


def backoff_of(settings: Settings) -> Backoff:
    return Backoff(settings.webhook_backoff_base_seconds, settings.webhook_backoff_max_seconds)
