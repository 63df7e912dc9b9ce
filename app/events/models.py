"""The change feed: one event per write, in commit order, with the resource after it."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, String
from sqlmodel import Field, SQLModel

from app.core.models import NEVER_REUSE_IDS
from app.core.types import BigIntPK, UTCDateTime, utcnow


class Event(SQLModel, table=True):
    __table_args__ = NEVER_REUSE_IDS

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    type: str = Field(sa_type=String(64), index=True)
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    entity: str = Field(sa_type=String(32))
    entity_id: int = Field(sa_type=BigInteger)
    data: dict[str, Any] = Field(sa_type=JSON)


class EventRead(SQLModel):
    id: int = Field(
        description="Its position in the change feed: events are numbered in commit order."
    )
    type: str = Field(
        description="What happened, as <entity>.<verb>: created, updated or deleted "
        "(a decision: recorded), need.merged, decision.suspect."
    )
    occurred_at: datetime = Field(description="When the change was made (UTC, ISO 8601).")
    data: dict[str, Any] = Field(
        description="The resource after the change, as the API answers it; for a deletion, "
        "its last stored fields (need.merged adds merged_need_ids)."
    )


class EventFeed(SQLModel):
    items: list[EventRead] = Field(description="The events after the position, oldest first.")
    next_cursor: str = Field(description="Never null: call again with it to get what is new.")
