"""Notices: one message to one stakeholder, telling them what was decided about their
requests and why. Each lists its requests as items, with the answer each carries."""

from datetime import datetime
from enum import StrEnum

import pydantic
from sqlalchemy import BigInteger, Index, Integer, String, Table, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.models import NEVER_REUSE_IDS, ServerId
from app.core.pagination import Page
from app.core.types import BigIntPK, UTCDateTime, utcnow
from app.core.worker import LeasedQueue
from app.decisions.models import Outcome
from app.requests.models import RequestRead


class NoticeStatus(StrEnum):
    pending = "pending"  # gathering changes until send_after, then waiting to be sent
    held = "held"  # waiting for a manager's release
    sending = "sending"  # a sender holds it right now
    sent = "sent"
    failed = "failed"  # attempts ran out; retry by hand
    cancelled = "cancelled"


# Still taking changes: nothing of it has gone out, and no sender holds it.
GATHERING = (NoticeStatus.pending, NoticeStatus.held)


class NoticeChannel(StrEnum):
    email = "email"
    feed = "feed"  # no address: only the notice.sent event carries it


class Notice(SQLModel, table=True):
    __table_args__ = (
        # The sender's question: what is due now.
        Index("ix_notice_due", "status", "next_attempt_at"),
        NEVER_REUSE_IDS,
    )

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    stakeholder_id: int = Field(
        sa_type=BigInteger, foreign_key="stakeholder.id", ondelete="CASCADE", index=True
    )
    status: NoticeStatus = Field(sa_type=String(16))
    channel: NoticeChannel = Field(sa_type=String(8))
    subject: str = Field(default="", sa_type=String(300))
    body_text: str = Field(default="", sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Changes for the stakeholder gather until then, into this one notice.
    send_after: datetime = Field(sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The sender's bookkeeping (app.core.worker.LeasedQueue).
    next_attempt_at: datetime = Field(sa_type=UTCDateTime)
    attempt_count: int = Field(default=0, sa_type=Integer)
    attempts_allowed: int = Field(sa_type=Integer)
    lease_token: str | None = Field(default=None, sa_type=String(32))
    lease_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_type=String(500))


# The sender's queue: claimed with a lease, retried with backoff (app.core.worker).
NOTICES = LeasedQueue(
    Notice,
    pending=NoticeStatus.pending,
    sending=NoticeStatus.sending,
    done=NoticeStatus.sent,
    failed=NoticeStatus.failed,
)


class NoticeItem(SQLModel, table=True):
    """One request of a notice, and the answer it tells: the answer in force when it was
    sent (while the notice gathers, the latest one)."""

    __tablename__ = "notice_item"
    __table_args__ = (UniqueConstraint("notice_id", "request_id"),)

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    notice_id: int = Field(sa_type=BigInteger, foreign_key="notice.id", ondelete="CASCADE")
    request_id: int = Field(
        sa_type=BigInteger, foreign_key="request.id", ondelete="CASCADE", index=True
    )
    decision_id: int = Field(sa_type=BigInteger, foreign_key="decision.id", ondelete="CASCADE")
    outcome: Outcome = Field(sa_type=String(16))
    roadmap_item_id: int | None = Field(default=None, sa_type=BigInteger)
    # shipped or cancelled once the item it was accepted into ended; else null.
    roadmap_item_status: str | None = Field(default=None, sa_type=String(16))
    why: str = Field(sa_type=Text)
    stakeholder_message: str | None = Field(default=None, sa_type=Text)


class NoticeOwed(SQLModel, table=True):
    """A request whose answer may have changed: the sender brings its stakeholder's
    notice in line with the answers then in force, and deletes the row. Written in the
    transaction of the change (an outbox): no change is missed, and the change's own
    transaction stays as short as it was."""

    __tablename__ = "notice_owed"
    __table_args__ = (NEVER_REUSE_IDS,)

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    request_id: int = Field(
        sa_type=BigInteger, foreign_key="request.id", ondelete="CASCADE", index=True
    )
    owed_at: datetime = Field(sa_type=UTCDateTime)


# The tables, for Core inserts: a decision on a need writes thousands of rows at once.
NOTICE_TABLE: Table = Notice.__table__  # type: ignore[attr-defined]
NOTICE_ITEM_TABLE: Table = NoticeItem.__table__  # type: ignore[attr-defined]
NOTICE_OWED_TABLE: Table = NoticeOwed.__table__  # type: ignore[attr-defined]


class NoticeItemRead(SQLModel):
    request_id: int = pydantic.Field(description="The request this part of the notice is about.")
    decision_id: int = pydantic.Field(description="The decision that answers it.")
    outcome: Outcome = pydantic.Field(description="The answer: accepted, declined, and so on.")
    roadmap_item_id: int | None = pydantic.Field(
        description="The roadmap item it was accepted into (or deferred to); null if none."
    )
    roadmap_item_status: str | None = pydantic.Field(
        description="shipped or cancelled when that item has ended; null while it is open."
    )
    why: str = pydantic.Field(description="Why it was decided so.")
    stakeholder_message: str | None = pydantic.Field(
        description="What the decision says to the stakeholder; null if nothing."
    )


class NoticeRead(SQLModel):
    id: ServerId
    stakeholder_id: int = pydantic.Field(description="Whom it tells.")
    status: NoticeStatus = pydantic.Field(
        description="pending (gathering changes, then waiting to be sent), held (waiting "
        "for a manager's release), sending, sent, failed (attempts ran out) or cancelled."
    )
    channel: NoticeChannel = pydantic.Field(
        description="email, or feed when the stakeholder has no address: only the "
        "notice.sent event carries it."
    )
    items: list[NoticeItemRead] = pydantic.Field(
        description="One per request it tells about, with the answer it tells."
    )
    subject: str = pydantic.Field(description="The message's subject, as rendered.")
    body_text: str = pydantic.Field(description="The message's plain text, as rendered.")
    created_at: datetime = pydantic.Field(description="When the first change was owed.")
    send_after: datetime = pydantic.Field(
        description="Changes gather until then, so one message tells them all."
    )
    sent_at: datetime | None = pydantic.Field(description="When it went out; null until then.")
    attempts: int = pydantic.Field(description="How many times sending was tried.")
    last_error: str | None = pydantic.Field(
        description="Why the last attempt failed; null if none did."
    )


class NoticePage(Page[NoticeRead]):
    pass


class ToldRequestRead(RequestRead):
    """A request as its stakeholder's list shows it: with when they were told."""

    told_at: datetime | None = pydantic.Field(
        description="When the answer in force was sent to the stakeholder; null if it was "
        "not (yet): undecided, decided quietly, or still to be sent."
    )


class ToldRequestPage(Page[ToldRequestRead]):
    pass
