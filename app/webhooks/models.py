"""Webhook subscriptions, their deliveries (one per matching event) and every attempt."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated

import pydantic
from pydantic import AfterValidator, Strict
from sqlalchemy import JSON, BigInteger, Index, Integer, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.models import (
    NEVER_REUSE_IDS,
    Body,
    CreatedAt,
    ResourceTable,
    ServerId,
    UpdatedAt,
    Version,
    described_like,
)
from app.core.pagination import Page
from app.core.types import BigIntPK, NoNul, NotNull, UTCDateTime, utcnow
from app.events.types import PATTERN_MEANING, EventPattern
from app.webhooks.addresses import check_url_shape
from app.webhooks.signing import SECRET_PATTERN, check_secret

WebhookUrl = Annotated[
    str,
    pydantic.Field(
        min_length=1,
        max_length=2000,
        pattern=r"^https?://",
        json_schema_extra={"format": "uri"},
    ),
    NoNul,
    AfterValidator(check_url_shape),
]
Active = Annotated[bool, Strict()]
EventPatterns = Annotated[list[EventPattern], pydantic.Field(min_length=1, max_length=50)]
Secret = Annotated[
    str, pydantic.Field(max_length=200, pattern=SECRET_PATTERN), AfterValidator(check_secret)
]
Description = Annotated[str, pydantic.Field(max_length=500), NoNul]


class WebhookFields(SQLModel):
    url: WebhookUrl = Field(
        sa_type=String(2000),
        description="Where each event is POSTed, signed: an http or https URL, never a "
        "link-local or cloud metadata address.",
    )
    events: EventPatterns = Field(
        default_factory=lambda: ["*"],
        sa_type=JSON,
        description=f"Which events to send, each chosen by a pattern. {PATTERN_MEANING}",
    )
    active: Active = Field(
        default=True,
        description="False pauses the subscription: events meanwhile are skipped, not queued.",
    )
    description: Description | None = Field(
        default=None, sa_type=String(500), description="A note on what it is for; null if none."
    )


class Webhook(WebhookFields, ResourceTable, table=True):
    __table_args__ = NEVER_REUSE_IDS

    # Kept as given: every delivery is signed with it (it never leaves through the API).
    secret: str = Field(sa_type=String(200))


class WebhookCreate(WebhookFields, Body):
    secret: Secret | None = Field(
        default=None,
        description="whsec_ + base64 of 24-64 random bytes; generated when not given.",
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "url": "https://helpdesk.example.com/hooks/reqtrack",
                    "events": ["decision.recorded", "request.*"],
                    "description": "Tell ticket owners what was decided",
                }
            ]
        }
    }


class WebhookUpdate(Body):
    model_config = {"json_schema_extra": described_like(WebhookFields)}

    url: Annotated[WebhookUrl | None, NotNull] = None
    events: Annotated[EventPatterns | None, NotNull] = None
    active: Annotated[Active | None, NotNull] = None
    description: Description | None = None
    secret: Annotated[Secret | None, NotNull] = Field(
        default=None, description="Rotate the signing secret."
    )


class WebhookRead(WebhookFields):
    # As stored: a pattern an older version accepted (one naming no event type this
    # server sends) is still shown, not a 500. It chooses nothing.
    events: list[str] = Field(
        description=f"Which events it sends, each chosen by a pattern. {PATTERN_MEANING}"
    )
    id: ServerId
    created_at: CreatedAt
    updated_at: UpdatedAt
    version: Version


class WebhookCreated(WebhookRead):
    secret: str | None = Field(
        description="The secret the server generated, shown this once: verify "
        "webhook-signature with it. Null when the body gave one: a secret is write-only."
    )


class WebhookPage(Page[WebhookRead]):
    pass


class WebhookCursor(SQLModel, table=True):
    """The dispatcher's position in the change feed for one subscription."""

    __tablename__ = "webhook_cursor"

    webhook_id: int = Field(
        sa_type=BigInteger, foreign_key="webhook.id", ondelete="CASCADE", primary_key=True
    )
    last_event_id: int = Field(default=0, sa_type=BigInteger)


class DeliveryStatus(StrEnum):
    pending = "pending"
    sending = "sending"
    succeeded = "succeeded"
    failed = "failed"


UNFINISHED = (DeliveryStatus.pending, DeliveryStatus.sending)


class WebhookDelivery(SQLModel, table=True):
    """One event to send to one subscription, in event order per subscription."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("webhook_id", "event_id"),
        # The dispatcher's question: each subscription's oldest unfinished delivery.
        Index("ix_webhook_delivery_unfinished", "status", "webhook_id", "event_id"),
        NEVER_REUSE_IDS,
    )

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    # Indexed by the unique constraint, which starts with it.
    webhook_id: int = Field(sa_type=BigInteger, foreign_key="webhook.id", ondelete="CASCADE")
    event_id: int = Field(
        sa_type=BigInteger, foreign_key="event.id", ondelete="CASCADE", index=True
    )
    event_type: str = Field(sa_type=String(64))
    status: DeliveryStatus = Field(default=DeliveryStatus.pending, sa_type=String(16))
    attempt_count: int = Field(default=0, sa_type=Integer)
    # Failed once attempt_count reaches it; a manual retry grants another round.
    attempts_allowed: int = Field(sa_type=Integer)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # While sending: who holds it, and until when (a crashed sender's claim runs out).
    lease_token: str | None = Field(default=None, sa_type=String(32))
    lease_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class WebhookAttempt(SQLModel, table=True):
    __tablename__ = "webhook_attempt"

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    delivery_id: int = Field(
        sa_type=BigInteger, foreign_key="webhook_delivery.id", ondelete="CASCADE", index=True
    )
    attempted_at: datetime = Field(sa_type=UTCDateTime)
    duration_ms: int = Field(sa_type=Integer)
    response_status: int | None = Field(default=None, sa_type=Integer)
    # Why it failed when there was no answer (timeout, refused address, connection error).
    error: str | None = Field(default=None, sa_type=String(500))
    response_excerpt: str | None = Field(default=None, sa_type=String(500))


class AttemptRead(SQLModel):
    attempted_at: datetime = Field(description="When the attempt started (UTC, ISO 8601).")
    duration_ms: int = Field(description="How long it took, in milliseconds.")
    response_status: int | None = Field(
        description="The HTTP status the receiver answered; null when it did not answer."
    )
    error: str | None = Field(
        description="Why it failed when there was no answer (timeout, refused address, "
        "connection error); null otherwise."
    )
    response_excerpt: str | None = Field(
        description="The start of the receiver's answer (at most 500 characters); null if "
        "it was empty or there was none."
    )


class DeliveryRead(SQLModel):
    id: ServerId
    webhook_id: int = Field(description="The subscription it is for.")
    event_id: int = Field(
        description="The event it carries, by its id in the change feed (sent as the "
        "webhook-id header, evt_<id>)."
    )
    event_type: str = Field(description="That event's type, e.g. request.created.")
    status: DeliveryStatus = Field(
        description="pending (an attempt is due), sending, succeeded (a 2xx answer) or failed "
        "(out of attempts: it can be retried)."
    )
    attempt_count: int = Field(description="How many attempts were made so far.")
    next_attempt_at: datetime | None = Field(
        description="When the next attempt is due (UTC); null unless pending."
    )
    created_at: CreatedAt
    finished_at: datetime | None = Field(
        description="When it succeeded or failed for good (UTC); null until then."
    )
    attempts: list[AttemptRead] = Field(description="Every attempt made, oldest first.")


class DeliveryPage(Page[DeliveryRead]):
    pass
