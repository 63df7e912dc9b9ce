"""HTTP routes that record decisions (on a request, on a need, confirming one) and read a
subject's history. Never edit or delete."""

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from sqlmodel import Session

from app.auth.dependencies import CurrentPrincipal, RequireManager
from app.core.db import SessionDep, write_and_commit
from app.core.etags import model_response
from app.core.locations import location_of
from app.core.pagination import PageParams
from app.core.types import PathId
from app.deciding import service
from app.decisions import service as decisions
from app.decisions.models import (
    Decision,
    DecisionConfirm,
    DecisionCreate,
    DecisionPage,
    DecisionRead,
)
from app.idempotency.dependencies import Idempotent
from app.needs import service as need_service
from app.needs.dependencies import ValidNeed
from app.requests import service as request_service
from app.requests.dependencies import ValidRequest

router = APIRouter(tags=["decisions"])


def _page(found: tuple[list[DecisionRead], str | None]) -> DecisionPage:
    decisions, next_cursor = found
    return DecisionPage(items=decisions, next_cursor=next_cursor)


async def _recorded(
    session: Session, record: Callable[[], Decision], http: Request, *, grows_with_data: bool
) -> Response:
    """Record the decision and commit (see write_and_commit); 201 with its Location."""

    def record_and_read() -> DecisionRead:
        return decisions.to_read(session=session, decision=record())

    decision = await write_and_commit(session, record_and_read, grows_with_data=grows_with_data)
    response = model_response(decision, status_code=status.HTTP_201_CREATED)
    response.headers["Location"] = location_of(http, "get_decision", decision_id=decision.id)
    return response


@router.post(
    "/requests/{request_id}/decisions",
    status_code=status.HTTP_201_CREATED,
    response_model=DecisionRead,
    dependencies=[RequireManager, Idempotent],
)
async def create_request_decision(
    request_id: PathId,
    body: DecisionCreate,
    session: SessionDep,
    caller: CurrentPrincipal,
    http: Request,
) -> Response:
    """Decide on one request, with the why; supersedes its current decision."""

    def record() -> Decision:
        request = request_service.get(session=session, request_id=request_id, for_update=True)
        return service.record_decision(session=session, subject=request, data=body, decider=caller)

    return await _recorded(session, record, http, grows_with_data=False)


@router.get("/requests/{request_id}/decisions")
def list_request_decisions(
    request: ValidRequest, session: SessionDep, page: Annotated[PageParams, Query()]
) -> DecisionPage:
    """Every decision on the request, newest first."""
    return _page(service.history(session=session, subject=request, page=page))


@router.post(
    "/needs/{need_id}/decisions",
    status_code=status.HTTP_201_CREATED,
    response_model=DecisionRead,
    dependencies=[RequireManager, Idempotent],
)
async def create_need_decision(
    need_id: PathId,
    body: DecisionCreate,
    session: SessionDep,
    caller: CurrentPrincipal,
    http: Request,
) -> Response:
    """Decide on a need: it answers every request under it that has no decision of its own."""

    def record() -> Decision:
        need = need_service.get(session=session, need_id=need_id, for_update=True)
        return service.record_decision(session=session, subject=need, data=body, decider=caller)

    # Every request under the need without an answer yet is marked answered.
    return await _recorded(session, record, http, grows_with_data=True)


@router.get("/needs/{need_id}/decisions")
def list_need_decisions(
    need: ValidNeed, session: SessionDep, page: Annotated[PageParams, Query()]
) -> DecisionPage:
    """Every decision on the need, newest first."""
    return _page(service.history(session=session, subject=need, page=page))


@router.post(
    "/decisions/{decision_id}/confirm",
    status_code=status.HTTP_201_CREATED,
    response_model=DecisionRead,
    dependencies=[RequireManager, Idempotent],
)
async def confirm_decision(
    decision_id: PathId,
    body: DecisionConfirm,
    session: SessionDep,
    caller: CurrentPrincipal,
    http: Request,
) -> Response:
    """Stand by a (suspect) decision with a new why: recorded as a new decision."""

    def record() -> Decision:
        decision = decisions.get(session=session, decision_id=decision_id)
        return service.confirm(session=session, decision=decision, data=body, decider=caller)

    # The decision confirmed may be a need's, recorded again like a new one on the need.
    return await _recorded(session, record, http, grows_with_data=True)
