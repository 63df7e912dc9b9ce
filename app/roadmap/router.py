"""HTTP routes for /roadmap-items."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from app.auth.dependencies import RequireManager
from app.core.db import SessionDep
from app.core.etags import IfMatch, check_if_match, set_created, set_etag
from app.core.locations import location_of
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
