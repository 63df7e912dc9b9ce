"""HTTP routes for bulk import (POST /imports/requests) and CSV exports (GET /exports/...)."""

from functools import partial
from typing import Annotated, Any

import anyio.from_thread
from fastapi import APIRouter, Query, Request, status
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from app.auth.dependencies import CurrentPrincipal, RequireContributor
from app.core.db import SessionDep
from app.core.errors import UnsupportedMediaType
from app.idempotency.dependencies import Idempotent
from app.transfer import exporter, importer
from app.transfer.models import (
    IMPORT_MEDIA_TYPES,
    DecisionExportFilters,
    ImportFormat,
    ImportResult,
    RequestExportFilters,
)
from app.transfer.parsing import ChunkedBody

router = APIRouter(tags=["import and export"])

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
ACCEPTED_IMPORT_TYPES = ", ".join(IMPORT_MEDIA_TYPES)

IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "content": {kind: {"schema": {"type": "string"}} for kind in IMPORT_MEDIA_TYPES},
    }
}
IMPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    415: {"description": "Not CSV or JSON lines, or not UTF-8; Accept-Post lists the types."}
}
CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "CSV with a header row (RFC 4180), streamed.",
        "content": {"text/csv": {"schema": {"type": "string"}}},
        "headers": {"Content-Disposition": {"schema": {"type": "string"}}},
    }
}


def import_format(content_type: str | None) -> ImportFormat:
    """The format a Content-Type names; 415 for anything else, or another charset."""
    media_type, *parameters = (content_type or "").split(";")
    file_format = IMPORT_MEDIA_TYPES.get(media_type.strip().lower())
    charset = next(
        (
            value.strip().strip('"').lower()
            for name, _, value in (p.partition("=") for p in parameters)
            if name.strip().lower() == "charset"
        ),
        "utf-8",
    )
    if file_format is None or charset not in ("utf-8", "utf8", "us-ascii"):
        raise UnsupportedMediaType(
            f"Send the file as one of {ACCEPTED_IMPORT_TYPES}, encoded as UTF-8 "
            f"(got {content_type or 'no Content-Type'}).",
            headers={"Accept-Post": ACCEPTED_IMPORT_TYPES},
        )
    return file_format


@router.post(
    "/imports/requests",
    status_code=status.HTTP_201_CREATED,
    dependencies=[RequireContributor, Idempotent],
    responses=IMPORT_RESPONSES,
    openapi_extra=IMPORT_BODY,
)
async def import_requests(
    http: Request, session: SessionDep, caller: CurrentPrincipal
) -> ImportResult:
    """Create a request from every row of a file, or none at all.

    CSV (`text/csv`, with a header row) or JSON lines (`application/x-ndjson`, one object a
    line), in UTF-8. The columns are the fields of POST /requests; a row names its
    stakeholder by `stakeholder_id` or `stakeholder_email`. An empty cell is a field not
    given. The export's read-only columns (`id`, `status`, ...) are ignored and the
    apostrophe it puts before a formula-like cell is taken off, so an export imports as it
    is. A reference (`source_system`, `external_id`) already taken, or twice in the file,
    makes its row bad: an import only creates. Any bad row is a 422 whose `errors` locate
    each problem as `["body", "line", n, field]`, and nothing is written.
    """
    file_format = import_format(http.headers.get("content-type"))
    chunks = http.stream()

    async def receive_chunk() -> bytes:
        return await anext(chunks, b"")

    def next_chunk() -> bytes:
        # Called by the import in its worker thread: the body (read whole before the route,
        # app/core/body_limit.py) is parsed as it is taken, never held in memory at once.
        return anyio.from_thread.run(receive_chunk)

    return await run_in_threadpool(
        partial(
            importer.import_requests,
            session=session,
            source=ChunkedBody(next_chunk),
            file_format=file_format,
            creator=caller,
        )
    )


@router.get("/exports/requests.csv", response_class=StreamingResponse, responses=CSV_RESPONSE)
def export_requests(
    http: Request, session: SessionDep, filters: Annotated[RequestExportFilters, Query()]
) -> StreamingResponse:
    """Every request GET /requests would list with these filters, newest first, as CSV:
    its fields, its stakeholder's e-mail and its effective decision. A text cell that a
    spreadsheet would run as a formula (=, +, -, @ first) starts with an apostrophe."""
    read = partial(exporter.request_batch, filters=filters)
    return _csv_download(http, "requests.csv", read, read(session=session, cursor=None))


@router.get("/exports/decisions.csv", response_class=StreamingResponse, responses=CSV_RESPONSE)
def export_decisions(
    http: Request, session: SessionDep, filters: Annotated[DecisionExportFilters, Query()]
) -> StreamingResponse:
    """Every decision GET /decisions would list with these filters, newest first, as CSV
    (formula-like text cells start with an apostrophe)."""
    read = partial(exporter.decision_batch, filters=filters)
    return _csv_download(http, "decisions.csv", read, read(session=session, cursor=None))


def _csv_download(
    http: Request, filename: str, read: exporter.BatchReader, first: exporter.Batch
) -> StreamingResponse:
    """The first batch, read in the request's session (so its errors are still a proper
    response), then the rest, streamed as the client takes it."""
    return StreamingResponse(
        exporter.batches(http.app.state.engine, http.app.state.settings, read, first),
        media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
