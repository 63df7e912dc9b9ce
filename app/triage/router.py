"""HTTP routes for triage: where requests belong, and filing them under needs in bulk."""

from typing import Annotated

from fastapi import APIRouter, Query

from app.auth.dependencies import RequireManager
from app.core.db import SessionDep, write_and_commit
from app.idempotency.dependencies import Idempotent
from app.needs.dependencies import ValidNeed
from app.requests.dependencies import ONE_REQUEST, ValidRequest
from app.triage.bulk import TriageBatch, TriageResult, triage
from app.triage.suggestions import (
    SuggestedNeeds,
    SuggestedRequests,
    suggested_needs,
    suggested_requests,
)

router = APIRouter(tags=["triage"])


@router.post("/requests/triage", dependencies=[RequireManager, Idempotent])
async def triage_requests(body: TriageBatch, session: SessionDep) -> TriageResult:
    """File up to 500 requests under needs in one transaction: all or nothing. Each is
    written as a PATCH of its need_id would write it (version, audit entry, event); any
    bad item (a request or need that does not exist, a need merged away, an if_match
    that no longer matches, a request named twice) refuses the whole batch with a 422
    naming each by index."""
    return await write_and_commit(
        session, lambda: triage(session=session, batch=body), grows_with_data=True
    )


@router.get(f"/requests{ONE_REQUEST}/suggested-needs")
def get_suggested_needs(
    request: ValidRequest,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=50, description="The most needs to suggest.")] = 5,
) -> SuggestedNeeds:
    """The needs this request most likely belongs to, best first, each with the words it
    shares with the need's statement and description or with the requests already under
    it (English words stemmed)."""
    return suggested_needs(session=session, request=request, limit=limit)


@router.get("/needs/{need_id}/suggested-requests")
def get_suggested_requests(
    need: ValidNeed,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200, description="The most requests to suggest.")] = 20,
) -> SuggestedRequests:
    """Untriaged requests (under no need, with no answer of their own) that read like this
    need, best first, each with the words it shares with the need."""
    return suggested_requests(session=session, need=need, limit=limit)
