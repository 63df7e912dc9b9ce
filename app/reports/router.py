"""HTTP routes for /reports: the questions managers get every day."""

from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.core.db import SessionDep
from app.core.direct import DirectReadsDep
from app.events.answer_cache import AnswerCacheDep
from app.reports import service
from app.reports.models import Coverage, DemandBy, DemandReport, Summary

# Each report is computed in one snapshot and kept until the data changes (events/answer_cache.py).
router = APIRouter(prefix="/reports", tags=["reports"])


@router.get("/summary", response_model=Summary)
async def report_summary(
    session: SessionDep, reads: DirectReadsDep, cache: AnswerCacheDep
) -> Response:
    """Requests by status and group, the decision mix, how long people wait for a first
    answer (p50/p90 hours, overall and per group), and undecided requests by age."""
    return await cache.answer(
        ("summary",), reads=reads, session=session, compute=lambda s: service.summary(session=s)
    )


@router.get("/demand", response_model=DemandReport)
async def report_demand(
    session: SessionDep,
    reads: DirectReadsDep,
    cache: AnswerCacheDep,
    by: DemandBy = DemandBy.need,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> Response:
    """Needs or roadmap items ranked by weighted demand, each with the per-group
    breakdown that explains its rank."""
    return await cache.answer(
        ("demand", by, limit),
        reads=reads,
        session=session,
        compute=lambda s: service.demand(session=s, by=by, limit=limit),
    )


@router.get("/coverage", response_model=Coverage)
async def report_coverage(
    session: SessionDep,
    reads: DirectReadsDep,
    cache: AnswerCacheDep,
    older_than_days: Annotated[int, Query(ge=0, le=36500)] = 30,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
) -> Response:
    """What slipped through: needs with no accepted roadmap item, items nothing leads to,
    requests undecided for longer than older_than_days, revisits due, suspect promises."""
    return await cache.answer(
        ("coverage", older_than_days, limit),
        reads=reads,
        session=session,
        compute=lambda s: service.coverage(session=s, older_than_days=older_than_days, limit=limit),
    )
