"""Decisions: yes, no or not now, always with the why. Never edited: superseded."""

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

import pydantic
from pydantic import ConfigDict, Strict, model_validator
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Index,
    String,
    Text,
    text,
    true,
)
from sqlmodel import Field, SQLModel

from app.core.models import NEVER_REUSE_IDS, Body, ReadModel, ServerId, described_like
from app.core.pagination import Page
from app.core.types import BigIntPK, Id, IsoDate, NoNul, Trimmed, UTCDateTime, utcnow


class Outcome(StrEnum):
    accepted = "accepted"
    declined = "declined"
    deferred = "deferred"
    duplicate = "duplicate"
    needs_info = "needs_info"


Why = Annotated[str, pydantic.Field(min_length=1, max_length=5000), NoNul, Trimmed]
StakeholderMessage = Annotated[str, pydantic.Field(max_length=5000), NoNul]


class Decision(SQLModel, table=True):
    __table_args__ = (
        CheckConstraint("(request_id IS NULL) != (need_id IS NULL)", name="exactly_one_subject"),
        # The database itself guarantees one current decision per subject.
        Index(
            "uq_decision_current_request",
            "request_id",
            unique=True,
            sqlite_where=text("is_current"),
            postgresql_where=text("is_current"),
        ),
        Index(
            "uq_decision_current_need",
            "need_id",
            unique=True,
            sqlite_where=text("is_current"),
            postgresql_where=text("is_current"),
        ),
        NEVER_REUSE_IDS,
    )

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    request_id: int | None = Field(
        default=None, sa_type=BigInteger, foreign_key="request.id", ondelete="RESTRICT", index=True
    )
    need_id: int | None = Field(
        default=None, sa_type=BigInteger, foreign_key="need.id", ondelete="RESTRICT", index=True
    )
    outcome: Outcome = Field(sa_type=String(16), index=True)
    roadmap_item_id: int | None = Field(
        default=None,
        sa_type=BigInteger,
        foreign_key="roadmap_item.id",
        ondelete="RESTRICT",
        index=True,
    )
    why: str = Field(sa_type=Text)
    stakeholder_message: str | None = Field(default=None, sa_type=Text)
    duplicate_of_request_id: int | None = Field(
        default=None,
        sa_type=BigInteger,
        foreign_key="request.id",
        ondelete="RESTRICT",
        index=True,  # checked on every request delete
    )
    decided_by: int | None = Field(
        default=None,
        sa_type=BigInteger,
        foreign_key="user_account.id",
        ondelete="SET NULL",
        index=True,
    )
    decided_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    revisit_at: date | None = Field(default=None, sa_type=Date)
    supersedes_id: int | None = Field(
        default=None, sa_type=BigInteger, foreign_key="decision.id", ondelete="RESTRICT"
    )
    is_current: bool = Field(default=True, sa_type=Boolean)
    # False: recorded without telling anyone (no notice is owed for it).
    notify: bool = Field(
        default=True, sa_column=Column(Boolean, nullable=False, server_default=true())
    )


class DecisionCreate(Body):
    outcome: Outcome = pydantic.Field(
        description="accepted (into a roadmap item), declined, deferred, duplicate (of "
        "another request) or needs_info (more information is needed first)."
    )
    why: Why = pydantic.Field(description="The reasoning behind the decision, kept with it.")
    stakeholder_message: StakeholderMessage | None = pydantic.Field(
        default=None, description="What is told back to the stakeholder; null if nothing."
    )
    roadmap_item_id: Id | None = pydantic.Field(
        default=None,
        description="The roadmap item it is accepted into: required when accepted, allowed "
        "when deferred, null otherwise.",
    )
    duplicate_of_request_id: Id | None = pydantic.Field(
        default=None,
        description="The request this one duplicates: given exactly when the outcome is "
        "duplicate (a request's decision only).",
    )
    revisit_at: IsoDate | None = pydantic.Field(
        default=None,
        description="A day, today or later, to look at it again; null if none.",
    )
    notify: Annotated[bool, Strict()] = pydantic.Field(
        default=True,
        description="False records it without telling the stakeholders: no notice is sent for it.",
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "outcome": "accepted",
                    "why": "Three enterprise deals and 40 support tickets share this need.",
                    "stakeholder_message": "SSO is planned for Q1; we will tell Acme the date.",
                    "roadmap_item_id": 3,
                }
            ]
        }
    }

    @model_validator(mode="after")
    def fields_fit_the_outcome(self) -> "DecisionCreate":
        if self.outcome is Outcome.accepted and self.roadmap_item_id is None:
            raise ValueError("roadmap_item_id is required when the outcome is accepted")
        if self.roadmap_item_id is not None and self.outcome not in (
            Outcome.accepted,
            Outcome.deferred,
        ):
            raise ValueError("roadmap_item_id goes with accepted or deferred only")
        if (self.outcome is Outcome.duplicate) != (self.duplicate_of_request_id is not None):
            raise ValueError(
                "duplicate_of_request_id is given exactly when the outcome is duplicate"
            )
        return self


class DecisionConfirm(Body):
    """Confirm a (suspect) promise: a new decision with the same outcome and item."""

    why: Why = pydantic.Field(description="Why the promise still holds, now.")
    stakeholder_message: StakeholderMessage | None = pydantic.Field(
        default=None,
        description="What is told back to the stakeholder; omit it to keep what the "
        "confirmed decision said.",
    )


class SuspectReason(pydantic.BaseModel):
    roadmap_item_id: int = pydantic.Field(description="The roadmap item that changed.")
    changed_at: datetime = pydantic.Field(description="Its last change since the decision.")
    changed_by: str | None = pydantic.Field(
        description="Who made the last of those changes, as the audit log's `actor` filter "
        "names them (user:4, service_token:2); null if the log no longer holds it."
    )
    changes: dict[str, list[Any]] = pydantic.Field(
        description="Each field that changed since the decision: [as it was when decided, as "
        "it is now] (title, description, horizon, target_date, theme, status; a text over "
        "500 characters cut, ending with an ellipsis)."
    )


class DecisionRead(ReadModel):
    """A decision as recorded: never edited; a newer one on its subject supersedes it."""

    model_config = ConfigDict(json_schema_extra=described_like(DecisionCreate))

    id: ServerId
    request_id: int | None = pydantic.Field(
        description="The request decided on; null when the decision is on a need."
    )
    need_id: int | None = pydantic.Field(
        description="The need decided on, which answers its requests that have no decision "
        "of their own; null when the decision is on a request."
    )
    outcome: Outcome
    roadmap_item_id: int | None
    why: str
    stakeholder_message: str | None
    duplicate_of_request_id: int | None
    decided_by: int | None = pydantic.Field(
        description="The user who decided; null when a service token did."
    )
    decided_at: datetime = pydantic.Field(description="When it was decided (UTC, ISO 8601).")
    revisit_at: date | None
    supersedes_id: int | None = pydantic.Field(
        description="The decision this one replaced as current; null for the first one."
    )
    is_current: bool = pydantic.Field(
        description="True for its subject's current decision; false once a newer one supersedes it."
    )
    notify: bool = pydantic.Field(
        description="Whether the stakeholders are told of it (false: recorded quietly)."
    )
    suspect: bool = pydantic.Field(
        description="True for a current acceptance whose roadmap item changed what it "
        "promised (title, description, horizon, target date, theme, or a cancellation) after "
        "the decision: confirm it or decide again."
    )
    suspect_reason: SuspectReason | None = pydantic.Field(
        default=None,
        description="Why it is suspect (null when it is not): what its roadmap item changed "
        "since the decision, when, and by whom.",
    )


class DecisionPage(Page[DecisionRead]):
    pass
