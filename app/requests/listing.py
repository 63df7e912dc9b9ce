"""The requests list (and its export): one statement per shape of filters.

A page is one statement: the requests with their effective decisions (none joined when
the status filter says there are none), filtered, in keyset or rank order. Its shape
(which filters are given, the status, the order, search or not, first page or not)
decides the SQL; the values are bound parameters. So each shape is compiled once and then
only executed: through the driver for the list (no session, no worker thread), or through
the export's session.
"""

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Subquery, and_, bindparam, literal_column, select, union_all
from sqlmodel import Session, col

from app.core.direct import AnySelect, DirectQuery, DirectReads, Row
from app.core.pagination import AFTER, ID, RANKED, decode_after, decode_cursor, encode_cursor
from app.decisions.suspicion import explain_through, suspect_among
from app.requests.effective import (
    request_decided_condition,
    request_undecided_condition,
    with_effective_decision,
    with_no_decision,
)
from app.requests.models import Request, RequestPage, RequestSort, RequestStatus
from app.requests.orders import ORDERS, REQUEST_ID, Order
from app.requests.search import matching, search, search_terms
from app.requests.service import REQUEST_COLUMNS, RequestFilters, answered

# Filters that compare a column with the parameter of the same name.
EQUAL_FILTERS = (
    *("stakeholder_id", "need_id", "channel", "urgency", "customer"),
    *("source_system", "external_id"),
)
REQUESTS = "/requests"
# The statuses of requests that nothing answers yet.
UNDECIDED = (RequestStatus.new, RequestStatus.triaged)


@dataclass(frozen=True)
class _Shape:
    dialect: str
    equal: tuple[str, ...]
    status: RequestStatus | None
    searched: bool
    order: RequestSort | None  # None: a search, best match first
    after_cursor: bool
    created_after: bool = False
    created_before: bool = False


_queries: dict[Hashable, DirectQuery] = {}


async def page(
    *, reads: DirectReads, filters: RequestFilters, list_name: str = REQUESTS
) -> RequestPage:
    """One page of the list, newest first (best first when searching), through the driver."""
    query, parameters = query_for(filters, reads.dialect.name, list_name)
    if parameters is None:
        return RequestPage(items=[], next_cursor=None)
    rows = await reads.all(query, **parameters)
    found = _page(rows, filters, list_name)
    await explain_through(reads, suspect_among(item.decision for item in found.items))
    return found


def export_page(*, session: Session, filters: RequestFilters) -> RequestPage:
    """The same page read in the export's session (its own snapshot, batch after batch);
    its rows carry no suspect_reason (no column of the export shows it)."""
    query, parameters = query_for(filters, session.get_bind().dialect.name, REQUESTS)
    if parameters is None:
        return RequestPage(items=[], next_cursor=None)
    rows = session.execute(query.statement, parameters).mappings()
    return _page([dict(row) for row in rows], filters, REQUESTS)


def query_for(
    filters: RequestFilters, dialect: str, list_name: str
) -> tuple[DirectQuery, dict[str, Any] | None]:
    """The shape's query and this page's parameters; None when nothing can match."""
    shape = _Shape(
        dialect=dialect,
        equal=tuple(name for name in EQUAL_FILTERS if getattr(filters, name) is not None),
        status=filters.status,
        searched=bool(filters.q),  # an empty search box lists everything, as before
        order=_order_of(filters),
        after_cursor=filters.cursor is not None,
        created_after=filters.created_after is not None,
        created_before=filters.created_before is not None,
    )
    query = _queries.get(shape)
    if query is None:
        query = _queries[shape] = DirectQuery(_statement(shape), search=shape.searched)
    parameters: dict[str, Any] = {name: _plain(getattr(filters, name)) for name in shape.equal}
    for bound in ("created_after", "created_before"):
        if getattr(shape, bound):
            parameters[bound] = getattr(filters, bound)
    parameters["limit"] = filters.limit + 1  # one more: is there a next page?
    if filters.q:
        terms = search_terms(filters.q, dialect=dialect)
        if terms is None:
            return query, None
        parameters["search_terms"] = terms
    if shape.order is None:
        parameters["skip"] = _skipped(filters, list_name)
    elif filters.cursor is not None:
        parameters |= _after(filters.cursor, ORDERS[shape.order], filters, list_name)
    return query, parameters


def _after(cursor: str, order: Order, filters: RequestFilters, list_name: str) -> dict[str, Any]:
    """Where the previous page of this order stopped: its last id, and value if it has one."""
    if order.value is None:
        return {"after_id": decode_cursor(cursor, list_name=list_name, params=filters)}
    value, after_id = decode_after(
        cursor, list_name=list_name, params=filters, value_of=order.from_cursor
    )
    return {"after_value": value, "after_id": after_id}


def _order_of(filters: RequestFilters) -> RequestSort | None:
    if filters.sort is None and filters.q:
        return None  # a search comes best match first
    return filters.sort or RequestSort.newest


def _statement(shape: _Shape) -> AnySelect:
    if shape.order is None:
        return _ranked_statement(shape)
    order = ORDERS[shape.order]
    if order.value is None or not shape.after_cursor:
        statement = _filtered(_with_decision(shape), shape)
        if shape.after_cursor:
            statement = statement.where(order.beyond(REQUEST_ID, bindparam("after_id")))
        keys = (REQUEST_ID,) if order.value is None else (order.value, REQUEST_ID)
        return statement.order_by(*order.by(*keys)).limit(bindparam("limit"))
    after = _after_cursor(shape, order, order.value)
    statement = _with_decision(shape).join(after, after.c.id == Request.id)
    return statement.order_by(*order.by(after.c.value, after.c.id)).limit(bindparam("limit"))


def _after_cursor(shape: _Shape, order: Order, value: ColumnElement[Any]) -> Subquery:
    """The ids (and values) of the page after the cursor: the rest of the cursor's value
    (in id order: the value is one), then the values beyond it, each a range of the
    order's index. (As one condition, (value, id) beyond the cursor's, SQLite read the
    whole of a common value from its start, as for an urgency shared by a quarter of all
    requests.)"""
    id_ = REQUEST_ID
    after_value = bindparam("after_value", type_=value.type)
    ties = and_(value == after_value, order.beyond(id_, bindparam("after_id")))
    parts = (
        _filtered(select(id_.label("id"), value.label("value")), shape)
        .where(condition)
        .order_by(*order.by(*keys))
        .limit(bindparam("limit"))
        .subquery()
        for condition, keys in ((ties, (id_,)), (order.beyond(value, after_value), (value, id_)))
    )
    return union_all(*(select(part) for part in parts)).subquery("after_cursor")


def _ranked_statement(shape: _Shape) -> AnySelect:
    """The page's matches ranked by id and score alone, then their rows and decisions.
    Ranking whole rows sorted every match's columns and joined every match's decision
    before the limit: far slower for a common word in a large table."""
    narrowed = shape.equal or shape.status is not None
    filtered = _filtered(select(col(Request.id)), shape) if narrowed else None
    matches, match_id, score = search(filtered, dialect=shape.dialect)
    # Ranks shift as rows change: the cursor counts the results before the page. Ordered
    # by its label: the score written again would be computed again.
    ranked = (
        matches.add_columns(score.label("score"))
        .order_by(literal_column("score"), match_id.desc())
        .offset(bindparam("skip"))
        .limit(bindparam("limit"))
        .subquery("ranked")
    )
    statement = _with_decision(shape).join(ranked, ranked.c.id == Request.id)
    return statement.order_by(ranked.c.score, col(Request.id).desc())


def _with_decision(shape: _Shape) -> AnySelect:
    requests = select(*(getattr(Request, name) for name in REQUEST_COLUMNS))
    if shape.status in UNDECIDED:  # nothing answers them: no decision to join (or plan)
        return with_no_decision(requests)
    return with_effective_decision(requests)


def _filtered(statement: AnySelect, shape: _Shape) -> AnySelect:
    if shape.searched and shape.order is not None:  # a search in an order of its own
        statement = statement.where(matching(dialect=shape.dialect))
    for name in shape.equal:
        statement = statement.where(getattr(Request, name) == bindparam(name))
    if shape.created_after:
        statement = statement.where(col(Request.created_at) >= bindparam("created_after"))
    if shape.created_before:
        statement = statement.where(col(Request.created_at) < bindparam("created_before"))
    if shape.status is RequestStatus.new:
        statement = statement.where(col(Request.need_id).is_(None), request_undecided_condition())
    elif shape.status is RequestStatus.triaged:
        statement = statement.where(
            col(Request.need_id).is_not(None), request_undecided_condition()
        )
    elif shape.status is RequestStatus.decided:
        statement = statement.where(request_decided_condition())
    return statement


def _page(rows: list[Row], filters: RequestFilters, list_name: str) -> RequestPage:
    items = [answered(row) for row in rows[: filters.limit]]
    if len(rows) <= filters.limit:
        return RequestPage(items=items, next_cursor=None)
    order = _order_of(filters)
    if order is None:
        position: int | list[object] = _skipped(filters, list_name) + filters.limit
        kind = RANKED
    elif ORDERS[order].value is None:
        position, kind = items[-1].id, ID
    else:
        position, kind = [ORDERS[order].in_cursor(items[-1]), items[-1].id], AFTER
    next_cursor = encode_cursor(position, list_name=list_name, params=filters, kind=kind)
    return RequestPage(items=items, next_cursor=next_cursor)


def _skipped(filters: RequestFilters, list_name: str) -> int:
    if filters.cursor is None:
        return 0
    return decode_cursor(filters.cursor, list_name=list_name, params=filters, kind=RANKED)


def _plain(value: Any) -> Any:
    """Enum members as their values: the drivers bind plain types."""
    return getattr(value, "value", value)
