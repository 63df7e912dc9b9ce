"""Decisions: finding and listing them. They are recorded (app/deciding) and never
edited; this domain also says which turn suspect when a roadmap item's promise changes."""

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, select

from app.core.errors import NotFound
from app.core.filters import where_equal
from app.core.pagination import PageParams, fetch_page
from app.core.types import QueryId
from app.decisions.models import Decision, DecisionRead, Outcome
from app.decisions.reads import current_acceptances_into, suspect_condition, to_decision_reads
from app.events.outbox import announce, publish_resources
from app.roadmap.models import RoadmapItem
from app.roadmap.service import watch_promises


class DecisionFieldFilters(BaseModel):
    """The filters of the list and the export."""

    model_config = ConfigDict(extra="forbid")

    outcome: Outcome | None = Field(default=None, description="Only decisions with this outcome.")
    roadmap_item_id: QueryId | None = Field(
        default=None, description="Only decisions that point to this roadmap item."
    )
    decided_by: QueryId | None = Field(
        default=None, description="Only decisions by this user (their id)."
    )
    current: bool | None = Field(
        default=None, description="true: only current decisions; false: only superseded ones."
    )
    suspect: bool | None = Field(
        default=None,
        description="true: only suspect ones (current acceptances whose roadmap item changed "
        "since); false: only the others.",
    )


class DecisionFilters(DecisionFieldFilters, PageParams):
    """Query parameters of the list: the filters and the page."""


def get(*, session: Session, decision_id: int) -> Decision:
    decision = session.get(Decision, decision_id)
    if decision is None:
        raise NotFound(f"Decision {decision_id} does not exist.")
    return decision


def to_read(*, session: Session, decision: Decision) -> DecisionRead:
    return to_decision_reads(session, [decision])[0]


def list_decisions(
    *, session: Session, filters: DecisionFilters
) -> tuple[list[DecisionRead], str | None]:
    statement = where_equal(
        select(Decision), Decision, filters, "outcome", "roadmap_item_id", "decided_by"
    )
    if filters.current is not None:
        statement = statement.where(col(Decision.is_current) == filters.current)
    if filters.suspect is not None:
        condition = suspect_condition()
        statement = statement.where(condition if filters.suspect else ~condition)
    found, next_cursor = fetch_page(
        session=session,
        statement=statement,
        id_column=col(Decision.id),
        params=filters,
        list_name="/decisions",
    )
    return to_decision_reads(session, found), next_cursor


@watch_promises
def announce_suspect_decisions(session: Session, item: RoadmapItem) -> None:
    """Tell integrations which promises may no longer hold."""
    assert item.id is not None
    for decision in current_acceptances_into(session, item.id):
        announce(session, "decision", decision.id, "suspect", decision)


# A decision is recorded, never edited nor deleted: its supersession shows in the next one.
publish_resources(
    Decision,
    "decision",
    to_decision_reads,
    verbs={"created": "recorded", "updated": None, "deleted": None},
    announces=("suspect",),
)
