"""Dependencies of the requests routes (and of other domains' routes on a request)."""

from typing import Annotated

from fastapi import Depends
from starlette.convertors import StringConvertor, register_url_convertor

from app.core.db import SessionDep, WriteIntent
from app.core.types import PathId
from app.requests import service
from app.requests.models import Request as TrackedRequest


class _RequestIdSegment(StringConvertor):
    """Where a request's id stands in a path: any segment but `triage`, which names
    POST /requests/triage. Else PATCH /requests/triage would be a 422 for a bad id, not a
    405 for a method that path does not take (the id itself is checked as PathId)."""

    regex = "(?!triage$)[^/]+"


register_url_convertor("request_id", _RequestIdSegment())
# The routes of one request: `triage` is not one.
ONE_REQUEST = "/{request_id:request_id}"


def valid_request(
    request_id: PathId, session: SessionDep, for_update: WriteIntent
) -> TrackedRequest:
    return service.get(session=session, request_id=request_id, for_update=for_update)


ValidRequest = Annotated[TrackedRequest, Depends(valid_request)]
