"""HTTP routes for /reports: the questions managers get every day."""

from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlmodel import Session

from app.core.db import SessionDep
from app.core.direct import DirectReadsDep
from app.core.types import PathId
from app.events.answer_cache import AnswerCacheDep
from app.reports import service
from app.reports.models import Coverage, DemandBy, DemandReport, Summary
from app.reports.trace import Trace, trace
from app.roadmap import service as roadmap

# Each report is computed in one snapshot and kept until the data changes (events/answer_cache.py).
router = APIRouter(prefix="/reports", tags=["reports"])
# Why an item is on the roadmap, beside the item's own routes.
trace_router = APIRouter(prefix="/roadmap-items", tags=["roadmap"])


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
    by: Annotated[
        DemandBy,
        Query(
            description="Rank needs (by the requests under them), roadmap items (by the "
            "requests accepted into them), stakeholder groups, stakeholders or customers "
            "(by the requests they made or are for)."
        ),
    ] = DemandBy.need,
    limit: Annotated[int, Query(ge=1, le=200, description="How many to rank: the top ones.")] = 20,
) -> Response:
    """Needs, roadmap items, groups, stakeholders or customers ranked by weighted demand,
    each with the per-group breakdown that explains its rank."""
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
    older_than_days: Annotated[
        int,
        Query(ge=0, le=36500, description="List requests undecided this many days after filing."),
    ] = 30,
    limit: Annotated[int, Query(ge=1, le=200, description="The most entries in each list.")] = 100,
) -> Response:
    """What slipped through: needs with no accepted roadmap item, items nothing leads to,
    requests undecided for longer than older_than_days, revisits due, suspect promises."""
    return await cache.answer(
        ("coverage", older_than_days, limit),
        reads=reads,
        session=session,
        compute=lambda s: service.coverage(session=s, older_than_days=older_than_days, limit=limit),
    )


@trace_router.get("/{roadmap_item_id}/trace", response_model=Trace)
async def trace_roadmap_item(
    roadmap_item_id: PathId, session: SessionDep, reads: DirectReadsDep, cache: AnswerCacheDep
) -> Response:
    """Why this is on the roadmap: every need and request accepted into it (by their
    effective decision), each request with its stakeholder, and the demand behind it."""

    def traced(session: Session) -> Trace:
        item = roadmap.get(session=session, roadmap_item_id=roadmap_item_id)
        return trace(session=session, item=item)

    # Computed in one snapshot and kept until the data changes (events/answer_cache.py).
    return await cache.answer(
        ("trace", roadmap_item_id), reads=reads, session=session, compute=traced
    )
