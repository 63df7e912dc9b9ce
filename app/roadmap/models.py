"""Roadmap items: the work the company plans."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated

import pydantic
from sqlalchemy import Date, String, Text
from sqlmodel import Field, SQLModel

from app.core.models import NEVER_REUSE_IDS, ResourceTable
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


Title = Annotated[str, pydantic.Field(min_length=1, max_length=300), NoNul, Trimmed]
Description = Annotated[str, pydantic.Field(max_length=20_000), NoNul]
Theme = Annotated[str, pydantic.Field(min_length=1, max_length=100), NoNul, Trimmed]


class RoadmapItemBase(SQLModel):
    title: Title = Field(sa_type=String(300))
    description: Description = Field(default="", sa_type=Text)
    status: RoadmapStatus = Field(default=RoadmapStatus.proposed, sa_type=String(16), index=True)
    horizon: Horizon = Field(default=Horizon.later, sa_type=String(8), index=True)
    target_date: IsoDate | None = Field(default=None, sa_type=Date)
    theme: Theme | None = Field(default=None, sa_type=String(100), index=True)


class RoadmapItem(RoadmapItemBase, ResourceTable, table=True):
    __tablename__ = "roadmap_item"
    __table_args__ = NEVER_REUSE_IDS

    # When what was promised last changed: accepted decisions taken before it are suspect.
    promise_changed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class RoadmapItemCreate(RoadmapItemBase):
    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "title": "SAML single sign-on",
                    "status": "planned",
                    "horizon": "next",
                    "target_date": "2027-03-31",
                    "theme": "security",
                }
            ]
        }
    }


class RoadmapItemUpdate(SQLModel):
    title: Annotated[Title | None, NotNull] = None
    description: Annotated[Description | None, NotNull] = None
    status: Annotated[RoadmapStatus | None, NotNull] = None
    horizon: Annotated[Horizon | None, NotNull] = None
    target_date: IsoDate | None = None
    theme: Theme | None = None


class RoadmapItemRead(RoadmapItemBase):
    id: int
    created_at: datetime
    updated_at: datetime
    version: int


class RoadmapItemPage(Page[RoadmapItemRead]):
    pass
