"""Demand rollups computed in one aggregate query, never stored."""

from collections.abc import Hashable, Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Float, Select, case, func, select
from sqlmodel import Session, col

from app.core.types import Money
from app.needs.models import Demand
from app.requests.effective import (
    accepted_into,
    effective_accepted_item,
    join_current_decisions,
)
from app.requests.models import URGENCY_FACTOR, Request
from app.stakeholders.models import Stakeholder


def weighted_demand_sum() -> ColumnElement[float]:
    """SQL: sum over the requests of stakeholder weight x urgency factor."""
    urgency_factor = case(
        *((col(Request.urgency) == urgency, factor) for urgency, factor in URGENCY_FACTOR.items()),
        else_=0,
    )
    return func.sum(col(Stakeholder.weight) * urgency_factor, type_=Float)


def demand_by_need(*, session: Session, need_ids: Iterable[int]) -> dict[int, Demand]:
    """The demand behind each need; needs without requests get an empty rollup."""
    ids = list(need_ids)
    if not ids:
        return {}
    found = rollup(session, col(Request.need_id), col(Request.need_id).in_(ids))
    return {need_id: found.get(need_id, Demand()) for need_id in ids}


def demand_by_roadmap_item(
    *, session: Session, item_ids: Iterable[int] | None = None
) -> dict[int, Demand]:
    """The demand of the requests effectively accepted into each item (all items if None)."""
    item = effective_accepted_item()
    # Named items: their requests found by the decisions' index, not by reading them all.
    condition = item.is_not(None) if item_ids is None else accepted_into(*item_ids)
    return rollup(session, item, condition, through_decisions=True)


def rollup(
    session: Session,
    key: Any,
    *conditions: ColumnElement[bool],
    through_decisions: bool = False,
) -> dict[Any, Demand]:
    """Demand of the matching requests per value of `key`, in one grouped query."""
    # Per (key, group): a stakeholder belongs to one group, so distinct counts add up.
    statement: Select[Any] = (
        select(
            key,
            col(Stakeholder.group),
            func.count(col(Request.id)),
            func.count(func.distinct(col(Request.stakeholder_id))),
            func.coalesce(func.sum(col(Request.revenue_at_stake)), 0, type_=Money),
            weighted_demand_sum(),
        )
        .select_from(Request)
        .join(Stakeholder, col(Stakeholder.id) == col(Request.stakeholder_id))
    )
    if through_decisions:
        statement = join_current_decisions(statement)
    rows = session.execute(statement.where(*conditions).group_by(key, col(Stakeholder.group)))
    demands: dict[Hashable, Demand] = {}
    for value, group, requests, stakeholders, revenue, weighted in rows:
        demand = demands.setdefault(value, Demand())
        demand.request_count += requests
        demand.stakeholder_count += stakeholders
        demand.groups[group] = demand.groups.get(group, 0) + requests
        demand.revenue_at_stake += Decimal(revenue or 0)
        demand.weighted_demand += float(weighted or 0)
        demand.weighted_demand_by_group[group] = float(weighted or 0)
    return demands
