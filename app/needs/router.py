"""HTTP routes for /needs."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from app.auth.dependencies import RequireManager
from app.core.db import SessionDep
from app.core.etags import IfMatch, check_if_match, set_created, set_etag
from app.core.locations import location_of
from app.core.types import PathId
from app.idempotency.dependencies import Idempotent
from app.needs import service
from app.needs.dependencies import ValidNeed
from app.needs.models import NeedCreate, NeedMerge, NeedPage, NeedRead, NeedUpdate
from app.needs.service import NeedFilters

router = APIRouter(prefix="/needs", tags=["needs"])


@router.get("")
def list_needs(session: SessionDep, filters: Annotated[NeedFilters, Query()]) -> NeedPage:
    needs, next_cursor = service.list_needs(session=session, filters=filters)
    return NeedPage(items=service.to_reads(session=session, needs=needs), next_cursor=next_cursor)


@router.post("", status_code=status.HTTP_201_CREATED, dependencies=[RequireManager, Idempotent])
def create_need(
    body: NeedCreate, session: SessionDep, request: Request, response: Response
) -> NeedRead:
    need = service.create(session=session, data=body)
    set_created(response, location_of(request, "get_need", need_id=need.id), need.version)
    return service.to_reads(session=session, needs=[need])[0]


@router.get("/{need_id}")
def get_need(need: ValidNeed, session: SessionDep, response: Response) -> NeedRead:
    set_etag(response, need.version)
    return service.to_reads(session=session, needs=[need])[0]


@router.patch("/{need_id}", dependencies=[RequireManager])
def update_need(
    need: ValidNeed,
    body: NeedUpdate,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> NeedRead:
    check_if_match(if_match, need.version)
    need = service.update(session=session, need=need, data=body)
    set_etag(response, need.version)
    return service.to_reads(session=session, needs=[need])[0]


@router.delete("/{need_id}", status_code=status.HTTP_204_NO_CONTENT, dependencies=[RequireManager])
def delete_need(need: ValidNeed, session: SessionDep, if_match: IfMatch = None) -> None:
    check_if_match(if_match, need.version)
    service.delete(session=session, need=need)


@router.post("/{need_id}/merge", dependencies=[RequireManager, Idempotent])
def merge_needs(
    need_id: PathId, body: NeedMerge, session: SessionDep, response: Response
) -> NeedRead:
    """Fold duplicate needs into this one: requests and decisions move, history is kept,
    the merged needs are removed (their ids then answer 404)."""
    # Not ValidNeed: the merge locks the target together with the sources, in id order.
    target = service.get(session=session, need_id=need_id)
    merged = service.merge(session=session, target=target, data=body)
    set_etag(response, merged.version)
    return service.to_reads(session=session, needs=[merged])[0]
