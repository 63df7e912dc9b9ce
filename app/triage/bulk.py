"""Bulk triage: up to 500 requests moved onto needs in one transaction, all or nothing.
Each request is written as a PATCH of its need_id would write it (version, audit entry,
event, first answer); any bad item refuses the whole batch, naming it by index."""

from typing import Annotated, Any

import pydantic
from sqlmodel import Session, col, select

from app.core.errors import ProblemError, Unprocessable
from app.core.etags import check_if_match
from app.core.models import Body
from app.core.types import Id
from app.needs.models import MergedNeed, Need
from app.requests import service
from app.requests.models import Request, RequestRead, RequestUpdate

MAX_TRIAGED = 500


class TriageItem(Body):
    request_id: Id = pydantic.Field(description="The request to file.")
    need_id: Id = pydantic.Field(description="The need to file it under.")
    if_match: Annotated[str, pydantic.Field(min_length=1, max_length=1000)] | None = pydantic.Field(
        default=None,
        description='The request\'s ETag as last read (W/"<version>"): the item is '
        "refused if the request changed since. Absent: last write wins.",
    )


class TriageBatch(Body):
    items: list[TriageItem] = pydantic.Field(
        min_length=1,
        max_length=MAX_TRIAGED,
        description=f"1 to {MAX_TRIAGED} requests, each named once.",
    )


class TriageResult(pydantic.BaseModel):
    items: list[RequestRead] = pydantic.Field(description="The requests as filed, in order.")


def triage(*, session: Session, batch: TriageBatch) -> TriageResult:
    items = batch.items
    # Locked in id order, as every writer locks several: two batches cannot deadlock.
    requests = {
        request.id: request
        for request in session.exec(
            select(Request)
            .where(col(Request.id).in_([item.request_id for item in items]))
            .order_by(col(Request.id))
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    }
    needs = _needs_and_merged(session, {item.need_id for item in items})
    first_at: dict[int, int] = {}
    errors = []
    for index, item in enumerate(items):
        if item.request_id in first_at:
            again = f"request {item.request_id} is already item {first_at[item.request_id]}"
            errors.append(_error(index, "request_id", again))
        first_at.setdefault(item.request_id, index)
        errors += _errors(index, item, requests, needs)
    if errors:
        # Each item refused, by index; nothing was written.
        raise Unprocessable(
            f"{len(errors)} problem(s) in the batch; nothing was filed.", errors=errors
        )
    filed = [
        service.update(
            session=session,
            request=requests[item.request_id],
            data=RequestUpdate(need_id=item.need_id),
        )
        for item in items
    ]
    return TriageResult(items=service.to_reads(session=session, requests=filed))


def _needs_and_merged(session: Session, ids: set[int]) -> dict[int, int | None]:
    """Each need id asked for: None if it exists, else the need it was merged into."""
    found: dict[int, int | None] = {
        need_id: None
        for need_id in session.exec(select(Need.id).where(col(Need.id).in_(ids)))
        if need_id is not None
    }
    for need_id, into in session.exec(
        select(MergedNeed.need_id, MergedNeed.merged_into).where(col(MergedNeed.need_id).in_(ids))
    ):
        found[need_id] = into
    return found


def _errors(
    index: int, item: TriageItem, requests: dict[Any, Request], needs: dict[int, int | None]
) -> list[dict[str, Any]]:
    request = requests.get(item.request_id)
    problems = []
    if request is None:
        problems.append(_error(index, "request_id", f"request {item.request_id} does not exist"))
    if item.need_id not in needs:
        problems.append(_error(index, "need_id", f"need {item.need_id} does not exist"))
    elif (into := needs[item.need_id]) is not None:
        problems.append(
            _error(index, "need_id", f"need {item.need_id} was merged into need {into}")
        )
    if request is not None:
        try:
            check_if_match(item.if_match, request.version)
        except ProblemError as exc:
            problems.append(_error(index, "if_match", exc.detail))
    return problems


def _error(index: int, field: str, message: str) -> dict[str, Any]:
    return {"loc": ["body", "items", index, field], "msg": message}
