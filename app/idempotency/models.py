"""Idempotency keys: a POST performed once per caller and key, its response kept to replay."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Integer, LargeBinary, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.models import NEVER_REUSE_IDS
from app.core.types import BigIntPK, UTCDateTime, utcnow


class KeyStatus(StrEnum):
    # Committed together with the POST's own changes: the work was done.
    in_progress = "in_progress"
    completed = "completed"


class IdempotencyKey(SQLModel, table=True):
    __tablename__ = "idempotency_key"
    __table_args__ = (UniqueConstraint("caller", "key"), NEVER_REUSE_IDS)

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    # "user:7" or "service_token:3": one caller's keys never meet another's.
    caller: str = Field(sa_type=String(64))
    key: str = Field(sa_type=String(255))
    method: str = Field(sa_type=String(10))
    path: str = Field(sa_type=String(2000))
    status: KeyStatus = Field(default=KeyStatus.in_progress, sa_type=String(16))
    # Tells the request that wrote the claim from one that found it.
    claim_token: str = Field(sa_type=String(32))
    request_sha256: str | None = Field(default=None, sa_type=String(64))
    response_status: int | None = Field(default=None, sa_type=Integer)
    response_headers: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    response_body: bytes | None = Field(default=None, sa_type=LargeBinary)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
