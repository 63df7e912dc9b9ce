"""The change feed: events in commit order after a cursor, for integrations that poll."""

from typing import Annotated

import pydantic
from pydantic import BaseModel, ConfigDict
from sqlalchemy import func
from sqlmodel import Session, col, select

from app.core.errors import Unprocessable
from app.core.pagination import PageLimit, decode_cursor, encode_cursor
from app.events.models import Event, EventFeed, EventRead
from app.events.types import PATTERN_MEANING, EventPattern, types_matching


class CursorAhead(Unprocessable):
    """A position past the newest event: this feed never issued it (its database may
    have been restored from a backup), so waiting there would wait for ever."""

    slug = "cursor-ahead"


FEED = "/events"


class FeedParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    after: Annotated[
        str | None,
        pydantic.Field(
            max_length=200,
            description="The change feed's position to read on from: the next_cursor of the "
            "previous call, with the same `type`; omit it to start at the first event. "
            "Opaque: one from elsewhere is a 422.",
        ),
    ] = None
    type: EventPattern | None = pydantic.Field(
        default=None,
        description=f"Only the events this pattern chooses. {PATTERN_MEANING}",
    )
    limit: PageLimit = 50

    @pydantic.field_validator("type")
    @classmethod
    def _every_event_is_no_filter(cls, pattern: str | None) -> str | None:
        # `*` and no type read the same feed: one cursor serves both.
        return None if pattern == "*" else pattern


def events_after(*, session: Session, params: FeedParams) -> EventFeed:
    """The events after the cursor, oldest first; next_cursor is where to continue, also
    when nothing was new."""
    # The feed starts at position 0: before the first event.
    position = 0
    if params.after:
        position = decode_cursor(
            params.after,
            list_name=FEED,
            params=params,
            param="after",
            minimum=0,
            unbound_ok=True,  # a poller's saved position from before cursors were bound
        )
    statement = select(Event).where(col(Event.id) > position)
    if params.type is not None:
        statement = statement.where(col(Event.type).in_(types_matching(params.type)))
    events = session.exec(statement.order_by(col(Event.id)).limit(params.limit)).all()
    if not events and position > 0:
        _ensure_issued(session, position)
    last = events[-1].id if events else position
    return EventFeed(
        items=[EventRead.model_validate(e) for e in events],
        next_cursor=encode_cursor(last or 0, list_name=FEED, params=params),
    )


def _ensure_issued(session: Session, position: int) -> None:
    newest = session.exec(select(func.max(Event.id))).one() or 0
    if position > newest:
        raise CursorAhead(
            f"The cursor is past the newest event ({newest}): the feed may have been "
            "restored from a backup. Start again without `after`, or from a cursor it gave.",
            loc=["query", "after"],
        )
