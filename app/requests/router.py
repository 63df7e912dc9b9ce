"""HTTP routes for /requests, including the integrations' idempotent upsert."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status

from app.auth.dependencies import (
    CurrentContributor,
    CurrentPrincipal,
    RequireContributor,
    RequireManager,
)
from app.core.db import SessionDep
from app.core.direct import DirectReads, DirectReadsDep
from app.core.errors import Unprocessable
from app.core.etags import IfMatch, check_if_match, model_response, set_created, set_etag
from app.core.locations import location_of
from app.core.types import NoNul, PathId, Trimmed, ValidUtf8
from app.idempotency.dependencies import Idempotent
from app.requests import listing, service
from app.requests.dependencies import ONE_REQUEST, ValidRequest
from app.requests.models import (
    Request as TrackedRequest,
)
from app.requests.models import (
    RequestCreate,
    RequestPage,
    RequestRead,
    RequestUpdate,
    RequestUpsert,
)
from app.requests.service import RequestFilters, to_read

router = APIRouter(prefix="/requests", tags=["requests"])


# The same rules as the body fields, so a reference from the path is stored as one from a POST.
SourceSystemPath = Annotated[
    str,
    Path(min_length=1, max_length=100, description="The tool the request came from (e.g. crm)."),
    NoNul,
    ValidUtf8,
    Trimmed,
]
ExternalIdPath = Annotated[
    str,
    Path(
        min_length=1,
        max_length=200,
        description="The request's id in that tool (e.g. OPP-4411); a slash in it is sent as %2F.",
    ),
    NoNul,
    ValidUtf8,
    Trimmed,
]


def no_slash_in_source_system(http: Request) -> None:
    """A source system is one segment of the path: `jira%2Fcloud` is no source system
    (none can hold a slash), not `jira` with an external id of `cloud/...`."""
    raw_path: bytes = http.scope.get("raw_path") or http.url.path.encode()
    source = raw_path.partition(b"/requests/external/")[2].partition(b"/")[0]
    if b"%2f" in source.lower():
        raise Unprocessable(
            "source_system must not contain '/': it is one segment of a URL path.",
            loc=["path", "source_system"],
        )


def editable_request(request: ValidRequest, caller: CurrentPrincipal) -> TrackedRequest:
    service.ensure_may_edit(caller, request)
    return request


EditableRequest = Annotated[TrackedRequest, Depends(editable_request)]


@router.get("", response_model=RequestPage)
async def list_requests(
    reads: DirectReadsDep, filters: Annotated[RequestFilters, Query()]
) -> Response:
    return model_response(await listing.page(reads=reads, filters=filters))


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=RequestRead,
    dependencies=[Idempotent],
)
async def create_request(
    body: RequestCreate,
    session: SessionDep,
    reads: DirectReadsDep,
    caller: CurrentContributor,
    http: Request,
) -> Response:
    created = await service.create_and_commit(
        session=session, reads=reads, data=body, creator=caller
    )
    response = model_response(created, status_code=status.HTTP_201_CREATED)
    set_created(response, location_of(http, "get_request", request_id=created.id), created.version)
    return response


@router.put(
    # `:path` so ids with slashes (RFP-2026/07) work when the client escapes them as %2F.
    "/external/{source_system}/{external_id:path}",
    responses={201: {"description": "Created: no request had this reference yet."}},
    dependencies=[RequireContributor, Depends(no_slash_in_source_system)],
)
def upsert_external_request(
    source_system: SourceSystemPath,
    external_id: ExternalIdPath,
    body: RequestUpsert,
    session: SessionDep,
    caller: CurrentPrincipal,
    http: Request,
    response: Response,
    if_match: IfMatch = None,
) -> RequestRead:
    """Create or update the request another tool knows by this reference: 201, then 200."""
    upserted, created = service.upsert_external(
        session=session,
        source_system=source_system,
        external_id=external_id,
        data=body,
        caller=caller,
        if_match=if_match,
    )
    if created:
        response.status_code = status.HTTP_201_CREATED
        location = location_of(http, "get_request", request_id=upserted.id)
        set_created(response, location, upserted.version)
    else:
        set_etag(response, upserted.version)
    return upserted


@router.get(ONE_REQUEST, response_model=RequestRead)
async def get_request(request_id: PathId, reads: DirectReadsDep) -> Response:
    return await answer_request(reads, request_id)


async def answer_request(reads: DirectReads, request_id: int) -> Response:
    """GET /requests/{id}'s answer, which app/hot_reads.py also gives before routing."""
    found = await service.read(reads=reads, request_id=request_id)
    return model_response(found, etag=found.version)


@router.patch(ONE_REQUEST)
def update_request(
    request: EditableRequest,
    body: RequestUpdate,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> RequestRead:
    check_if_match(if_match, request.version)
    request = service.update(session=session, request=request, data=body)
    set_etag(response, request.version)
    return to_read(session=session, request=request)


@router.delete(ONE_REQUEST, status_code=status.HTTP_204_NO_CONTENT, dependencies=[RequireManager])
def delete_request(request: ValidRequest, session: SessionDep, if_match: IfMatch = None) -> None:
    check_if_match(if_match, request.version)
    service.delete(session=session, request=request)
