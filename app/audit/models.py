"""The audit log: who changed what, when, and the values before and after."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, String
from sqlmodel import Field, SQLModel

from app.core.models import NEVER_REUSE_IDS, ServerId
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
    id: ServerId
    occurred_at: datetime = Field(description="When the change was made (UTC, ISO 8601).")
    actor_type: str = Field(
        description="Who made it: user, service_token, stakeholder (on their portal page), "
        "or system (no caller, such as the command line)."
    )
    actor_id: int | None = Field(
        description="The user's, service token's or stakeholder's id; null for system."
    )
    actor_label: str | None = Field(
        description="The user's e-mail, the token's name, or the stakeholder's e-mail (else "
        "name) at the time; null for system."
    )
    entity: str = Field(
        description="What changed: stakeholder, request, need, roadmap_item, decision, user, "
        "service_token or webhook."
    )
    entity_id: int = Field(description="The id of the resource that changed.")
    action: str = Field(description="create, update, delete, or merge (needs into this one).")
    before: dict[str, Any] | None = Field(
        description="Its stored fields before the change; null for a create (a merge: the "
        "merged needs' ids)."
    )
    after: dict[str, Any] | None = Field(
        description="Its stored fields after the change; null for a delete (a merge: the "
        "requests and decisions moved)."
    )


class AuditPage(Page[AuditEntryRead]):
    pass
