"""What the reports answer."""

from datetime import date, datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from app.core.types import MoneyTotal
from app.decisions.models import DecisionRead


class Percentiles(SQLModel):
    """Hours from a request to its first decision (nearest-rank percentiles)."""

    decided_requests: int = 0
    p50_hours: float | None = None
    p90_hours: float | None = None


class Summary(SQLModel):
    requests_by_status: dict[str, int]
    requests_by_group: dict[str, int]
    decisions_by_outcome: dict[str, int] = Field(description="Current decisions, by outcome.")
    time_to_first_decision: Percentiles
    time_to_first_decision_by_group: dict[str, Percentiles]
    undecided_by_age: dict[str, int] = Field(description="0-7d, 8-30d, 31-90d, >90d")


class DemandBy(StrEnum):
    need = "need"
    roadmap_item = "roadmap_item"


class RankedDemand(SQLModel):
    rank: int
    id: int
    label: str = Field(description="The need's statement or the roadmap item's title.")
    request_count: int
    stakeholder_count: int
    groups: dict[str, int]
    revenue_at_stake: MoneyTotal
    weighted_demand: float
    weighted_demand_by_group: dict[str, float]


class DemandReport(SQLModel):
    by: DemandBy
    items: list[RankedDemand]


class CoveredNeed(SQLModel):
    id: int
    statement: str
    current_outcome: str | None


class CoveredItem(SQLModel):
    id: int
    title: str
    status: str


class CoveredRequest(SQLModel):
    id: int
    title: str
    stakeholder_id: int
    created_at: datetime


class Coverage(SQLModel):
    older_than_days: int
    today: date
    needs_without_accepted_item: list[CoveredNeed]
    roadmap_items_without_demand: list[CoveredItem]
    requests_undecided_too_long: list[CoveredRequest]
    decisions_past_revisit: list[DecisionRead]
    suspect_decisions: list[DecisionRead]
