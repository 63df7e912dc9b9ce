"""HTTP routes for /reports: the questions managers get every day."""

from typing import Annotated

from fastapi import APIRouter, Query

from app.core.db import SessionDep, consistent_snapshot
from app.reports import service
from app.reports.models import Coverage, DemandBy, DemandReport, Summary

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get("/summary")
def report_summary(session: SessionDep) -> Summary:
    """Requests by status and group, the decision mix, how long people wait for a first
    answer (p50/p90 hours, overall and per group), and undecided requests by age."""
    consistent_snapshot(session)
    return service.summary(session=session)


@router.get("/demand")
def report_demand(
    session: SessionDep,
    by: DemandBy = DemandBy.need,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> DemandReport:
    """Needs or roadmap items ranked by weighted demand, each with the per-group
    breakdown that explains its rank."""
    consistent_snapshot(session)
    return service.demand(session=session, by=by, limit=limit)


@router.get("/coverage")
def report_coverage(
    session: SessionDep,
    older_than_days: Annotated[int, Query(ge=0, le=36500)] = 30,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
) -> Coverage:
    """What slipped through: needs with no accepted roadmap item, items nothing leads to,
    requests undecided for longer than older_than_days, revisits due, suspect promises."""
    consistent_snapshot(session)
    return service.coverage(session=session, older_than_days=older_than_days, limit=limit)
