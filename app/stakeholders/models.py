"""Stakeholders: the people who ask, and the group they speak for."""

from enum import StrEnum
from typing import Annotated

import pydantic
from pydantic import Strict
from sqlalchemy import Boolean, Column, Integer, String, text, true
from sqlmodel import Field, SQLModel

from app.core.models import (
    NEVER_REUSE_IDS,
    Body,
    CreatedAt,
    ResourceTable,
    ServerId,
    UpdatedAt,
    Version,
    described_like,
)
from app.core.pagination import Page
from app.core.types import EmailAddress, NoNul, NotNull, Trimmed


class StakeholderGroup(StrEnum):
    sales = "sales"
    marketing = "marketing"
    finance = "finance"
    support = "support"
    engineering = "engineering"
    product = "product"
    executive = "executive"
    account_management = "account_management"
    customer = "customer"
    partner = "partner"
    other = "other"


Name = Annotated[str, pydantic.Field(min_length=1, max_length=200), NoNul, Trimmed]
Organization = Annotated[str, pydantic.Field(min_length=1, max_length=200), NoNul, Trimmed]
Notify = Annotated[bool, Strict()]
Weight = Annotated[float, Strict(), pydantic.Field(ge=0, le=10, allow_inf_nan=False)]


class StakeholderBase(SQLModel):
    name: Name = Field(sa_type=String(200), description="The person's name.")
    email: EmailAddress | None = Field(
        default=None,
        sa_type=String(320),
        unique=True,
        description="Their e-mail address, stored lower-case and unique among stakeholders; "
        "null if unknown.",
    )
    group: StakeholderGroup = Field(
        default=StakeholderGroup.other,
        sa_type=String(32),
        index=True,
        description="The part of the company or market they speak for; reports break "
        "demand down by it.",
    )
    organization: Organization | None = Field(
        default=None,
        sa_type=String(200),
        description="Their team or company (e.g. Enterprise sales EMEA); null if not given.",
    )
    weight: Weight = Field(
        default=1.0,
        description="How much their requests count in weighted demand, from 0 to 10: each "
        "request weighs its stakeholder's weight times its urgency factor.",
    )
    notify: Notify = Field(
        default=True,
        sa_column=Column(Boolean, nullable=False, server_default=true()),
        description="False: they are sent no notice of what was decided (their "
        "unsubscribe link sets it).",
    )


class Stakeholder(StakeholderBase, ResourceTable, table=True):
    __table_args__ = NEVER_REUSE_IDS

    # Their portal links name it; revoking them all bumps it (app/stakeholders/portal_links.py).
    portal_generation: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default=text("0"))
    )


class StakeholderCreate(StakeholderBase, Body):
    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "name": "Dana Whitfield",
                    "email": "dana@example.com",
                    "group": "sales",
                    "organization": "Enterprise sales EMEA",
                }
            ]
        }
    }


class StakeholderUpdate(Body):
    model_config = {"json_schema_extra": described_like(StakeholderBase)}

    name: Annotated[Name | None, NotNull] = None
    email: EmailAddress | None = None
    group: Annotated[StakeholderGroup | None, NotNull] = None
    organization: Organization | None = None
    weight: Annotated[Weight | None, NotNull] = None
    notify: Annotated[Notify | None, NotNull] = None


class StakeholderRead(StakeholderBase):
    id: ServerId
    created_at: CreatedAt
    updated_at: UpdatedAt
    version: Version


class StakeholderPage(Page[StakeholderRead]):
    pass
