"""Need rules: demand is derived from requests; a referenced need stays."""

from collections.abc import Sequence
from datetime import datetime

from pydantic import Field
from sqlalchemy import exists, insert
from sqlalchemy import update as sql_update
from sqlmodel import Session, col, select

from app.audit import recorder as audit
from app.audit.models import AuditEntry
from app.audit.recorder import audit_row
from app.core.db import ACTOR_KEY
from app.core.errors import Conflict, Gone, NotFound, Unprocessable
from app.core.filters import where_equal
from app.core.models import apply_changes
from app.core.pagination import PageParams, fetch_page
from app.core.search import contains_text
from app.core.types import FilterText, utcnow
from app.decisions.models import Decision
from app.events.outbox import announce, publish_resources
from app.needs.demand import demand_by_need
from app.needs.models import MergedNeed, Need, NeedCreate, NeedMerge, NeedRead, NeedUpdate
from app.requests.models import Request
from app.requests.service import mark_answered


class NeedFilters(PageParams):
    """Query parameters of the list: field filters, `q` text search, and the page."""

    theme: FilterText | None = Field(
        default=None, description="Only needs with this theme (exact match)."
    )
    q: FilterText | None = Field(
        default=None, description="Text in the statement or description (any case)."
    )


def to_reads(*, session: Session, needs: Sequence[Need]) -> list[NeedRead]:
    ids = [n.id for n in needs if n.id is not None]
    demands = demand_by_need(session=session, need_ids=ids)
    merged: dict[int, list[int]] = {}
    for need_id, into in session.exec(
        select(MergedNeed.need_id, MergedNeed.merged_into)
        .where(col(MergedNeed.merged_into).in_(ids))
        .order_by(col(MergedNeed.need_id))
    ):
        merged.setdefault(into, []).append(need_id)
    return [
        NeedRead.model_validate(
            need,
            update=demands[need.id].model_dump() | {"merged_need_ids": merged.get(need.id, [])},
        )
        for need in needs
        if need.id is not None
    ]


def get(*, session: Session, need_id: int, for_update: bool = False) -> Need:
    need = session.get(Need, need_id, with_for_update=for_update, populate_existing=for_update)
    if need is None:
        into = session.exec(
            select(MergedNeed.merged_into).where(col(MergedNeed.need_id) == need_id)
        ).first()
        if into is not None:
            raise NeedMerged(need_id, into)
        raise NotFound(f"Need {need_id} does not exist.")
    return need


class NeedMerged(Gone):
    """The need was merged into another: its requests and decisions are there now."""

    slug = "merged"

    def __init__(self, need_id: int, into: int) -> None:
        super().__init__(
            f"Need {need_id} was merged into need {into}.", extensions={"merged_into": into}
        )


def list_needs(*, session: Session, filters: NeedFilters) -> tuple[Sequence[Need], str | None]:
    statement = select(Need)
    statement = where_equal(statement, Need, filters, "theme")
    if filters.q:
        statement = statement.where(contains_text(filters.q, Need.statement, Need.description))
    return fetch_page(
        session=session,
        statement=statement,
        id_column=col(Need.id),
        params=filters,
        list_name="/needs",
    )


def create(*, session: Session, data: NeedCreate) -> Need:
    need = Need.model_validate(data)
    session.add(need)
    session.flush()
    return need


def update(*, session: Session, need: Need, data: NeedUpdate) -> Need:
    apply_changes(need, data.model_dump(exclude_unset=True))
    session.flush()
    return need


def delete(*, session: Session, need: Need) -> None:
    referenced = session.exec(select(exists().where(col(Request.need_id) == need.id))).one()
    if referenced:
        raise Conflict(f"Need {need.id} still has requests; move them to another need first.")
    decided = session.exec(select(exists().where(col(Decision.need_id) == need.id))).one()
    if decided:
        raise Conflict(f"Need {need.id} has decisions (their history is kept); merge it instead.")
    session.delete(need)
    session.flush()


def merge(*, session: Session, target: Need, data: NeedMerge) -> Need:
    """Fold the source needs into target: their requests and decisions move, history kept,
    and the sources are removed. The target's current decision stays current; if it has
    none, the newest current decision among the sources becomes its current one."""
    assert target.id is not None
    source_ids = sorted(set(data.source_ids))
    if target.id in source_ids:
        raise Unprocessable("A need cannot be merged into itself.", loc=["body", "source_ids"])
    # Target and sources locked together in id order: opposite merges cannot deadlock.
    locked = {
        need.id: need
        for need in session.exec(
            select(Need)
            .where(col(Need.id).in_([target.id, *source_ids]))
            .order_by(col(Need.id))
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    }
    if target.id not in locked:
        raise NotFound(f"Need {target.id} does not exist.")
    missing = [i for i in source_ids if i not in locked]
    if missing:
        raise Unprocessable(
            f"Need {missing[0]} does not exist.",
            loc=["body", "source_ids", data.source_ids.index(missing[0])],
        )
    _ensure_answers_agree(session, target.id, source_ids)
    now = utcnow()
    moved = _move_requests(session, source_ids, target.id, now)
    moved_requests = list(moved)
    decisions, current_id = _move_decisions(session, source_ids, target.id)
    if current_id is not None:
        mark_answered(session, col(Request.id).in_(moved_requests), at=now)
    _leave_a_trail(session, source_ids, target.id, moved, now)
    for source_id in source_ids:
        session.delete(locked[source_id])
    apply_changes(target, {"updated_at": now})
    session.flush()
    audit.record(
        session,
        entity="need",
        entity_id=target.id,
        action="merge",
        before={"source_ids": source_ids},
        after={
            "moved_request_ids": moved_requests,
            "moved_decision_ids": [d.id for d in decisions],
            "current_decision_id": current_id,
        },
    )
    merged = to_reads(session=session, needs=[target])[0].model_dump(mode="json")
    announce(session, "need", target.id, "merged", merged | {"merged_need_ids": source_ids})
    return target


def _move_requests(
    session: Session, source_ids: list[int], target_id: int, now: datetime
) -> dict[int, int]:
    """The sources' requests now under the target: each one's id, and the need it left."""
    moved = session.exec(
        select(Request.id, Request.need_id).where(col(Request.need_id).in_(source_ids))
    ).all()
    session.execute(
        sql_update(Request)
        .where(col(Request.need_id).in_(source_ids))
        .values(need_id=target_id, version=col(Request.version) + 1, updated_at=now)
    )
    return {request_id: left for request_id, left in moved if request_id and left}


def _leave_a_trail(
    session: Session, source_ids: list[int], target_id: int, moved: dict[int, int], now: datetime
) -> None:
    """Where the sources went, for their ids (410 merged_into) and the target's read; and
    each moved request's own audit entry, so its history shows its need changing."""
    # Needs merged into a source earlier now lead to the target too.
    session.execute(
        sql_update(MergedNeed)
        .where(col(MergedNeed.merged_into).in_(source_ids))
        .values(merged_into=target_id)
    )
    session.add_all(
        MergedNeed(need_id=source_id, merged_into=target_id, merged_at=now)
        for source_id in source_ids
    )
    session.flush()
    actor = session.info.get(ACTOR_KEY)
    entries = [
        audit_row(
            actor,
            "request",
            request_id,
            "update",
            {"need_id": left},
            {"need_id": target_id},
            at=now,
        )
        for request_id, left in moved.items()
    ]
    if entries:
        session.execute(insert(AuditEntry), entries)


def _move_decisions(
    session: Session, source_ids: list[int], target_id: int
) -> tuple[Sequence[Decision], int | None]:
    """The sources' decisions, now the target's history; the target's current decision
    after the move (its own, else the newest current one among the sources'), if any."""
    decisions = session.exec(
        select(Decision).where(col(Decision.need_id).in_(source_ids)).order_by(col(Decision.id))
    ).all()
    target_decided = session.exec(
        select(Decision.id).where(col(Decision.need_id) == target_id, col(Decision.is_current))
    ).first()
    keeper = None if target_decided is not None else _newest_current(decisions)
    for decision in decisions:
        decision.need_id = target_id
        decision.is_current = decision is keeper
    session.flush()
    return decisions, keeper.id if keeper is not None else target_decided


def _ensure_answers_agree(session: Session, target_id: int, source_ids: list[int]) -> None:
    """Merging must not change silently what the sources' stakeholders were told."""
    answers = {
        need_id: (outcome, item)
        for need_id, outcome, item in session.exec(
            select(Decision.need_id, Decision.outcome, Decision.roadmap_item_id).where(
                col(Decision.need_id).in_([target_id, *source_ids]), col(Decision.is_current)
            )
        )
    }
    target_answer = answers.get(target_id)
    if target_answer is None:
        return
    differing = [i for i in source_ids if answers.get(i, target_answer) != target_answer]
    if differing:
        raise Conflict(
            f"Need {differing[0]} has a different current decision than need {target_id}; "
            "decide them alike first, so no stakeholder's answer changes without a why."
        )


def _newest_current(decisions: Sequence[Decision]) -> Decision | None:
    current = [d for d in decisions if d.is_current]
    return max(current, key=lambda d: (d.decided_at, d.id or 0)) if current else None


# Its events carry the need as the API answers it, with its demand.
publish_resources(
    Need,
    "need",
    lambda session, rows: to_reads(session=session, needs=rows),
    announces=("merged",),
)
