"""Demand rollups computed in one aggregate query, never stored."""

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import Float, case, func, select
from sqlmodel import Session, col

from app.core.types import Money
from app.needs.models import Demand
from app.requests.models import Request, Urgency
from app.stakeholders.models import Stakeholder

URGENCY_FACTOR = {Urgency.low: 1, Urgency.medium: 2, Urgency.high: 3, Urgency.critical: 5}


def demand_by_need(*, session: Session, need_ids: Iterable[int]) -> dict[int, Demand]:
    """The demand behind each need; needs without requests get an empty rollup."""
    ids = list(need_ids)
    demands = {need_id: Demand() for need_id in ids}
    if not ids:
        return demands
    urgency_factor = case(
        *((col(Request.urgency) == urgency, factor) for urgency, factor in URGENCY_FACTOR.items()),
        else_=0,
    )
    # Per (need, group): a stakeholder belongs to one group, so distinct counts add up.
    rows = session.execute(
        select(
            col(Request.need_id),
            col(Stakeholder.group),
            func.count(col(Request.id)),
            func.count(func.distinct(col(Request.stakeholder_id))),
            func.coalesce(func.sum(col(Request.revenue_at_stake)), 0, type_=Money),
            func.sum(col(Stakeholder.weight) * urgency_factor, type_=Float),
        )
        .join(Stakeholder, col(Stakeholder.id) == col(Request.stakeholder_id))
        .where(col(Request.need_id).in_(ids))
        .group_by(col(Request.need_id), col(Stakeholder.group))
    ).all()
    for need_id, group, requests, stakeholders, revenue, weighted in rows:
        _add(demands[need_id], group, requests, stakeholders, revenue, weighted)
    return demands


def _add(
    demand: Demand, group: str, requests: int, stakeholders: int, revenue: Any, weighted: Any
) -> None:
    demand.request_count += requests
    demand.stakeholder_count += stakeholders
    demand.groups[group] = demand.groups.get(group, 0) + requests
    demand.revenue_at_stake += Decimal(revenue or 0)
    demand.weighted_demand += float(weighted or 0)
