"""Requests: what a stakeholder asked for, verbatim, and where it came from."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated

import pydantic
from pydantic import ConfigDict, model_validator
from sqlalchemy import BigInteger, Index, String, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from app.core.models import (
    NEVER_REUSE_IDS,
    Body,
    CreatedAt,
    ReadModel,
    ResourceTable,
    ServerId,
    UpdatedAt,
    Version,
    described_like,
)
from app.core.pagination import Page
from app.core.types import Id, Money, MoneyAmount, NoNul, NoSlash, NotNull, Trimmed, UTCDateTime
from app.decisions.models import DecisionRead


class Channel(StrEnum):
    support_ticket = "support_ticket"
    sales_call = "sales_call"
    rfp = "rfp"
    email = "email"
    meeting = "meeting"
    survey = "survey"
    chat = "chat"
    portal = "portal"  # the stakeholder, on their own portal page
    other = "other"


class Urgency(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"


# What each urgency multiplies its stakeholder's weight by, in weighted demand.
URGENCY_FACTOR = {Urgency.low: 1, Urgency.medium: 2, Urgency.high: 3, Urgency.critical: 5}
URGENCY_FACTORS_IN_WORDS = ", ".join(f"{u.value} {f}" for u, f in URGENCY_FACTOR.items())


class RequestSort(StrEnum):
    """The orders of the requests list: a leading '-' puts the largest first. Each is a
    keyset (the value, then the id), so every page is read from an index."""

    newest = "-created_at"
    oldest = "created_at"
    most_revenue = "-revenue_at_stake"
    most_urgent = "-urgency"


# What the revenue and urgency orders compare, as SQL of the table's columns ({table} is
# "" or "request."): their indexes are on these very expressions, which is how both
# databases find them. No revenue sorts below any amount.
REVENUE_ORDER_SQL = "coalesce({table}revenue_at_stake, -1)"
URGENCY_RANK = {urgency: rank for rank, urgency in enumerate(Urgency, start=1)}
URGENCY_ORDER_SQL = (
    "(CASE {table}urgency "
    + " ".join(f"WHEN '{urgency.value}' THEN {rank}" for urgency, rank in URGENCY_RANK.items())
    + " END)"
)
# SQLAlchemy cannot read indexes on expressions back from SQLite: the schema comparison
# leaves them out, and tests/requests/test_sorting.py checks them.
EXPRESSION_INDEXES = frozenset({"ix_request_revenue_order", "ix_request_urgency_order"})


def compared_object(_object: object, name: str | None, type_: str, *_rest: object) -> bool:
    """Alembic's include_object: indexes on expressions are models, but SQLAlchemy cannot
    read them back from SQLite (tests/requests/test_sorting.py checks them instead)."""
    return not (type_ == "index" and name in EXPRESSION_INDEXES)


class RequestStatus(StrEnum):
    """Derived, never stored: from whether a decision answers it, else whether it has a
    need."""

    new = "new"
    triaged = "triaged"
    decided = "decided"

    @classmethod
    def of(cls, *, need_id: int | None, decided: bool) -> "RequestStatus":
        if decided:
            return cls.decided
        return cls.triaged if need_id is not None else cls.new


Title = Annotated[str, pydantic.Field(min_length=1, max_length=300), NoNul, Trimmed]
# Verbatim words, RFP text included: generous, but bounded.
Description = Annotated[str, pydantic.Field(max_length=100_000), NoNul]
SourceSystem = Annotated[str, pydantic.Field(min_length=1, max_length=100), NoNul, Trimmed, NoSlash]
ExternalId = Annotated[str, pydantic.Field(min_length=1, max_length=200), NoNul, Trimmed]
Customer = Annotated[str, pydantic.Field(min_length=1, max_length=200), NoNul, Trimmed]


class RequestFields(SQLModel):
    """What a client may write, apart from the external reference."""

    title: Title = Field(sa_type=String(300), description="The request in a few words.")
    description: Description = Field(
        default="",
        sa_type=Text,
        description="What the stakeholder asked, verbatim (the ticket, the e-mail, the RFP "
        "text); may be empty.",
    )
    stakeholder_id: Id = Field(
        sa_type=BigInteger,
        foreign_key="stakeholder.id",
        ondelete="RESTRICT",
        index=True,
        description="Who asked: the stakeholder's id.",
    )
    channel: Channel = Field(
        default=Channel.other,
        sa_type=String(32),
        index=True,
        description="How the request reached the company.",
    )
    customer: Customer | None = Field(
        default=None,
        sa_type=String(200),
        index=True,
        description="The customer account it is for (e.g. Acme Corp); null if none.",
    )
    revenue_at_stake: MoneyAmount | None = Field(
        default=None,
        sa_type=Money,
        description="The money that depends on it (a deal, a renewal), at most two decimals "
        "and in no particular currency; null if unknown.",
    )
    urgency: Urgency = Field(
        default=Urgency.medium,
        sa_type=String(16),
        index=True,
        description="How urgent the stakeholder says it is; in weighted demand it counts "
        f"{URGENCY_FACTORS_IN_WORDS}.",
    )
    need_id: Id | None = Field(
        default=None,
        sa_type=BigInteger,
        foreign_key="need.id",
        ondelete="RESTRICT",
        index=True,
        description="The need it is filed under (its triage); null until triaged.",
    )


class ExternalReference(SQLModel):
    source_system: SourceSystem | None = Field(
        default=None,
        sa_type=String(100),
        description="The tool it came from (e.g. crm), given with external_id or not at all.",
    )
    external_id: ExternalId | None = Field(
        default=None,
        sa_type=String(200),
        description="Its id in that tool (e.g. OPP-4411); the two name one request, which "
        "PUT /requests/external/{source_system}/{external_id} creates or updates.",
    )

    @model_validator(mode="after")
    def both_or_neither(self) -> "ExternalReference":
        if (self.source_system is None) != (self.external_id is None):
            raise ValueError("source_system and external_id are given together or not at all")
        return self


ANSWERED = "first_answered_at IS NOT NULL"


class Request(RequestFields, ResourceTable, table=True):
    __table_args__ = (
        UniqueConstraint("source_system", "external_id"),
        # The list's created_after / created_before, and its orders by revenue and urgency,
        # each read by an index.
        Index("ix_request_created_at", "created_at"),
        Index("ix_request_revenue_order", text(REVENUE_ORDER_SQL.format(table="")), "id"),
        Index("ix_request_urgency_order", text(URGENCY_ORDER_SQL.format(table="")), "id"),
        # What "time to first decision" reads of each answered request, narrow enough to
        # scan instead of the rows (far faster on SQLite once there are many requests).
        Index(
            "ix_request_answered",
            "first_answered_at",
            "created_at",
            "stakeholder_id",
            sqlite_where=text(ANSWERED),
            postgresql_where=text(ANSWERED),
        ),
        NEVER_REUSE_IDS,
    )

    source_system: str | None = Field(default=None, sa_type=String(100))
    external_id: str | None = Field(default=None, sa_type=String(200))
    # Set from the caller's token, never from the body: a user, or an integration's token.
    created_by: int | None = Field(
        default=None, sa_type=BigInteger, foreign_key="user_account.id", ondelete="SET NULL"
    )
    # When the request first got an answer (its own decision, or its need's once it was
    # under that need): what "time to first decision" measures. Set once, never cleared.
    first_answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by_service_token_id: int | None = Field(
        default=None, sa_type=BigInteger, foreign_key="service_token.id", ondelete="SET NULL"
    )


class RequestCreate(RequestFields, ExternalReference, Body):
    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "title": "SSO with Okta for Acme",
                    "description": "Acme will not sign the renewal without SAML SSO.",
                    "stakeholder_id": 1,
                    "channel": "sales_call",
                    "customer": "Acme Corp",
                    "revenue_at_stake": 120000,
                    "urgency": "high",
                    "source_system": "crm",
                    "external_id": "OPP-4411",
                }
            ]
        }
    }


class RequestUpsert(RequestFields, Body):
    """Body of PUT /requests/external/{source_system}/{external_id}."""


class RequestUpdate(Body):
    model_config = {"json_schema_extra": described_like(RequestFields, ExternalReference)}

    title: Annotated[Title | None, NotNull] = None
    description: Annotated[Description | None, NotNull] = None
    stakeholder_id: Annotated[Id | None, NotNull] = None
    channel: Annotated[Channel | None, NotNull] = None
    source_system: SourceSystem | None = None
    external_id: ExternalId | None = None
    customer: Customer | None = None
    revenue_at_stake: MoneyAmount | None = None
    urgency: Annotated[Urgency | None, NotNull] = None
    need_id: Id | None = None


class RequestRead(ReadModel):
    model_config = ConfigDict(json_schema_extra=described_like(RequestFields, ExternalReference))

    id: ServerId
    title: str
    description: str
    stakeholder_id: int
    channel: Channel
    source_system: str | None
    external_id: str | None
    customer: str | None
    revenue_at_stake: MoneyAmount | None
    urgency: Urgency
    need_id: int | None
    status: RequestStatus = pydantic.Field(
        description="Derived: decided once a decision answers it (its own or its need's), "
        "else triaged when filed under a need, else new."
    )
    first_answered_at: datetime | None = pydantic.Field(
        default=None,
        description="When it first got an answer, its own decision or its need's (UTC); set "
        "once, never cleared.",
    )
    decision: DecisionRead | None = pydantic.Field(
        default=None,
        description="Its effective decision: its own current one, else its need's current "
        "one; null while undecided.",
    )
    created_by: int | None = pydantic.Field(
        description="The user who filed it; null when an integration's service token did."
    )
    created_at: CreatedAt
    updated_at: UpdatedAt
    version: Version


class RequestPage(Page[RequestRead]):
    pass
