"""Dependencies of the requests routes (and of other domains' routes on a request)."""

from typing import Annotated

from fastapi import Depends

from app.core.db import SessionDep, WriteIntent
from app.core.types import PathId
from app.requests import service
from app.requests.models import Request as TrackedRequest


def valid_request(
    request_id: PathId, session: SessionDep, for_update: WriteIntent
) -> TrackedRequest:
    return service.get(session=session, request_id=request_id, for_update=for_update)


ValidRequest = Annotated[TrackedRequest, Depends(valid_request)]
