"""GET /events: the change feed for integrations that poll."""

from typing import Annotated

from fastapi import APIRouter, Query

from app.core.db import SessionDep
from app.events.feed import FeedParams, events_after
from app.events.models import EventFeed

router = APIRouter(prefix="/events", tags=["events"])


@router.get("")
def list_events(session: SessionDep, params: Annotated[FeedParams, Query()]) -> EventFeed:
    """Events in commit order, oldest first, after the cursor (from the start without one).
    next_cursor is never null: it is where to continue, also when nothing was new."""
    return events_after(session=session, params=params)
