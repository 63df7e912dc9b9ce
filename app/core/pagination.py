"""Keyset pagination with opaque cursors: newest first, stable under inserts."""

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session
from sqlmodel.sql.expression import SelectOfScalar

from app.core.errors import InvalidParameter
from app.core.types import MAX_ID

T = TypeVar("T")
Row = TypeVar("Row")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class PageParams(BaseModel):
    # A misspelt filter must not silently return everything.
    model_config = ConfigDict(extra="forbid")

    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT
    cursor: Annotated[str | None, Field(max_length=200)] = None


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


# Keyset cursors carry the last id; ranked (search) pages how many results came before.
ID, RANKED = "id", "ranked"


def encode_cursor(last_id: int, *, kind: str = ID) -> str:
    raw = json.dumps({kind: last_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, *, param: str = "cursor", minimum: int = 1, kind: str = ID) -> int:
    """The id the previous page ended at; a cursor we did not issue is a 422."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload: Any = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        last_id = payload[kind]
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeError):
        last_id = None
    valid = isinstance(last_id, int) and not isinstance(last_id, bool)
    if not valid or not minimum <= last_id <= MAX_ID:
        raise InvalidParameter(
            "The cursor is malformed; pass next_cursor as given.", loc=["query", param]
        )
    position: int = last_id
    return position


def fetch_page(
    *,
    session: Session,
    statement: SelectOfScalar[Row],
    id_column: Any,
    params: PageParams,
) -> tuple[Sequence[Row], str | None]:
    """One page ordered by id descending, and the cursor to the next one (or None)."""
    if params.cursor is not None:
        statement = statement.where(id_column < decode_cursor(params.cursor))
    rows = session.exec(statement.order_by(id_column.desc()).limit(params.limit + 1)).all()
    if len(rows) <= params.limit:
        return rows, None
    rows = rows[: params.limit]
    return rows, encode_cursor(rows[-1].id)  # type: ignore[attr-defined]
