"""The change feed: events in commit order after a cursor, for integrations that poll."""

from typing import Annotated

import pydantic
from pydantic import BaseModel, ConfigDict
from sqlmodel import Session, col, select

from app.core.pagination import MAX_LIMIT, decode_cursor, encode_cursor
from app.events.models import Event, EventFeed, EventRead


class FeedParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    after: Annotated[str | None, pydantic.Field(max_length=200)] = None
    type: Annotated[str | None, pydantic.Field(max_length=64)] = None
    limit: Annotated[int, pydantic.Field(ge=1, le=MAX_LIMIT)] = 50


def events_after(*, session: Session, params: FeedParams) -> EventFeed:
    """The events after the cursor, oldest first; next_cursor is where to continue, also
    when nothing was new."""
    # The feed starts at position 0: before the first event.
    position = decode_cursor(params.after, param="after", minimum=0) if params.after else 0
    statement = select(Event).where(col(Event.id) > position)
    if params.type is not None:
        statement = statement.where(Event.type == params.type)
    events = session.exec(statement.order_by(col(Event.id)).limit(params.limit)).all()
    last = events[-1].id if events else position
    return EventFeed(
        items=[EventRead.model_validate(e) for e in events],
        next_cursor=encode_cursor(last or 0),
    )
