"""Reading notices: what was told, to whom, when (and what waits to be told)."""

from collections import defaultdict
from collections.abc import Sequence

import pydantic
from sqlmodel import Session, col, select

from app.core.errors import NotFound
from app.core.pagination import PageParams, fetch_page
from app.core.types import QueryId
from app.notices import gathering  # noqa: F401  (decisions and items owe notices from now on)
from app.notices.models import Notice, NoticeItem, NoticeItemRead, NoticeRead, NoticeStatus


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
