"""Stakeholders: the people who ask, and the group they speak for."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated

import pydantic
from pydantic import Strict
from sqlalchemy import String
from sqlmodel import Field, SQLModel

from app.core.models import NEVER_REUSE_IDS, Body, ResourceTable
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
Weight = Annotated[float, Strict(), pydantic.Field(ge=0, le=10, allow_inf_nan=False)]


class StakeholderBase(SQLModel):
    name: Name = Field(sa_type=String(200))
    email: EmailAddress | None = Field(default=None, sa_type=String(320), unique=True)
    group: StakeholderGroup = Field(default=StakeholderGroup.other, sa_type=String(32), index=True)
    organization: Organization | None = Field(default=None, sa_type=String(200))
    weight: Weight = 1.0


class Stakeholder(StakeholderBase, ResourceTable, table=True):
    __table_args__ = NEVER_REUSE_IDS


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
    name: Annotated[Name | None, NotNull] = None
    email: EmailAddress | None = None
    group: Annotated[StakeholderGroup | None, NotNull] = None
    organization: Organization | None = None
    weight: Annotated[Weight | None, NotNull] = None


class StakeholderRead(StakeholderBase):
    id: int
    created_at: datetime
    updated_at: datetime
    version: int


class StakeholderPage(Page[StakeholderRead]):
    pass
