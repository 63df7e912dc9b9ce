"""Roadmap item rules."""

from collections.abc import Sequence

from sqlalchemy import exists
from sqlmodel import Session, col, select

from app.core.errors import Conflict, NotFound
from app.core.filters import where_equal
from app.core.models import apply_changes
from app.core.pagination import PageParams, fetch_page
from app.core.search import contains_text
from app.core.types import FilterText, utcnow
from app.decisions.effective import to_decision_reads
from app.decisions.models import Decision, Outcome
from app.events.outbox import announce, publish_resources
from app.roadmap.models import (
    Horizon,
    RoadmapItem,
    RoadmapItemCreate,
    RoadmapItemRead,
    RoadmapItemUpdate,
    RoadmapStatus,
)


class RoadmapItemFilters(PageParams):
    """Query parameters of the list: field filters, `q` text search, and the page."""

    status: RoadmapStatus | None = None
    horizon: Horizon | None = None
    theme: FilterText | None = None
    q: FilterText | None = None


def get(*, session: Session, roadmap_item_id: int, for_update: bool = False) -> RoadmapItem:
    item = session.get(
        RoadmapItem, roadmap_item_id, with_for_update=for_update, populate_existing=for_update
    )
    if item is None:
        raise NotFound(f"Roadmap item {roadmap_item_id} does not exist.")
    return item


def list_roadmap_items(
    *, session: Session, filters: RoadmapItemFilters
) -> tuple[Sequence[RoadmapItem], str | None]:
    statement = select(RoadmapItem)
    statement = where_equal(statement, RoadmapItem, filters, "status", "horizon", "theme")
    if filters.q:
        statement = statement.where(
            contains_text(filters.q, RoadmapItem.title, RoadmapItem.description)
        )
    return fetch_page(
        session=session, statement=statement, id_column=col(RoadmapItem.id), params=filters
    )


def create(*, session: Session, data: RoadmapItemCreate) -> RoadmapItem:
    item = RoadmapItem.model_validate(data)
    session.add(item)
    session.flush()
    return item


# A change to any of these may break what was promised to the stakeholders.
PROMISE_FIELDS = frozenset({"title", "description", "horizon", "target_date", "theme"})


def update(*, session: Session, item: RoadmapItem, data: RoadmapItemUpdate) -> RoadmapItem:
    changes = data.model_dump(exclude_unset=True)
    changed = {field for field, value in changes.items() if getattr(item, field) != value}
    cancelled = "status" in changed and changes["status"] is RoadmapStatus.cancelled
    promise_changed = bool(changed & PROMISE_FIELDS or cancelled)
    if promise_changed:
        changes["promise_changed_at"] = utcnow()
    apply_changes(item, changes)
    session.flush()
    if promise_changed:
        _announce_suspect_decisions(session, item)
    return item


def _announce_suspect_decisions(session: Session, item: RoadmapItem) -> None:
    """Tell integrations which promises may no longer hold."""
    accepted = session.exec(
        select(Decision).where(
            col(Decision.roadmap_item_id) == item.id,
            col(Decision.is_current),
            col(Decision.outcome) == Outcome.accepted,
        )
    ).all()
    for decision in to_decision_reads(session, accepted):
        announce(session, "decision", decision.id, "suspect", decision)


def delete(*, session: Session, item: RoadmapItem) -> None:
    decided = session.exec(select(exists().where(col(Decision.roadmap_item_id) == item.id))).one()
    if decided:
        raise Conflict(f"Roadmap item {item.id} has decisions pointing at it; it stays.")
    session.delete(item)
    session.flush()


# Its events carry the item as the API answers it.
publish_resources(
    RoadmapItem, "roadmap_item", lambda _session, rows: map(RoadmapItemRead.model_validate, rows)
)
