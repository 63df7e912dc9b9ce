"""Notices owed, gathered per stakeholder. A change that may alter answers (a decision on
a request or on its need; a roadmap item shipped, cancelled or reopened under an
acceptance) writes, in its own transaction, which requests it concerns (notice_owed: an
outbox); the sender then gathers them into notices, deriving each from the answers in
force and what was last told, never remembered apart, so the two cannot drift."""

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, event, insert, literal
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from app.core.config import Settings
from app.core.filters import among
from app.core.types import UTCDateTime, utcnow
from app.deciding.service import watch_decisions
from app.decisions.models import Decision
from app.notices.answers import Answer, InForce, answers_in_force, last_told
from app.notices.models import (
    GATHERING,
    NOTICE_ITEM_TABLE,
    NOTICE_OWED_TABLE,
    NOTICE_TABLE,
    Notice,
    NoticeChannel,
    NoticeItem,
    NoticeOwed,
    NoticeStatus,
)
from app.requests.effective import accepted_into
from app.requests.models import Request
from app.roadmap.models import RoadmapItem
from app.roadmap.service import watch_endings
from app.stakeholders.models import Stakeholder

# Requests looked at per round: a need decision's thousands go in a few rounds.
GATHER_BATCH = 20_000


@watch_decisions
def _decided(session: Session, decision: Decision) -> None:
    if decision.request_id is not None:
        # Its row as values: a third of the time of INSERT ... SELECT, on the path of
        # every decision (docs/performance.md, "Notices").
        session.execute(
            insert(NOTICE_OWED_TABLE), {"request_id": decision.request_id, "owed_at": utcnow()}
        )
    else:
        _owed_for_requests_where(session, col(Request.need_id) == decision.need_id, wake=True)


@watch_endings
def _item_ended_or_reopened(session: Session, item: RoadmapItem) -> None:
    assert item.id is not None
    _owed_for_requests_where(session, accepted_into(item.id), wake=True)


def _owed_for_requests_where(
    session: Session, condition: ColumnElement[bool], *, wake: bool = False
) -> None:
    """One statement in the change's transaction, however many requests it concerns:
    the notices themselves are gathered by the sender (gather_owed). A change that may
    concern many (a need decided, an item ended) wakes the senders of this process once
    committed; a request's own decision waits for the poll with the others, gathered
    together: waking for each kept the sender busy beside the requests."""
    requests = select(col(Request.id), literal(utcnow(), UTCDateTime)).where(condition)
    session.execute(insert(NOTICE_OWED_TABLE).from_select(["request_id", "owed_at"], requests))
    if wake:
        session.info[_OWED] = True


# Senders in this process, woken when a transaction that owes many notices commits.
_OWED = "notices.owed"
_wakers: set[Callable[[], None]] = set()


@contextmanager
def woken_when_owed(wake: Callable[[], None]) -> Iterator[None]:
    _wakers.add(wake)
    try:
        yield
    finally:
        _wakers.discard(wake)


@event.listens_for(Session, "after_commit")
def _wake_senders(session: Session) -> None:
    if session.info.pop(_OWED, False):
        for wake in list(_wakers):
            wake()


@event.listens_for(Session, "after_rollback")
def _forget_owed(session: Session) -> None:
    session.info.pop(_OWED, None)


def has_owed(session: Session) -> bool:
    """Whether a change waits to be gathered (a cheap read, as has_due)."""
    return session.exec(select(NoticeOwed.id).limit(1)).first() is not None


def gather_owed(session: Session, *, settings: Settings, limit: int = GATHER_BATCH) -> int:
    """Bring notices in line with the oldest changes waiting, and let go of those; how
    many there were. Another sender's rows are skipped, not waited on."""
    owed = session.execute(
        select_columns(NOTICE_OWED_TABLE)
        .order_by(NOTICE_OWED_TABLE.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if not owed:
        return 0
    first_owed: dict[int, datetime] = {}
    for row in owed:  # oldest first: a request changed twice counts from the first change
        first_owed.setdefault(row.request_id, row.owed_at)
    owe_notices(session, first_owed, settings=settings)
    session.execute(
        delete(NOTICE_OWED_TABLE).where(
            among(session, NOTICE_OWED_TABLE.c.id, (r.id for r in owed))
        )
    )
    return len(owed)


def owe_notices(session: Session, owed: Mapping[int, datetime], *, settings: Settings) -> None:
    """Bring each stakeholder's gathering notice in line with these requests (each with
    when it was first owed a look): an item for each whose answer differs from what they
    were last told, none for the others; a notice left with no item is cancelled. A few
    statements whatever the number of requests."""
    request_ids = list(owed)
    if not request_ids:
        return
    # Their stakeholders first, locked: what is read next is what no one else changes.
    stakeholders = hold_stakeholders(session, _stakeholders_of(session, request_ids))
    told = last_told(session, request_ids)
    concerned: dict[int, list[InForce]] = defaultdict(list)
    for request in answers_in_force(session, request_ids):
        concerned[request.stakeholder_id].append(request)
    notices = _gathering_notices(session, concerned)
    items = _items_of(session, notices.values(), request_ids)
    untold: list[NoticeItem] = []
    # New items as rows, per stakeholder: written in one statement once their notices are.
    new_items: dict[int, list[dict[str, Any]]] = {}
    for stakeholder_id, requests in concerned.items():
        new_items[stakeholder_id], gone = _in_line(items[stakeholder_id], requests, told)
        untold += gone
    if untold:
        session.execute(
            delete(NoticeItem).where(among(session, col(NoticeItem.id), (i.id for i in untold)))
        )
    emptied = [
        notice
        for stakeholder_id, notice in notices.items()
        if not items[stakeholder_id] and not new_items[stakeholder_id]
    ]
    _cancel_if_empty(session, emptied)
    unopened = [stakeholders[s] for s, rows in new_items.items() if rows and s not in notices]
    notice_ids = {s: notice.id for s, notice in notices.items()}
    opened_at = {
        stakeholder_id: min(owed[request.request_id] for request in concerned[stakeholder_id])
        for stakeholder_id in new_items
    }
    notice_ids |= _open_notices(session, unopened, opened_at, settings)
    rows = [
        {"notice_id": notice_ids[stakeholder_id], **row}
        for stakeholder_id, of_stakeholder in new_items.items()
        for row in of_stakeholder
    ]
    if rows:
        session.execute(insert(NOTICE_ITEM_TABLE), rows)
    session.flush()


def _cancel_if_empty(session: Session, notices: list[Notice]) -> None:
    """Cancel those of these notices left with no item (the others tell of requests
    outside this round)."""
    if not notices:
        return
    found = select(NoticeItem.notice_id).where(
        among(session, col(NoticeItem.notice_id), (n.id for n in notices))
    )
    still_telling = set(session.exec(found).all())
    for notice in notices:
        if notice.id not in still_telling:
            notice.status = NoticeStatus.cancelled
            notice.finished_at = utcnow()


def _in_line(
    kept: list[NoticeItem], requests: list[InForce], told: Mapping[int, Answer]
) -> tuple[list[dict[str, Any]], list[NoticeItem]]:
    """One stakeholder's gathering notice brought in line with these requests of theirs:
    its items updated in place, and `kept` left with those still telling something. The
    rows of the new items, and the items that go."""
    new_rows: list[dict[str, Any]] = []
    gone: list[NoticeItem] = []
    for request in requests:
        answer = request.answer
        earlier = [item for item in kept if item.request_id == request.request_id]
        if (
            request.stakeholder_wants_notices
            and answer is not None
            and not answer.tells_the_same_as(told.get(request.request_id))
        ):
            # A later answer replaces an earlier one: the request appears once.
            told_now = answer.columns()
            if earlier:
                earlier[0].sqlmodel_update(told_now)
            else:
                new_rows.append({"request_id": request.request_id, **told_now})
        else:
            gone += earlier
            kept[:] = [item for item in kept if item.request_id != request.request_id]
    return new_rows, gone


def _stakeholders_of(session: Session, request_ids: Collection[int]) -> set[int]:
    found = select(col(Request.stakeholder_id)).where(among(session, col(Request.id), request_ids))
    return set(session.exec(found).all())


def hold_stakeholders(session: Session, stakeholder_ids: Collection[int]) -> dict[int, Stakeholder]:
    """Lock these stakeholders' rows until the transaction ends, in id order (two
    transactions never wait on each other in a cycle): one transaction at a time gathers
    or claims a stakeholder's notices. NO KEY: new requests of theirs may still be filed."""
    found = session.exec(
        select(Stakeholder)
        .where(among(session, col(Stakeholder.id), stakeholder_ids))
        .order_by(col(Stakeholder.id))
        .with_for_update(key_share=True)
    ).all()
    return {stakeholder.id or 0: stakeholder for stakeholder in found}


def _gathering_notices(session: Session, stakeholder_ids: Collection[int]) -> dict[int, Notice]:
    """Per stakeholder, the notice still taking changes (the latest, if a failed one
    came back to wait out its backoff beside a new one), locked: a manager's cancel or
    release waits until this transaction ends."""
    found = session.exec(
        select(Notice)
        .where(among(session, col(Notice.stakeholder_id), stakeholder_ids))
        .where(col(Notice.status).in_(GATHERING))
        .order_by(col(Notice.id))
        .with_for_update()
    ).all()
    return {notice.stakeholder_id: notice for notice in found}  # later ids win


def _items_of(
    session: Session, notices: Iterable[Notice], request_ids: Collection[int]
) -> defaultdict[int, list[NoticeItem]]:
    """Per stakeholder, their gathering notice's items about these requests (a need's
    thousands come in several rounds: each reads only its own)."""
    stakeholder_of = {notice.id: notice.stakeholder_id for notice in notices}
    items: defaultdict[int, list[NoticeItem]] = defaultdict(list)
    if not stakeholder_of:
        return items
    # By request only, and the notices picked here: with both lists in the query,
    # SQLite probed every pair (2 s for 2 000 notices and 5 000 requests).
    found = select(NoticeItem).where(among(session, col(NoticeItem.request_id), request_ids))
    for item in session.exec(found).all():
        if item.notice_id in stakeholder_of:
            items[stakeholder_of[item.notice_id]].append(item)
    return items


def _open_notices(
    session: Session,
    stakeholders: Collection[Stakeholder],
    opened_at: Mapping[int, datetime],
    settings: Settings,
) -> dict[int, int]:
    """A new notice for each of these stakeholders, in one statement, gathering from the
    first change it tells of; their ids by stakeholder."""
    if not stakeholders:
        return {}
    delay = timedelta(seconds=settings.notice_delay_seconds)
    held = settings.notice_approval == "required"
    rows = [
        {
            "stakeholder_id": stakeholder.id,
            "status": NoticeStatus.held if held else NoticeStatus.pending,
            "channel": NoticeChannel.email if stakeholder.email else NoticeChannel.feed,
            "created_at": opened_at[stakeholder.id or 0],
            "send_after": opened_at[stakeholder.id or 0] + delay,
            "next_attempt_at": opened_at[stakeholder.id or 0] + delay,
            "attempts_allowed": settings.notice_max_attempts,
        }
        for stakeholder in stakeholders
    ]
    opening = insert(NOTICE_TABLE).returning(NOTICE_TABLE.c.stakeholder_id, NOTICE_TABLE.c.id)
    return {row.stakeholder_id: row.id for row in session.execute(opening, rows)}
