"""Roadmap items: the work the company plans."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated

import pydantic
from sqlalchemy import Column, Date, String, Text
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
from app.core.types import IsoDate, NoNul, NotNull, Trimmed, UTCDateTime


class RoadmapStatus(StrEnum):
    proposed = "proposed"
    planned = "planned"
    in_progress = "in_progress"
    shipped = "shipped"
    cancelled = "cancelled"


class Horizon(StrEnum):
    now = "now"
    next = "next"
    later = "later"


class Visibility(StrEnum):
    """Who may see the item: product people only, or stakeholders on their portal too."""

    internal = "internal"
    portal = "portal"


Title = Annotated[str, pydantic.Field(min_length=1, max_length=300), NoNul, Trimmed]
Description = Annotated[str, pydantic.Field(max_length=20_000), NoNul]
Theme = Annotated[str, pydantic.Field(min_length=1, max_length=100), NoNul, Trimmed]


class RoadmapItemBase(SQLModel):
    title: Title = Field(
        sa_type=String(300), description="The planned work, as the product team names it."
    )
    description: Description = Field(
        default="", sa_type=Text, description="What the work is: scope and notes; may be empty."
    )
    status: RoadmapStatus = Field(
        default=RoadmapStatus.proposed,
        sa_type=String(16),
        index=True,
        description="Where the work stands.",
    )
    horizon: Horizon = Field(
        default=Horizon.later,
        sa_type=String(8),
        index=True,
        description="When, roughly: now, next or later.",
    )
    target_date: IsoDate | None = Field(
        default=None, sa_type=Date, description="The day it is aimed at; null if none."
    )
    theme: Theme | None = Field(
        default=None,
        sa_type=String(100),
        index=True,
        description="The product area it belongs to (e.g. security); null if none.",
    )
    # What stakeholders see of the item (when its visibility lets them), in their words.
    public_title: Title | None = Field(
        default=None,
        sa_type=String(300),
        description="The title stakeholders see on their portal, in their words; null if "
        "not written.",
    )
    public_description: Description | None = Field(
        default=None,
        sa_type=Text,
        description="The description stakeholders see on their portal; null if not written.",
    )
    # The database's default, not only the model's: rows it did not name it for (those
    # there when it was added, bulk inserts) are internal too.
    visibility: Visibility = Field(
        default=Visibility.internal,
        sa_column=Column(
            String(16), nullable=False, server_default=Visibility.internal.value, index=True
        ),
        description="internal: product people only; portal: stakeholders see its public "
        "title and description too.",
    )


class RoadmapItem(RoadmapItemBase, ResourceTable, table=True):
    __tablename__ = "roadmap_item"
    __table_args__ = NEVER_REUSE_IDS

    # When what was promised last changed: accepted decisions taken before it are suspect.
    promise_changed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class RoadmapItemCreate(RoadmapItemBase, Body):
    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "title": "SAML single sign-on",
                    "status": "planned",
                    "horizon": "next",
                    "target_date": "2027-03-31",
                    "theme": "security",
                    "public_title": "Sign in with your company account",
                    "visibility": "portal",
                }
            ]
        }
    }


class RoadmapItemUpdate(Body):
    """A change to the title, description, horizon, target date or theme, or a
    cancellation, makes the acceptances into the item suspect."""

    model_config = {"json_schema_extra": described_like(RoadmapItemBase)}

    title: Annotated[Title | None, NotNull] = None
    description: Annotated[Description | None, NotNull] = None
    status: Annotated[RoadmapStatus | None, NotNull] = None
    horizon: Annotated[Horizon | None, NotNull] = None
    target_date: IsoDate | None = None
    theme: Theme | None = None
    public_title: Title | None = None
    public_description: Description | None = None
    visibility: Annotated[Visibility | None, NotNull] = None


class RoadmapItemRead(RoadmapItemBase):
    id: ServerId
    created_at: CreatedAt
    updated_at: UpdatedAt
    version: Version


class RoadmapItemPage(Page[RoadmapItemRead]):
    pass
