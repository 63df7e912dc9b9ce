"""Roadmap item rules."""

from collections.abc import Callable, Sequence

from pydantic import Field
from sqlmodel import Session, col, select

from app.core.db import delete_unless_referenced
from app.core.errors import NotFound
from app.core.filters import where_equal
from app.core.models import apply_changes
from app.core.pagination import PageParams, fetch_page
from app.core.search import contains_text
from app.core.types import FilterText, utcnow
from app.events.outbox import publish_resources
from app.roadmap.models import (
    Horizon,
    RoadmapItem,
    RoadmapItemCreate,
    RoadmapItemRead,
    RoadmapItemUpdate,
    RoadmapStatus,
    Visibility,
)


class RoadmapItemFilters(PageParams):
    """Query parameters of the list: field filters, `q` text search, and the page."""

    status: RoadmapStatus | None = Field(default=None, description="Only items with this status.")
    horizon: Horizon | None = Field(default=None, description="Only items on this horizon.")
    theme: FilterText | None = Field(
        default=None, description="Only items with this theme (exact match)."
    )
    visibility: Visibility | None = Field(
        default=None, description="Only items with this visibility."
    )
    q: FilterText | None = Field(
        default=None, description="Text in the title or description (any case)."
    )


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
    statement = where_equal(
        statement, RoadmapItem, filters, "status", "horizon", "theme", "visibility"
    )
    if filters.q:
        statement = statement.where(
            contains_text(filters.q, RoadmapItem.title, RoadmapItem.description)
        )
    return fetch_page(
        session=session,
        statement=statement,
        id_column=col(RoadmapItem.id),
        params=filters,
        list_name="/roadmap-items",
    )


def create(*, session: Session, data: RoadmapItemCreate) -> RoadmapItem:
    item = RoadmapItem.model_validate(data)
    session.add(item)
    session.flush()
    return item


# A change to any of these may break what was promised to the stakeholders.
PROMISE_FIELDS = frozenset({"title", "description", "horizon", "target_date", "theme"})
# Who must hear, in the item's transaction, that its promise changed: the decisions
# domain, above this one, announces the acceptances it puts in doubt.
PromiseWatcher = Callable[[Session, RoadmapItem], None]
_promise_watchers: list[PromiseWatcher] = []


def watch_promises(watcher: PromiseWatcher) -> PromiseWatcher:
    _promise_watchers.append(watcher)
    return watcher


# An item shipped or cancelled (or reopened after): what was promised into it is kept,
# or dropped, or open again. Notices tell the stakeholders.
ENDINGS = (RoadmapStatus.shipped, RoadmapStatus.cancelled)
_ending_watchers: list[PromiseWatcher] = []


def watch_endings(watcher: PromiseWatcher) -> PromiseWatcher:
    _ending_watchers.append(watcher)
    return watcher


def update(*, session: Session, item: RoadmapItem, data: RoadmapItemUpdate) -> RoadmapItem:
    changes = data.model_dump(exclude_unset=True)
    changed = {field for field, value in changes.items() if getattr(item, field) != value}
    cancelled = "status" in changed and changes["status"] is RoadmapStatus.cancelled
    promise_changed = bool(changed & PROMISE_FIELDS or cancelled)
    # Entering an ending, or leaving one (reopened): the promise's news changes.
    ends_or_reopens = "status" in changed and bool({item.status, changes["status"]} & set(ENDINGS))
    if promise_changed:
        changes["promise_changed_at"] = utcnow()
    apply_changes(item, changes)
    session.flush()
    if promise_changed:
        for watcher in _promise_watchers:
            watcher(session, item)
    if ends_or_reopens:
        for watcher in _ending_watchers:
            watcher(session, item)
    return item


def delete(*, session: Session, item: RoadmapItem) -> None:
    # The one key that points at an item is its decisions'.
    refusal = f"Roadmap item {item.id} has decisions pointing at it; it stays."
    delete_unless_referenced(session, item, refusal)


# Its events carry the item as the API answers it.
publish_resources(
    RoadmapItem, "roadmap_item", lambda _session, rows: map(RoadmapItemRead.model_validate, rows)
)
