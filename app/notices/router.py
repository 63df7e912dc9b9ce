"""HTTP routes for /notices (managers): what was told, to whom, when."""

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from app.auth.dependencies import RequireManager
from app.core.config import SettingsDep
from app.core.db import SessionDep
from app.core.direct import DirectReadsDep
from app.core.pagination import PageParams
from app.idempotency.dependencies import Idempotent
from app.notices import service
from app.notices.answers import told_at
from app.notices.dependencies import ValidNotice
from app.notices.models import NoticePage, NoticeRead, ToldRequestPage, ToldRequestRead
from app.notices.service import NoticeFilters
from app.notices.untold import UntoldReport, untold
from app.requests import listing
from app.requests.dependencies import ValidRequest
from app.requests.service import RequestFilters
from app.stakeholders.dependencies import ValidStakeholder

router = APIRouter(tags=["notices"], dependencies=[RequireManager])
# What did we tell them? Readable by every role, as it was before notices.
stakeholder_view = APIRouter(prefix="/stakeholders", tags=["stakeholders"])


@router.get("/notices")
def list_notices(session: SessionDep, filters: Annotated[NoticeFilters, Query()]) -> NoticePage:
    """Notices, newest first: sent, waiting, held, failed or cancelled."""
    notices, next_cursor = service.list_notices(session=session, filters=filters)
    return NoticePage(items=notices, next_cursor=next_cursor)


@router.get("/notices/{notice_id}")
def get_notice(notice: ValidNotice, session: SessionDep) -> NoticeRead:
    return service.to_reads(session, [notice])[0]


@router.post("/notices/{notice_id}/release", dependencies=[Idempotent])
def release_notice(notice: ValidNotice, session: SessionDep) -> NoticeRead:
    """Let a held notice go (REQTRACK_NOTICE_APPROVAL=required holds each one)."""
    return service.to_reads(session, [service.release(session=session, notice=notice)])[0]


@router.post("/notices/{notice_id}/cancel", dependencies=[Idempotent])
def cancel_notice(notice: ValidNotice, session: SessionDep) -> NoticeRead:
    """Stop a pending or held notice: it is never sent."""
    return service.to_reads(session, [service.cancel(session=session, notice=notice)])[0]


@router.post("/notices/{notice_id}/retry", dependencies=[Idempotent])
def retry_notice(notice: ValidNotice, session: SessionDep, settings: SettingsDep) -> NoticeRead:
    """Send a failed notice again: a new round of attempts starts now."""
    notice = service.retry(session=session, notice=notice, settings=settings)
    return service.to_reads(session, [notice])[0]


@router.get("/stakeholders/{stakeholder_id}/notices")
def list_stakeholder_notices(
    stakeholder: ValidStakeholder, session: SessionDep, page: Annotated[PageParams, Query()]
) -> NoticePage:
    """What this stakeholder was told (or will be), newest first."""
    filters = NoticeFilters(stakeholder_id=stakeholder.id, limit=page.limit, cursor=page.cursor)
    notices, next_cursor = service.list_notices(
        session=session, filters=filters, list_name=f"/stakeholders/{stakeholder.id}/notices"
    )
    return NoticePage(items=notices, next_cursor=next_cursor)


@router.get("/requests/{request_id}/notices")
def list_request_notices(
    request: ValidRequest, session: SessionDep, page: Annotated[PageParams, Query()]
) -> NoticePage:
    """What the request's stakeholder was told about it (or will be), newest first."""
    filters = NoticeFilters(request_id=request.id, limit=page.limit, cursor=page.cursor)
    notices, next_cursor = service.list_notices(
        session=session, filters=filters, list_name=f"/requests/{request.id}/notices"
    )
    return NoticePage(items=notices, next_cursor=next_cursor)


@router.get("/reports/untold", tags=["reports"])
def report_untold(
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200, description="The most requests to list.")] = 50,
) -> UntoldReport:
    """Requests whose stakeholder does not know the answer in force (never told, told an
    answer since replaced, or a promise now suspect), oldest decision first."""
    return untold(session, limit=limit)


@stakeholder_view.get("/{stakeholder_id}/requests")
async def list_stakeholder_requests(
    stakeholder: ValidStakeholder,
    reads: DirectReadsDep,
    session: SessionDep,
    page: Annotated[PageParams, Query()],
) -> ToldRequestPage:
    """What did we tell them? The stakeholder's requests, newest first, each with its
    effective decision (outcome, why, the message for them) and when that answer was sent
    to them (null: not yet)."""
    filters = RequestFilters(stakeholder_id=stakeholder.id, limit=page.limit, cursor=page.cursor)
    list_name = f"/stakeholders/{stakeholder.id}/requests"
    found = await listing.page(reads=reads, filters=filters, list_name=list_name)
    sent = await run_in_threadpool(told_at, session, [request.id for request in found.items])
    items = [ToldRequestRead.of(request, told_at=sent.get(request.id)) for request in found.items]
    return ToldRequestPage(items=items, next_cursor=found.next_cursor)
