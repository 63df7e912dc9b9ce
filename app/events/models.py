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
    id: int
    type: str
    occurred_at: datetime
    data: dict[str, Any]


class EventFeed(SQLModel):
    items: list[EventRead]
    next_cursor: str = Field(description="Never null: call again with it to get what is new.")
