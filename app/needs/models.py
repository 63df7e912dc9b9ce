"""Needs: the underlying problem behind many requests, with its demand rolled up."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated

import pydantic
from sqlalchemy import BigInteger, Column, String, Text
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
from app.core.types import Id, MoneyTotal, NoNul, NotNull, Trimmed, UTCDateTime
from app.requests.models import URGENCY_FACTORS_IN_WORDS

Statement = Annotated[str, pydantic.Field(min_length=1, max_length=500), NoNul, Trimmed]
Description = Annotated[str, pydantic.Field(max_length=20_000), NoNul]
Theme = Annotated[str, pydantic.Field(min_length=1, max_length=100), NoNul, Trimmed]


class NeedBase(SQLModel):
    statement: Statement = Field(
        sa_type=String(500),
        description="The underlying problem in one sentence, as the product team states it.",
    )
    description: Description = Field(
        default="",
        sa_type=Text,
        description="More about the problem (context, evidence, constraints); may be empty.",
    )
    theme: Theme | None = Field(
        default=None,
        sa_type=String(100),
        index=True,
        description="The product area it belongs to (e.g. security); null if none.",
    )


class Need(NeedBase, ResourceTable, table=True):
    __table_args__ = NEVER_REUSE_IDS


class MergedNeed(SQLModel, table=True):
    """A need folded into another by a merge: its id answers 410 with where it went, and
    the need it went into lists it. Kept as long as that need is."""

    __tablename__ = "merged_need"

    # The merged need's own id, which no need has any more.
    need_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    merged_into: int = Field(
        sa_type=BigInteger, foreign_key="need.id", ondelete="CASCADE", index=True
    )
    merged_at: datetime = Field(sa_type=UTCDateTime)


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
    model_config = {"json_schema_extra": described_like(NeedBase)}

    statement: Annotated[Statement | None, NotNull] = None
    description: Annotated[Description | None, NotNull] = None
    theme: Theme | None = None


class NeedMerge(Body):
    source_ids: Annotated[
        list[Id],
        pydantic.Field(
            min_length=1,
            max_length=100,
            description="The needs to fold into this one: their requests and decisions move "
            "here, and they are deleted.",
        ),
    ]


class Demand(SQLModel):
    """Who asks for it, how much money rides on it, and how hard they push: over the
    requests under a need, or the requests accepted into a roadmap item."""

    request_count: int = Field(default=0, description="How many requests are behind it.")
    stakeholder_count: int = Field(
        default=0, description="How many different stakeholders made those requests."
    )
    groups: dict[str, int] = Field(
        default_factory=dict,
        description="Those requests per stakeholder group (groups without any left out).",
    )
    revenue_at_stake: MoneyTotal = Field(
        default=Decimal("0.00"),
        description="The sum of those requests' revenue_at_stake (unknown counts as 0).",
    )
    weighted_demand: float = Field(
        default=0.0,
        description="The sum over those requests of their stakeholder's weight times their "
        f"urgency's factor ({URGENCY_FACTORS_IN_WORDS}).",
    )
    weighted_demand_by_group: dict[str, float] = Field(
        default_factory=dict,
        description="What each stakeholder group adds to weighted_demand: why it ranks "
        "where it does.",
    )


class NeedRead(Demand, NeedBase):
    id: ServerId
    created_at: CreatedAt
    updated_at: UpdatedAt
    version: Version
    merged_need_ids: list[int] = pydantic.Field(
        default_factory=list,
        description="The needs merged into this one, by id (each now answers 410 with "
        "merged_into this one).",
    )


class NeedPage(Page[NeedRead]):
    pass
