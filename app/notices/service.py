"""Reading notices: what was told, to whom, when (and what waits to be told)."""

from collections import defaultdict
from collections.abc import Sequence

import pydantic
from sqlmodel import Session, col, select

from app.core.config import Settings
from app.core.errors import Conflict, NotFound
from app.core.pagination import PageParams, fetch_page
from app.core.types import QueryId, utcnow
from app.notices import gathering  # noqa: F401  (decisions and items owe notices from now on)
from app.notices.models import (
    GATHERING,
    NOTICES,
    Notice,
    NoticeItem,
    NoticeItemRead,
    NoticeRead,
    NoticeStatus,
)


class NoticeFilters(PageParams):
    stakeholder_id: QueryId | None = pydantic.Field(
        default=None, description="Only notices to them."
    )
    request_id: QueryId | None = pydantic.Field(
        default=None, description="Only notices that tell about this request."
    )
    status: NoticeStatus | None = pydantic.Field(
        default=None, description="Only notices in this state."
    )


def get(*, session: Session, notice_id: int, for_update: bool = False) -> Notice:
    notice = session.get(
        Notice, notice_id, with_for_update=for_update, populate_existing=for_update
    )
    if notice is None:
        raise NotFound(f"Notice {notice_id} does not exist.")
    return notice


def list_notices(
    *, session: Session, filters: NoticeFilters, list_name: str = "/notices"
) -> tuple[list[NoticeRead], str | None]:
    """Newest first."""
    statement = select(Notice)
    if filters.stakeholder_id is not None:
        statement = statement.where(col(Notice.stakeholder_id) == filters.stakeholder_id)
    if filters.status is not None:
        statement = statement.where(col(Notice.status) == filters.status)
    if filters.request_id is not None:
        telling = select(NoticeItem.notice_id).where(
            col(NoticeItem.request_id) == filters.request_id
        )
        statement = statement.where(col(Notice.id).in_(telling))
    notices, next_cursor = fetch_page(
        session=session,
        statement=statement,
        id_column=col(Notice.id),
        params=filters,
        list_name=list_name,
    )
    return to_reads(session, notices), next_cursor


def to_reads(session: Session, notices: Sequence[Notice]) -> list[NoticeRead]:
    """The notices as the API answers them, their items read in one query."""
    items: dict[int, list[NoticeItemRead]] = defaultdict(list)
    found = session.exec(
        select(NoticeItem)
        .where(col(NoticeItem.notice_id).in_([notice.id for notice in notices]))
        .order_by(col(NoticeItem.request_id))
    ).all()
    for item in found:
        items[item.notice_id].append(NoticeItemRead.model_validate(item))
    return [
        NoticeRead.model_validate(
            notice, update={"items": items[notice.id or 0], "attempts": notice.attempt_count}
        )
        for notice in notices
    ]


def release(*, session: Session, notice: Notice) -> Notice:
    """A manager lets a held notice go: it is sent once its gathering time has passed."""
    _ensure_status(notice, NoticeStatus.held, "only a held notice is released")
    notice.status = NoticeStatus.pending
    notice.next_attempt_at = max(notice.send_after, utcnow())
    return _saved(session, notice)


def cancel(*, session: Session, notice: Notice) -> Notice:
    """Stop a notice that has not gone out; the answers it held stay untold (and show in
    what is owed again at the next change)."""
    _ensure_status(notice, GATHERING, "only a pending or held notice is cancelled")
    notice.status = NoticeStatus.cancelled
    notice.finished_at = utcnow()
    return _saved(session, notice)


def retry(*, session: Session, notice: Notice, settings: Settings) -> Notice:
    """Give a failed notice another round of attempts, starting now."""
    _ensure_status(notice, NoticeStatus.failed, "only a failed notice is retried")
    NOTICES.again(notice, attempts=settings.notice_max_attempts)
    return _saved(session, notice)


def _ensure_status(
    notice: Notice, allowed: NoticeStatus | tuple[NoticeStatus, ...], rule: str
) -> None:
    if notice.status not in (allowed if isinstance(allowed, tuple) else (allowed,)):
        raise Conflict(f"Notice {notice.id} is {notice.status}: {rule}.")


def _saved(session: Session, notice: Notice) -> Notice:
    session.add(notice)
    session.flush()
    return notice
