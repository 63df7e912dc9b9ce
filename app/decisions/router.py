"""HTTP routes for decisions: record, read the history, confirm. Never edit or delete."""

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from app.auth.dependencies import CurrentPrincipal, RequireManager
from app.core.db import SessionDep
from app.core.pagination import PageParams
from app.core.types import PathId
from app.decisions import service
from app.decisions.effective import to_decision_reads
from app.decisions.models import (
    Decision,
    DecisionConfirm,
    DecisionCreate,
    DecisionPage,
    DecisionRead,
)
from app.decisions.service import DecisionFilters, Subject
from app.idempotency.dependencies import Idempotent
from app.needs.router import ValidNeed
from app.requests.router import ValidRequest

router = APIRouter(tags=["decisions"])


def valid_decision(decision_id: PathId, session: SessionDep) -> Decision:
    return service.get(session=session, decision_id=decision_id)


ValidDecision = Annotated[Decision, Depends(valid_decision)]


def _recorded(
    session: SessionDep, decision: Decision, http: Request, response: Response
) -> DecisionRead:
    location = http.url_for("get_decision", decision_id=decision.id)
    response.headers["Location"] = str(location)
    return to_decision_reads(session, [decision])[0]


def _page(session: SessionDep, found: tuple[Sequence[Decision], str | None]) -> DecisionPage:
    decisions, next_cursor = found
    return DecisionPage(items=to_decision_reads(session, decisions), next_cursor=next_cursor)


def _record(
    subject: Subject,
    body: DecisionCreate,
    session: SessionDep,
    caller: CurrentPrincipal,
    http: Request,
    response: Response,
) -> DecisionRead:
    decision = service.record_decision(session=session, subject=subject, data=body, decider=caller)
    return _recorded(session, decision, http, response)


@router.post(
    "/requests/{request_id}/decisions",
    status_code=status.HTTP_201_CREATED,
    dependencies=[RequireManager, Idempotent],
)
def create_request_decision(
    request: ValidRequest,
    body: DecisionCreate,
    session: SessionDep,
    caller: CurrentPrincipal,
    http: Request,
    response: Response,
) -> DecisionRead:
    """Decide on one request, with the why; supersedes its current decision."""
    return _record(request, body, session, caller, http, response)


@router.get("/requests/{request_id}/decisions")
def list_request_decisions(
    request: ValidRequest, session: SessionDep, page: Annotated[PageParams, Query()]
) -> DecisionPage:
    """Every decision on the request, newest first."""
    return _page(session, service.history(session=session, subject=request, page=page))


@router.post(
    "/needs/{need_id}/decisions",
    status_code=status.HTTP_201_CREATED,
    dependencies=[RequireManager, Idempotent],
)
def create_need_decision(
    need: ValidNeed,
    body: DecisionCreate,
    session: SessionDep,
    caller: CurrentPrincipal,
    http: Request,
    response: Response,
) -> DecisionRead:
    """Decide on a need: it answers every request under it that has no decision of its own."""
    return _record(need, body, session, caller, http, response)


@router.get("/needs/{need_id}/decisions")
def list_need_decisions(
    need: ValidNeed, session: SessionDep, page: Annotated[PageParams, Query()]
) -> DecisionPage:
    """Every decision on the need, newest first."""
    return _page(session, service.history(session=session, subject=need, page=page))


@router.get("/decisions")
def list_decisions(
    session: SessionDep, filters: Annotated[DecisionFilters, Query()]
) -> DecisionPage:
    return _page(session, service.list_decisions(session=session, filters=filters))


@router.get("/decisions/{decision_id}")
def get_decision(decision: ValidDecision, session: SessionDep) -> DecisionRead:
    return to_decision_reads(session, [decision])[0]


@router.post(
    "/decisions/{decision_id}/confirm",
    status_code=status.HTTP_201_CREATED,
    dependencies=[RequireManager, Idempotent],
)
def confirm_decision(
    decision: ValidDecision,
    body: DecisionConfirm,
    session: SessionDep,
    caller: CurrentPrincipal,
    http: Request,
    response: Response,
) -> DecisionRead:
    """Stand by a (suspect) decision with a new why: recorded as a new decision."""
    confirmed = service.confirm(session=session, decision=decision, data=body, decider=caller)
    return _recorded(session, confirmed, http, response)
