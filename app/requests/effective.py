"""A request's effective decision: its own current decision if it has one, else its
need's; and whether it is suspect. SQL on Request, read-only."""

from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, null, or_, union
from sqlalchemy.orm import aliased
from sqlmodel import col, select

from app.core.direct import AnySelect
from app.decisions.models import Decision, DecisionRead, Outcome
from app.decisions.reads import promise_changed
from app.requests.models import Request
from app.roadmap.models import RoadmapItem


def _current_own(decision: Any = Decision) -> ColumnElement[bool]:
    """SQL on Decision (or an alias of it): the current decision of the request in the
    enclosing query."""
    return and_(col(decision.request_id) == col(Request.id), col(decision.is_current))


def _current_of_need(decision: Any = Decision) -> ColumnElement[bool]:
    """SQL on Decision (or an alias of it): the current decision of that request's need."""
    return and_(col(decision.need_id) == col(Request.need_id), col(decision.is_current))


def _own_and_needs_decision() -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return exists().where(_current_own()), exists().where(_current_of_need())


def request_decided_condition() -> ColumnElement[bool]:
    """SQL: the request has an effective decision (its own, or its need's)."""
    own, via_need = _own_and_needs_decision()
    return or_(own, and_(col(Request.need_id).is_not(None), via_need))


def request_undecided_condition() -> ColumnElement[bool]:
    """SQL: nothing answers the request yet. Two NOT EXISTS, not NOT (a OR b): PostgreSQL
    turns these into index-driven anti-joins, far faster on a large table."""
    own, via_need = _own_and_needs_decision()
    return and_(~own, ~via_need)


# A request's own current decision, and its need's: LEFT JOINed by join_current_decisions.
OwnDecision = aliased(Decision, name="own_decision")
NeedDecision = aliased(Decision, name="need_decision")


def join_current_decisions(statement: Any) -> Any:
    """Join each request of `statement` to its own and its need's current decisions."""
    return statement.outerjoin(OwnDecision, _current_own(OwnDecision)).outerjoin(
        NeedDecision, _current_of_need(NeedDecision)
    )


def effective_field(name: str) -> Any:
    """SQL (after join_current_decisions): a field of the request's effective decision,
    its own current one if it has one, else its need's."""
    return case(
        (col(OwnDecision.id).is_not(None), getattr(OwnDecision, name)),
        else_=getattr(NeedDecision, name),
    )


def effective_accepted_item() -> ColumnElement[int | None]:
    """SQL (after join_current_decisions): the roadmap item the request's effective
    decision accepted it into, or NULL."""
    accepted = effective_field("outcome") == Outcome.accepted
    return case((accepted, effective_field("roadmap_item_id")))


def accepted_into(*item_ids: int) -> ColumnElement[bool]:
    """SQL on Request: its effective decision accepted it into one of these items. Driven
    by the decisions' roadmap_item_id index, so an item's requests cost no scan of them
    all."""
    acceptances = (
        select(Decision.request_id, Decision.need_id)
        .where(
            col(Decision.is_current),
            col(Decision.outcome) == Outcome.accepted,
            col(Decision.roadmap_item_id).in_(item_ids),
        )
        .subquery()
    )
    own = select(acceptances.c.request_id).where(acceptances.c.request_id.is_not(None))
    has_own_decision = exists().where(_current_own())
    via_need = (
        select(col(Request.id))
        .join(acceptances, acceptances.c.need_id == col(Request.need_id))
        .where(~has_own_decision)
    )
    # A UNION of two index-driven lookups: an OR here makes PostgreSQL scan every request.
    return col(Request.id).in_(union(own, via_need))


# The effective decision of a request, as columns named decision_<field>.
EFFECTIVE_PREFIX = "decision_"
# (DecisionRead's field, its column in a row of with_effective_decision); why a decision
# is suspect is read afterwards, for the few that are (app/decisions/suspicion.py).
_EFFECTIVE_COLUMNS = [
    (name, EFFECTIVE_PREFIX + name)
    for name in DecisionRead.model_fields
    if name != "suspect_reason"
]


def with_effective_decision(statement: AnySelect) -> AnySelect:
    """Add the request's effective decision (and whether it is suspect) to `statement`
    as decision_* columns, all NULL when nothing answers the request yet."""
    # Each field picked from the two joins by the one-current indexes. (Looked up by
    # subqueries in a join's condition, PostgreSQL ran them twice for every row it read. A
    # third join, to the effective decision by its id, made planning cost as much as
    # running.)
    suspect = promise_changed(effective_field("outcome"), effective_field("decided_at"))
    with_columns = statement.add_columns(
        *(
            func.coalesce(suspect, False).label(column)
            if field == "suspect"
            else effective_field(field).label(column)
            for field, column in _EFFECTIVE_COLUMNS
        )
    )
    joined: AnySelect = join_current_decisions(with_columns)
    return joined.outerjoin(RoadmapItem, col(RoadmapItem.id) == effective_field("roadmap_item_id"))


def with_no_decision(statement: AnySelect) -> AnySelect:
    """with_effective_decision's columns, all NULL, and nothing joined (nor planned): for
    requests known to be undecided."""
    return statement.add_columns(*(null().label(column) for _, column in _EFFECTIVE_COLUMNS))


def split_effective_decision(row: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """A row of with_effective_decision: the request's own fields, and its decision."""
    own = row.copy()
    decision = {field: own.pop(column) for field, column in _EFFECTIVE_COLUMNS}
    return own, None if decision["id"] is None else decision
