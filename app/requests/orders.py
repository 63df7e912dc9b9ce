"""The orders of the requests list (`sort`): each a keyset of a value, then the id.

A page after the first goes on from the last row's value and id, which its cursor
carries. Each value is read through an index on it and the id (see the Request model),
so a page costs the same at any depth and in any order.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Integer, UnaryExpression, literal_column

from app.core.types import MAX_ID
from app.requests.models import (
    REVENUE_ORDER_SQL,
    URGENCY_ORDER_SQL,
    URGENCY_RANK,
    Request,
    RequestRead,
    RequestSort,
)

# The table is named: the list joins others (a decision has no urgency today, but
# nothing stops one from having one tomorrow).
_REVENUE_ORDER = literal_column(REVENUE_ORDER_SQL.format(table="request."), BigInteger)
_URGENCY_ORDER = literal_column(URGENCY_ORDER_SQL.format(table="request."), Integer)
_NO_REVENUE = -1
REQUEST_ID: ColumnElement[int] = Request.__table__.c.id  # type: ignore[attr-defined]
_CREATED_AT: ColumnElement[datetime] = Request.__table__.c.created_at  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Order:
    value: ColumnElement[Any]  # what orders the rows, before the id breaks ties
    descending: bool
    in_cursor: Callable[[RequestRead], object]  # an answered request's value, as JSON
    from_cursor: Callable[[object], Any]  # the value back, None when it cannot be one

    def by(self, value: ColumnElement[Any], id_: ColumnElement[Any]) -> list[UnaryExpression[Any]]:
        """ORDER BY for this order, of these value and id columns."""
        if self.descending:
            return [value.desc(), id_.desc()]
        return [value.asc(), id_.asc()]

    def beyond(self, value: ColumnElement[Any], bound: Any) -> ColumnElement[bool]:
        """`value` comes after `bound` in this order."""
        after: ColumnElement[bool] = value < bound if self.descending else value > bound
        return after


def _created_at(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        created_at = datetime.fromisoformat(value)
    except ValueError:
        return None
    return created_at if created_at.tzinfo is not None else None


def _whole_number(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and -1 <= value <= MAX_ID:
        return value
    return None


def _revenue_in_cents(read: RequestRead) -> int:
    revenue = read.revenue_at_stake
    return _NO_REVENUE if revenue is None else int(revenue * 100)


def _by_creation(*, descending: bool) -> Order:
    return Order(
        value=_CREATED_AT,
        descending=descending,
        in_cursor=lambda read: read.created_at.isoformat(),
        from_cursor=_created_at,
    )


ORDERS = {
    RequestSort.newest: _by_creation(descending=True),
    RequestSort.oldest: _by_creation(descending=False),
    RequestSort.most_revenue: Order(
        value=_REVENUE_ORDER,
        descending=True,
        in_cursor=_revenue_in_cents,
        from_cursor=_whole_number,
    ),
    RequestSort.most_urgent: Order(
        value=_URGENCY_ORDER,
        descending=True,
        in_cursor=lambda read: URGENCY_RANK[read.urgency],
        from_cursor=_whole_number,
    ),
}
