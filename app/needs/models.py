"""Needs: the underlying problem behind many requests, with its demand rolled up."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated

import pydantic
from sqlalchemy import String, Text
from sqlmodel import Field, SQLModel

from app.core.models import NEVER_REUSE_IDS, Body, ResourceTable
from app.core.pagination import Page
from app.core.types import Id, MoneyTotal, NoNul, NotNull, Trimmed

Statement = Annotated[str, pydantic.Field(min_length=1, max_length=500), NoNul, Trimmed]
Description = Annotated[str, pydantic.Field(max_length=20_000), NoNul]
Theme = Annotated[str, pydantic.Field(min_length=1, max_length=100), NoNul, Trimmed]


class NeedBase(SQLModel):
    statement: Statement = Field(sa_type=String(500))
    description: Description = Field(default="", sa_type=Text)
    theme: Theme | None = Field(default=None, sa_type=String(100), index=True)


class Need(NeedBase, ResourceTable, table=True):
    __table_args__ = NEVER_REUSE_IDS


class NeedCreate(NeedBase, Body):
    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "statement": "Enterprise customers sign in with their own identity provider",
                    "theme": "security",
                }
            ]
        }
    }


class NeedUpdate(Body):
    statement: Annotated[Statement | None, NotNull] = None
    description: Annotated[Description | None, NotNull] = None
    theme: Theme | None = None


class NeedMerge(Body):
    source_ids: Annotated[
        list[Id],
        pydantic.Field(min_length=1, max_length=100),
    ]


class Demand(SQLModel):
    """Who asks for it, how much money rides on it, and how hard they push."""

    request_count: int = 0
    stakeholder_count: int = 0
    groups: dict[str, int] = Field(default_factory=dict)
    revenue_at_stake: MoneyTotal = Decimal("0.00")
    weighted_demand: float = 0.0
    # What each group adds to weighted_demand: why the need ranks where it does.
    weighted_demand_by_group: dict[str, float] = Field(default_factory=dict)


class NeedRead(Demand, NeedBase):
    id: int
    created_at: datetime
    updated_at: datetime
    version: int


class NeedPage(Page[NeedRead]):
    pass
