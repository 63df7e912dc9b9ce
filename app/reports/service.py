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
    """The top `limit` needs or roadmap items by weighted demand, with the rollup that
    explains each rank: one ranking query, then one rollup query for those."""
    weighted = weighted_demand_sum()
    if by is DemandBy.need:
        key: Any = col(Request.need_id)
        ranking = select(key, weighted).where(key.is_not(None))
    else:
        key = effective_accepted_item()
        ranking = join_current_decisions(select(key, weighted)).where(key.is_not(None))
    top = session.execute(
        ranking.select_from(Request)
        .join(Stakeholder, col(Stakeholder.id) == col(Request.stakeholder_id))
        .group_by(key)
        .order_by(weighted.desc(), key)
        .limit(limit)
    ).all()
    ids = [row[0] for row in top]
    if not ids:
        return DemandReport(by=by, items=[])
    rollups = rollup(session, key, key.in_(ids), through_decisions=by is DemandBy.roadmap_item)
    labels = _labels(session, by, ids)
    return DemandReport(
        by=by,
        items=[
            RankedDemand(rank=rank, id=i, label=labels[i], **rollups[i].model_dump())
            for rank, i in enumerate(ids, start=1)
            if i in rollups and i in labels
        ],
    )


def _labels(session: Session, by: DemandBy, ids: list[int]) -> dict[int, str]:
    if by is DemandBy.need:
        rows = session.execute(
            select(col(Need.id), col(Need.statement)).where(col(Need.id).in_(ids))
        )
    else:
        rows = session.execute(
            select(col(RoadmapItem.id), col(RoadmapItem.title)).where(col(RoadmapItem.id).in_(ids))
        )
    return {int(i): str(label) for i, label in rows}


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
