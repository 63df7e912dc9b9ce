"""CSV exports of requests and decisions, one batch at a time.

Each batch is a page of the list it exports (the same filters and order, newest first),
read by the list's own query with a larger page: memory holds one batch, whatever the
size of the export, and the cursor between batches is the list's keyset cursor.
"""

import csv
import io
from collections.abc import AsyncIterator, Callable, Iterable, Sequence

from sqlalchemy import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.core.config import Settings
from app.core.db import open_session, turn
from app.decisions import service as decisions
from app.decisions.service import DecisionFilters
from app.requests import listing
from app.requests.models import RequestRead
from app.requests.service import RequestFilters
from app.stakeholders import service as stakeholders
from app.transfer.cells import cell
from app.transfer.models import (
    DECISION_COLUMNS,
    REQUEST_COLUMNS,
    DecisionExportFilters,
    RequestExportFilters,
)

EXPORT_BATCH = 1000
Batch = tuple[str, str | None]  # CSV text of the rows, and the cursor after them (or None)
BatchReader = Callable[..., Batch]  # (session=..., cursor=...) -> the batch after cursor


def csv_text(rows: Iterable[Sequence[object]]) -> str:
    """Rows as RFC 4180 CSV (CRLF line ends), each value through `cell`."""
    out = io.StringIO()
    csv.writer(out).writerows([cell(value) for value in row] for row in rows)
    return out.getvalue()


def request_batch(*, session: Session, filters: RequestExportFilters, cursor: str | None) -> Batch:
    """The next batch of the requests export: the header first when cursor is None."""
    page = RequestFilters.model_validate(filters.model_dump(exclude_none=True) | {"cursor": cursor})
    # The lists cap a page at 200 for clients; this reader pages by EXPORT_BATCH.
    page = page.model_copy(update={"limit": EXPORT_BATCH})
    found = listing.export_page(session=session, filters=page)
    ids = {read.stakeholder_id for read in found.items}
    emails = stakeholders.emails_by_id(session=session, ids=ids)
    rows = [_request_row(read, emails.get(read.stakeholder_id)) for read in found.items]
    return _with_header(REQUEST_COLUMNS, rows, cursor), found.next_cursor


def decision_batch(
    *, session: Session, filters: DecisionExportFilters, cursor: str | None
) -> Batch:
    """The next batch of the decisions export: the header first when cursor is None."""
    page = DecisionFilters.model_validate(
        filters.model_dump(exclude_none=True) | {"cursor": cursor}
    )
    page = page.model_copy(update={"limit": EXPORT_BATCH})
    reads, next_cursor = decisions.list_decisions(session=session, filters=page)
    rows = [[getattr(read, column) for column in DECISION_COLUMNS] for read in reads]
    return _with_header(DECISION_COLUMNS, rows, cursor), next_cursor


def _with_header(columns: Sequence[str], rows: list[list[object]], cursor: str | None) -> str:
    first_batch = cursor is None
    return csv_text([list(columns), *rows] if first_batch else rows)


def _request_row(read: RequestRead, stakeholder_email: str | None) -> list[object]:
    decision = read.decision
    values: dict[str, object] = read.model_dump() | {
        "stakeholder_email": stakeholder_email,
        "decision_id": decision.id if decision else None,
        "decision_outcome": decision.outcome if decision else None,
    }
    return [values[column] for column in REQUEST_COLUMNS]


async def batches(
    engine: Engine, settings: Settings, read: BatchReader, first: Batch
) -> AsyncIterator[bytes]:
    """The first batch, then the rest, read as the client takes them."""
    text, cursor = first
    yield text.encode()
    while cursor is not None:
        # The request's session is closed by now. Each batch takes its turn at the database
        # and a session of its own, so a slow client holds no connection between batches.
        async with turn(settings, write=False):
            text, cursor = await run_in_threadpool(_read_batch, engine, read, cursor)
        yield text.encode()


def _read_batch(engine: Engine, read: BatchReader, cursor: str) -> Batch:
    with open_session(engine, write=False) as session:
        return read(session=session, cursor=cursor)
