"""Keyset pagination with opaque cursors: newest first, stable under inserts."""

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Generic, TypeGuard, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session
from sqlmodel.sql.expression import SelectOfScalar

from app.core.errors import InvalidParameter
from app.core.types import MAX_ID

T = TypeVar("T")
Row = TypeVar("Row")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


# The size of one answer, in the lists and the change feed.
PageLimit = Annotated[
    int, Field(ge=1, le=MAX_LIMIT, description="The most items to answer with at once.")
]


class PageParams(BaseModel):
    # A misspelt filter must not silently return everything.
    model_config = ConfigDict(extra="forbid")

    limit: PageLimit = DEFAULT_LIMIT
    cursor: Annotated[
        str | None,
        Field(
            max_length=200,
            description="Where to go on: the next_cursor of the previous page of this list, "
            "asked with the same filters; omit it for the first page. Opaque: a cursor from "
            "another list or other filters is a 422.",
        ),
    ] = None


class Page(BaseModel, Generic[T]):
    items: list[T] = Field(
        description="This page's items, newest first (the requests list: in its `sort`, or "
        "best match first in a search)."
    )
    next_cursor: str | None = Field(
        description="Give it as `cursor`, with the same filters, for the next page; null on "
        "the last page."
    )


# Keyset cursors carry the last id (or, in a list sorted by a value, that value and the
# id: AFTER); ranked (search) pages how many results came before.
ID, AFTER, RANKED = "id", "after", "ranked"
# Fields of a list's parameters that move along it rather than choose what it holds.
PAGING_FIELDS = frozenset({"limit", "cursor", "after"})
# List names are their paths: /requests, /webhooks/3/deliveries.
_LIST_NAME = re.compile(r"(/[a-z0-9-]{1,30}){1,4}")


def filters_digest(params: BaseModel) -> str:
    """A short fingerprint of the filters a page was asked with."""
    chosen = params.model_dump(mode="json", exclude=set(PAGING_FIELDS))
    canonical = json.dumps(chosen, sort_keys=True, separators=(",", ":"))
    return hashlib.blake2b(canonical.encode(), digest_size=6).hexdigest()


def encode_cursor(
    position: int | list[object], *, list_name: str, params: BaseModel, kind: str = ID
) -> str:
    """An opaque cursor that belongs to one list under one set of filters."""
    payload = {kind: position, "list": list_name, "filters": filters_digest(params)}
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(
    cursor: str,
    *,
    list_name: str,
    params: BaseModel,
    param: str = "cursor",
    minimum: int = 1,
    kind: str = ID,
    unbound_ok: bool = False,
) -> int:
    """The position the previous page ended at. A cursor we did not issue, or one issued
    by another list or under other filters, is a 422: it would page through other rows.
    `unbound_ok` takes a bare position too, as issued before cursors named their list
    (the change feed's pollers keep theirs across upgrades)."""
    payload = _payload(cursor)
    if "list" in payload:
        _ensure_issued_here(payload, list_name, params, param)
    elif not unbound_ok:
        raise _malformed(param)
    position = payload.get(kind)
    if not _is_position(position, minimum):
        raise _malformed(param)
    return position


def decode_after(
    cursor: str, *, list_name: str, params: BaseModel, value_of: Callable[[object], Any]
) -> tuple[Any, int]:
    """The sort value and id the previous page of a sorted list ended at. `value_of` reads
    the value back from the cursor, None when it cannot be one of that list's."""
    payload = _payload(cursor)
    if "list" not in payload:
        raise _malformed("cursor")
    _ensure_issued_here(payload, list_name, params, "cursor")
    after = payload.get(AFTER)
    if isinstance(after, list) and len(after) == 2 and _is_position(after[1], 1):
        value = value_of(after[0])
        if value is not None:
            return value, after[1]
    raise _malformed("cursor")


def _is_position(position: object, minimum: int) -> TypeGuard[int]:
    return (
        isinstance(position, int)
        and not isinstance(position, bool)
        and minimum <= position <= MAX_ID
    )


def _malformed(param: str) -> InvalidParameter:
    return InvalidParameter(
        "The cursor is malformed; pass next_cursor as given.", loc=["query", param]
    )


def _ensure_issued_here(
    payload: dict[str, Any], list_name: str, params: BaseModel, param: str
) -> None:
    if payload["list"] != list_name:
        raise InvalidParameter(
            f"This cursor was issued by {_list_named(payload['list'])}, not {list_name}: a cursor "
            "pages only through the list that gave it.",
            loc=["query", param],
        )
    if payload.get("filters") != filters_digest(params):
        raise InvalidParameter(
            "This cursor was issued under other filters: repeat the filters of the page "
            "that gave it, or start again without a cursor.",
            loc=["query", param],
        )


def _payload(cursor: str) -> dict[str, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, TypeError, binascii.Error, UnicodeError):
        return {}
    return payload if isinstance(payload, dict) else {}


def _list_named(issuer: Any) -> str:
    # The name comes back from the client: show it only if it is one we could have written.
    if isinstance(issuer, str) and _LIST_NAME.fullmatch(issuer):
        return issuer
    return "another list"


def fetch_page(
    *,
    session: Session,
    statement: SelectOfScalar[Row],
    id_column: Any,
    params: PageParams,
    list_name: str,
) -> tuple[Sequence[Row], str | None]:
    """One page of `list_name` ordered by id descending, and the cursor to the next one
    (or None)."""
    if params.cursor is not None:
        before = decode_cursor(params.cursor, list_name=list_name, params=params)
        statement = statement.where(id_column < before)
    rows = session.exec(statement.order_by(id_column.desc()).limit(params.limit + 1)).all()
    if len(rows) <= params.limit:
        return rows, None
    rows = rows[: params.limit]
    last_id: int = rows[-1].id  # type: ignore[attr-defined]
    return rows, encode_cursor(last_id, list_name=list_name, params=params)
