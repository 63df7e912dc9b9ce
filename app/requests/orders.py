"""The orders of the requests list (`sort`), each a keyset read from an index.

Newest and oldest first go by id: a request's id and its created_at are both given as it
is filed, so their orders agree, and an id is what every other index of the table ends
with (a filtered list reads its filter's index in id order, where ordering by time sorted
every match: 1.3 s for the email requests of 1M on SQLite). Revenue and urgency go by a
value, then the id; a page after the first goes on from the last row's value and id,
which its cursor carries. So a page costs the same at any depth and in any order.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Integer, UnaryExpression, literal_column

from app.core.types import MAX_MONEY, in_cents
from app.requests.models import (
    REVENUE_ORDER_SQL,
    URGENCY_ORDER_SQL,
    URGENCY_RANK,
    Request,
    RequestRead,
    RequestSort,
)

REQUEST_ID: ColumnElement[int] = Request.__table__.c.id  # type: ignore[attr-defined]
# The table is named: the list joins others (a decision has no urgency today, but
# nothing stops one from having one tomorrow).
_REVENUE_ORDER = literal_column(REVENUE_ORDER_SQL.format(table="request."), BigInteger)
_URGENCY_ORDER = literal_column(URGENCY_ORDER_SQL.format(table="request."), Integer)
NO_REVENUE = -1  # what REVENUE_ORDER_SQL gives a request without one: below any amount


@dataclass(frozen=True)
class Order:
    descending: bool
    # What orders the rows before the id breaks ties; None: the id alone.
    value: ColumnElement[Any] | None = None
    in_cursor: Callable[[RequestRead], int] = lambda _read: 0  # an answered row's value
    from_cursor: Callable[[object], int | None] = lambda _value: None  # None: not one

    def by(self, *columns: ColumnElement[Any]) -> list[UnaryExpression[Any]]:
        """ORDER BY these columns in this order's direction."""
        return [column.desc() if self.descending else column.asc() for column in columns]

    def beyond(self, column: ColumnElement[Any], bound: Any) -> ColumnElement[bool]:
        """`column` comes after `bound` in this order."""
        after: ColumnElement[bool] = column < bound if self.descending else column > bound
        return after


def _whole_number(lowest: int, highest: int) -> Callable[[object], int | None]:
    """A cursor's value, if it is a whole number in this range (one the order can hold:
    the database would refuse a larger one)."""

    def read(value: object) -> int | None:
        if isinstance(value, int) and not isinstance(value, bool) and lowest <= value <= highest:
            return value
        return None

    return read


def _revenue_in_cents(read: RequestRead) -> int:
    revenue = read.revenue_at_stake
    return NO_REVENUE if revenue is None else in_cents(revenue)


ORDERS = {
    RequestSort.newest: Order(descending=True),
    RequestSort.oldest: Order(descending=False),
    RequestSort.most_revenue: Order(
        descending=True,
        value=_REVENUE_ORDER,
        in_cursor=_revenue_in_cents,
        from_cursor=_whole_number(NO_REVENUE, in_cents(MAX_MONEY)),
    ),
    RequestSort.most_urgent: Order(
        descending=True,
        value=_URGENCY_ORDER,
        in_cursor=lambda read: URGENCY_RANK[read.urgency],
        from_cursor=_whole_number(min(URGENCY_RANK.values()), max(URGENCY_RANK.values())),
    ),
}
