"""HTTP routes for /roadmap-items."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from sqlmodel import Session

from app.auth.dependencies import RequireManager
from app.core.db import SessionDep
from app.core.direct import DirectReadsDep
from app.core.etags import IfMatch, check_if_match, set_created, set_etag
from app.core.locations import location_of
from app.core.types import PathId
from app.events.answer_cache import AnswerCacheDep
from app.idempotency.dependencies import Idempotent
from app.roadmap import service
from app.roadmap.dependencies import ValidRoadmapItem
from app.roadmap.models import (
    RoadmapItemCreate,
    RoadmapItemPage,
    RoadmapItemRead,
    RoadmapItemUpdate,
)
from app.roadmap.service import RoadmapItemFilters
from app.roadmap.trace import Trace, trace

router = APIRouter(prefix="/roadmap-items", tags=["roadmap"])


@router.get("")
def list_roadmap_items(
    session: SessionDep, filters: Annotated[RoadmapItemFilters, Query()]
) -> RoadmapItemPage:
    items, next_cursor = service.list_roadmap_items(session=session, filters=filters)
    return RoadmapItemPage(
        items=[RoadmapItemRead.model_validate(item) for item in items], next_cursor=next_cursor
    )


@router.post("", status_code=status.HTTP_201_CREATED, dependencies=[RequireManager, Idempotent])
def create_roadmap_item(
    body: RoadmapItemCreate, session: SessionDep, request: Request, response: Response
) -> RoadmapItemRead:
    item = service.create(session=session, data=body)
    location = location_of(request, "get_roadmap_item", roadmap_item_id=item.id)
    set_created(response, location, item.version)
    return RoadmapItemRead.model_validate(item)


@router.get("/{roadmap_item_id}")
def get_roadmap_item(item: ValidRoadmapItem, response: Response) -> RoadmapItemRead:
    set_etag(response, item.version)
    return RoadmapItemRead.model_validate(item)


@router.patch("/{roadmap_item_id}", dependencies=[RequireManager])
def update_roadmap_item(
    item: ValidRoadmapItem,
    body: RoadmapItemUpdate,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> RoadmapItemRead:
    check_if_match(if_match, item.version)
    item = service.update(session=session, item=item, data=body)
    set_etag(response, item.version)
    return RoadmapItemRead.model_validate(item)


@router.delete(
    "/{roadmap_item_id}", status_code=status.HTTP_204_NO_CONTENT, dependencies=[RequireManager]
)
def delete_roadmap_item(
    item: ValidRoadmapItem, session: SessionDep, if_match: IfMatch = None
) -> None:
    check_if_match(if_match, item.version)
    service.delete(session=session, item=item)


@router.get("/{roadmap_item_id}/trace", response_model=Trace)
async def trace_roadmap_item(
    roadmap_item_id: PathId, session: SessionDep, reads: DirectReadsDep, cache: AnswerCacheDep
) -> Response:
    """Why this is on the roadmap: every need and request accepted into it (by their
    effective decision), each request with its stakeholder, and the demand behind it."""

    def traced(session: Session) -> Trace:
        item = service.get(session=session, roadmap_item_id=roadmap_item_id)
        return trace(session=session, item=item)

    # Computed in one snapshot and kept until the data changes (events/answer_cache.py).
    return await cache.answer(
        ("trace", roadmap_item_id), reads=reads, session=session, compute=traced
    )
