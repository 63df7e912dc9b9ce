"""Summary, demand ranking and coverage: aggregate queries, never one query per row."""

from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, Float, case, func, literal, or_, select
from sqlmodel import Session, col
from sqlmodel import select as select_model

from app.core.types import utcnow
from app.decisions.models import Decision, Outcome
from app.decisions.reads import suspect_condition, to_decision_reads
from app.needs.demand import rollup, weighted_demand_sum
from app.needs.models import Need
from app.reports.models import (
    Coverage,
    CoveredItem,
    CoveredNeed,
    CoveredRequest,
    DemandBy,
    DemandReport,
    Percentiles,
    RankedDemand,
    Summary,
)
from app.reports.sql import hours_between
from app.requests.effective import (
    NeedDecision,
    OwnDecision,
    effective_accepted_item,
    join_current_decisions,
    request_undecided_condition,
)
from app.requests.models import Request, RequestStatus
from app.roadmap.models import RoadmapItem
from app.stakeholders.models import Stakeholder

# Upper bound (exclusive, in days) of each age bucket of undecided requests.
AGE_BUCKETS = (("0-7d", 8), ("8-30d", 31), ("31-90d", 91), (">90d", None))


def summary(*, session: Session) -> Summary:
    # Joins, not a correlated EXISTS per row: one hash join pass over the requests.
    decided = or_(col(OwnDecision.id).is_not(None), col(NeedDecision.id).is_not(None))
    status = case(
        (decided, literal(RequestStatus.decided.value)),
        (col(Request.need_id).is_not(None), literal(RequestStatus.triaged.value)),
        else_=literal(RequestStatus.new.value),
    )
    by_status = dict(
        session.execute(
            join_current_decisions(select(status, func.count()).select_from(Request)).group_by(
                status
            )
        ).all()
    )
    by_group = dict(
        session.execute(
            select(col(Stakeholder.group), func.count(col(Request.id)))
            .join(Stakeholder, col(Stakeholder.id) == col(Request.stakeholder_id))
            .group_by(col(Stakeholder.group))
        ).all()
    )
    outcomes = dict(
        session.execute(
            select(col(Decision.outcome), func.count())
            .where(col(Decision.is_current))
            .group_by(col(Decision.outcome))
        ).all()
    )
    overall, per_group = _time_to_first_decision(session)
    return Summary(
        requests_by_status={s.value: by_status.get(s.value, 0) for s in RequestStatus},
        requests_by_group=by_group,
        decisions_by_outcome={o.value: outcomes.get(o.value, 0) for o in Outcome},
        time_to_first_decision=overall,
        time_to_first_decision_by_group=per_group,
        undecided_by_age=_undecided_by_age(session, decided),
    )


def _time_to_first_decision(session: Session) -> tuple[Percentiles, dict[str, Percentiles]]:
    """p50 and p90 of the hours from each request to its first answer, overall and per
    stakeholder group: window functions rank the durations in the database, which returns
    one row per group."""
    first = col(Request.first_answered_at)
    hours = hours_between(first, col(Request.created_at))
    waited = case((hours < 0, 0.0), else_=hours).label("hours")
    # Materialized: ranked per group straight from the join, SQLite sorted it far slower.
    # The scan reads ix_request_answered alone.
    durations = (
        select(col(Stakeholder.group).label("grp"), waited)
        .select_from(Request)
        .join(Stakeholder, col(Stakeholder.id) == col(Request.stakeholder_id))
        .where(first.is_not(None))
        .cte("durations")
        .prefix_with("MATERIALIZED")
    )
    overall = _percentiles(session, durations, group=None)
    return overall.get(None, Percentiles()), {
        str(k): v for k, v in _percentiles(session, durations, group=durations.c.grp).items()
    }


def _percentiles(session: Session, durations: Any, group: Any) -> dict[Any, Percentiles]:
    partition = [group] if group is not None else []
    key = group if group is not None else literal(None)
    ranked = select(
        key.label("key"),
        durations.c.hours,
        func.row_number().over(partition_by=partition, order_by=durations.c.hours).label("rn"),
        func.count().over(partition_by=partition).label("n"),
    ).subquery()

    def nearest_rank(p: float) -> ColumnElement[Any]:
        # The smallest duration whose rank reaches p of the group's count.
        return func.min(case((ranked.c.rn >= p * ranked.c.n, ranked.c.hours)), type_=Float)

    rows = session.execute(
        select(ranked.c.key, func.count(), nearest_rank(0.5), nearest_rank(0.9)).group_by(
            ranked.c.key
        )
    ).all()
    return {
        key: Percentiles(decided_requests=count, p50_hours=p50, p90_hours=p90)
        for key, count, p50, p90 in rows
    }


def _undecided_by_age(session: Session, decided: ColumnElement[bool]) -> dict[str, int]:
    """`decided` is in terms of join_current_decisions."""
    now = utcnow()
    bucket = case(
        *(
            (col(Request.created_at) > now - timedelta(days=upper), literal(name))
            for name, upper in AGE_BUCKETS
            if upper is not None
        ),
        else_=literal(AGE_BUCKETS[-1][0]),
    )
    counts = dict(
        session.execute(
            join_current_decisions(select(bucket, func.count()).select_from(Request))
            .where(~decided)
            .group_by(bucket)
        ).all()
    )
    return {name: counts.get(name, 0) for name, _ in AGE_BUCKETS}


def demand(*, session: Session, by: DemandBy, limit: int) -> DemandReport:
    """The top `limit` needs, roadmap items, groups, stakeholders or customers by weighted
    demand, with the rollup that explains each rank: one ranking query, then one rollup
    query for those."""
    weighted = weighted_demand_sum()
    key = _demand_key(by)
    through_decisions = by is DemandBy.roadmap_item
    ranking = select(key, weighted).where(key.is_not(None))
    if through_decisions:
        ranking = join_current_decisions(ranking)
    top = session.execute(
        ranking.select_from(Request)
        .join(Stakeholder, col(Stakeholder.id) == col(Request.stakeholder_id))
        .group_by(key)
        .order_by(weighted.desc(), key)
        .limit(limit)
    ).all()
    keys = [row[0] for row in top]
    if not keys:
        return DemandReport(by=by, items=[])
    rollups = rollup(session, key, key.in_(keys), through_decisions=through_decisions)
    labels = _labels(session, by, keys)
    return DemandReport(
        by=by,
        items=[
            RankedDemand(
                rank=rank,
                id=k if by in _BY_ID else None,
                label=labels[k],
                **rollups[k].model_dump(),
            )
            for rank, k in enumerate(keys, start=1)
        ],
    )


# What is ranked by an id (needs, items, stakeholders); groups and customers by name.
_BY_ID = {DemandBy.need, DemandBy.roadmap_item, DemandBy.stakeholder}


def _demand_key(by: DemandBy) -> Any:
    """SQL: what a request's demand counts toward, ranked by `by` (NULL: toward none)."""
    if by is DemandBy.roadmap_item:
        return effective_accepted_item()
    return {
        DemandBy.need: col(Request.need_id),
        DemandBy.group: col(Stakeholder.group),
        DemandBy.stakeholder: col(Request.stakeholder_id),
        DemandBy.customer: col(Request.customer),
    }[by]


def _labels(session: Session, by: DemandBy, keys: list[Any]) -> dict[Any, str]:
    """What each ranked key is called: a need's statement, an item's title, a
    stakeholder's name; a group or a customer is its own name."""
    named = {
        DemandBy.need: (Need.id, Need.statement),
        DemandBy.roadmap_item: (RoadmapItem.id, RoadmapItem.title),
        DemandBy.stakeholder: (Stakeholder.id, Stakeholder.name),
    }.get(by)
    if named is None:
        return {key: str(key) for key in keys}
    key_column, label = map(col, named)
    rows = session.execute(select(key_column, label).where(key_column.in_(keys)))
    return {int(key): str(name) for key, name in rows}


def coverage(*, session: Session, older_than_days: int, limit: int) -> Coverage:
    """What slipped through: each list holds at most `limit` entries, oldest first."""
    today = utcnow().date()
    cutoff = utcnow() - timedelta(days=older_than_days)
    stale = session.exec(
        select_model(Request)
        .where(request_undecided_condition(), col(Request.created_at) < cutoff)
        .order_by(col(Request.id))
        .limit(limit)
    ).all()
    past_revisit = session.exec(
        select_model(Decision)
        .where(col(Decision.is_current), col(Decision.revisit_at) < today)
        .order_by(col(Decision.revisit_at), col(Decision.id))
        .limit(limit)
    ).all()
    suspect = session.exec(
        select_model(Decision).where(suspect_condition()).order_by(col(Decision.id)).limit(limit)
    ).all()
    return Coverage(
        older_than_days=older_than_days,
        today=today,
        needs_without_accepted_item=_needs_without_accepted_item(session, limit),
        roadmap_items_without_demand=_items_without_demand(session, limit),
        requests_undecided_too_long=[CoveredRequest.model_validate(r) for r in stale],
        decisions_past_revisit=to_decision_reads(session, past_revisit),
        suspect_decisions=to_decision_reads(session, suspect),
    )


def _needs_without_accepted_item(session: Session, limit: int) -> list[CoveredNeed]:
    current_need_decision = (
        select(col(Decision.outcome))
        .where(col(Decision.need_id) == col(Need.id), col(Decision.is_current))
        .scalar_subquery()
    )
    needs = session.execute(
        select(col(Need.id), col(Need.statement), current_need_decision)
        .where(
            case(
                (current_need_decision.is_(None), True),
                else_=current_need_decision != Outcome.accepted,
            )
        )
        .order_by(col(Need.id))
        .limit(limit)
    ).all()
    return [CoveredNeed(id=i, statement=s, current_outcome=o) for i, s, o in needs]


def _items_without_demand(session: Session, limit: int) -> list[CoveredItem]:
    """Items no request's effective decision and no need's current one accepted."""
    led_to = join_current_decisions(select(effective_accepted_item()).select_from(Request)).where(
        effective_accepted_item().is_not(None)
    )
    accepted_needs = select(col(Decision.roadmap_item_id)).where(
        col(Decision.is_current),
        col(Decision.outcome) == Outcome.accepted,
        col(Decision.need_id).is_not(None),
    )
    items = session.exec(
        select_model(RoadmapItem)
        .where(
            col(RoadmapItem.id).not_in(led_to.scalar_subquery().correlate(None)),
            col(RoadmapItem.id).not_in(accepted_needs.scalar_subquery()),
        )
        .order_by(col(RoadmapItem.id))
        .limit(limit)
    ).all()
    return [CoveredItem.model_validate(item) for item in items]
