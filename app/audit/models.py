"""The audit log: who changed what, when, and the values before and after."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, String
from sqlmodel import Field, SQLModel

from app.core.models import NEVER_REUSE_IDS
from app.core.pagination import Page
from app.core.types import BigIntPK, UTCDateTime, utcnow


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entry_entity", "entity", "entity_id"),
        Index("ix_audit_entry_actor", "actor_type", "actor_id"),
        NEVER_REUSE_IDS,
    )

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor_type: str = Field(sa_type=String(16))
    actor_id: int | None = Field(default=None, sa_type=BigInteger)
    actor_label: str | None = Field(default=None, sa_type=String(320))
    entity: str = Field(sa_type=String(32))
    entity_id: int = Field(sa_type=BigInteger)
    action: str = Field(sa_type=String(32))
    before: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=JSON)


class AuditEntryRead(SQLModel):
    id: int
    occurred_at: datetime
    actor_type: str
    actor_id: int | None
    actor_label: str | None
    entity: str
    entity_id: int
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AuditPage(Page[AuditEntryRead]):
    pass
