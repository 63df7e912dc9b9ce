"""Decisions: yes, no or not now, always with the why. Never edited: superseded."""

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

import pydantic
from pydantic import model_validator
from sqlalchemy import BigInteger, Boolean, CheckConstraint, Date, Index, String, Text, text
from sqlmodel import Field, SQLModel

from app.core.models import NEVER_REUSE_IDS, Body, ReadModel
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


class DecisionCreate(Body):
    outcome: Outcome
    why: Why
    stakeholder_message: StakeholderMessage | None = None
    roadmap_item_id: Id | None = None
    duplicate_of_request_id: Id | None = None
    revisit_at: IsoDate | None = None

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

    why: Why
    stakeholder_message: StakeholderMessage | None = None


class DecisionRead(ReadModel):
    id: int
    request_id: int | None
    need_id: int | None
    outcome: Outcome
    roadmap_item_id: int | None
    why: str
    stakeholder_message: str | None
    duplicate_of_request_id: int | None
    decided_by: int | None
    decided_at: datetime
    revisit_at: date | None
    supersedes_id: int | None
    is_current: bool
    suspect: bool


class DecisionPage(Page[DecisionRead]):
    pass
