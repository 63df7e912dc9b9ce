"""What the reports answer."""

from datetime import date
from enum import StrEnum

from sqlmodel import Field, SQLModel

from app.core.models import CreatedAt, described_like
from app.core.types import MoneyTotal
from app.decisions.models import DecisionRead
from app.needs.models import Demand


class Percentiles(SQLModel):
    """Hours from a request to its first decision (nearest-rank percentiles)."""

    decided_requests: int = Field(
        default=0, description="How many requests have had a first answer: the sample."
    )
    p50_hours: float | None = Field(
        default=None,
        description="The median wait, in hours, from filing to the first answer (the "
        "request's own decision or its need's); null without a sample.",
    )
    p90_hours: float | None = Field(
        default=None,
        description="The wait, in hours, 90% of those requests stayed within; null without "
        "a sample.",
    )


class Summary(SQLModel):
    requests_by_status: dict[str, int] = Field(
        description="How many requests are new, triaged (under a need, undecided) or decided."
    )
    requests_by_group: dict[str, int] = Field(
        description="How many requests each stakeholder group made (groups without any left out)."
    )
    decisions_by_outcome: dict[str, int] = Field(description="Current decisions, by outcome.")
    time_to_first_decision: Percentiles = Field(
        description="How long requests waited for their first answer, over all of them."
    )
    time_to_first_decision_by_group: dict[str, Percentiles] = Field(
        description="The same, per stakeholder group of the people who asked."
    )
    undecided_by_age: dict[str, int] = Field(
        description="Requests with no answer yet, by days since they were filed: 0-7d, "
        "8-30d, 31-90d, >90d."
    )


class DemandBy(StrEnum):
    need = "need"
    roadmap_item = "roadmap_item"
    group = "group"
    stakeholder = "stakeholder"
    customer = "customer"


class RankedDemand(SQLModel):
    model_config = {"json_schema_extra": described_like(Demand)}

    rank: int = Field(description="Its place in the ranking: 1 has the most weighted demand.")
    id: int | None = Field(
        description="The need's, roadmap item's or stakeholder's id; null for a group or a "
        "customer, which label names."
    )
    label: str = Field(
        description="The need's statement, the roadmap item's title, the stakeholder's "
        "name, the group, or the customer."
    )
    request_count: int
    stakeholder_count: int
    groups: dict[str, int]
    revenue_at_stake: MoneyTotal
    weighted_demand: float
    weighted_demand_by_group: dict[str, float]


class DemandReport(SQLModel):
    by: DemandBy = Field(
        description="What is ranked: needs, roadmap items, stakeholder groups, stakeholders "
        "or customers."
    )
    items: list[RankedDemand] = Field(
        description="The top ones, by weighted_demand, highest first (a tie: the lower id, or "
        "the name first in order)."
    )


class CoveredNeed(SQLModel):
    id: int = Field(description="The need's id.")
    statement: str = Field(description="The need's statement.")
    current_outcome: str | None = Field(
        description="The outcome of its current decision (not accepted); null if undecided."
    )


class CoveredItem(SQLModel):
    id: int = Field(description="The roadmap item's id.")
    title: str = Field(description="The roadmap item's title.")
    status: str = Field(description="Where the work stands (proposed, planned, ...).")


class CoveredRequest(SQLModel):
    id: int = Field(description="The request's id.")
    title: str = Field(description="The request's title.")
    stakeholder_id: int = Field(description="Who asked: the stakeholder's id.")
    created_at: CreatedAt


class Coverage(SQLModel):
    """Each list holds at most `limit` entries, oldest first."""

    older_than_days: int = Field(
        description="The age, in days, past which an undecided request is listed."
    )
    today: date = Field(description="The day (UTC) revisit dates were compared with.")
    needs_without_accepted_item: list[CoveredNeed] = Field(
        description="Needs whose current decision is not an acceptance into a roadmap item, "
        "or that have none."
    )
    roadmap_items_without_demand: list[CoveredItem] = Field(
        description="Roadmap items no current decision accepts a request or a need into."
    )
    requests_undecided_too_long: list[CoveredRequest] = Field(
        description="Requests with no answer (of their own or their need's) filed more than "
        "older_than_days ago."
    )
    decisions_past_revisit: list[DecisionRead] = Field(
        description="Current decisions whose revisit_at day has passed."
    )
    suspect_decisions: list[DecisionRead] = Field(
        description="Current acceptances whose roadmap item changed what it promised since: "
        "confirm them or decide again."
    )
