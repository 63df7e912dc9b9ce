"""Webhook subscriptions, their deliveries (one per matching event) and every attempt."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated

import pydantic
from pydantic import AfterValidator, Strict
from sqlalchemy import JSON, BigInteger, Index, Integer, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.models import NEVER_REUSE_IDS, Body, ResourceTable
from app.core.pagination import Page
from app.core.types import BigIntPK, NoNul, NotNull, UTCDateTime, utcnow
from app.events.types import EventPattern
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
    url: WebhookUrl = Field(sa_type=String(2000))
    # Which event types to send: exact types, "<entity>.*" or "*" for all.
    events: EventPatterns = Field(default_factory=lambda: ["*"], sa_type=JSON)
    active: Active = True
    description: Description | None = Field(default=None, sa_type=String(500))


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
    url: Annotated[WebhookUrl | None, NotNull] = None
    events: Annotated[EventPatterns | None, NotNull] = None
    active: Annotated[Active | None, NotNull] = None
    description: Description | None = None
    secret: Annotated[Secret | None, NotNull] = Field(
        default=None, description="Rotate the signing secret."
    )


class WebhookRead(WebhookFields):
    id: int
    created_at: datetime
    updated_at: datetime
    version: int


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
    attempted_at: datetime
    duration_ms: int
    response_status: int | None
    error: str | None
    response_excerpt: str | None


class DeliveryRead(SQLModel):
    id: int
    webhook_id: int
    event_id: int
    event_type: str
    status: DeliveryStatus
    attempt_count: int
    next_attempt_at: datetime | None = Field(description="When the next attempt is due (pending).")
    created_at: datetime
    finished_at: datetime | None
    attempts: list[AttemptRead]


class DeliveryPage(Page[DeliveryRead]):
    pass
