"""Claiming a key before the work, keeping the response after it, and finding replays."""

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, delete, update
from sqlmodel import Session, col, select

from app.core.db import insert_if_absent, open_session
from app.core.errors import Conflict, Unprocessable
from app.core.types import utcnow
from app.idempotency.models import IdempotencyKey, KeyStatus

# Replayed as they were; the others (date, request id) belong to each answer.
KEPT_HEADERS = ("content-type", "location", "etag")


@dataclass(frozen=True)
class StoredResponse:
    status: int
    headers: dict[str, str]
    body: bytes


def claim(
    *, session: Session, caller: str, key: str, method: str, path: str, ttl: timedelta
) -> tuple[int | None, IdempotencyKey | None]:
    """Take the key for this request (its id), or return the earlier use of it.

    The claim is written in the request's own transaction: if the work fails, the
    claim goes with it and a retry may try again; if it commits, the work was done.
    """
    now = utcnow()
    # Expired keys go first (an index range, usually empty): so this one can be reused.
    session.execute(delete(IdempotencyKey).where(col(IdempotencyKey.expires_at) < now))
    token = secrets.token_hex(16)
    row = IdempotencyKey(
        caller=caller,
        key=key,
        method=method,
        path=path,
        claim_token=token,
        created_at=now,
        expires_at=now + ttl,
    )
    # A concurrent claim of the same key waits here for the other transaction to end.
    insert_if_absent(session, row)
    found = session.exec(
        select(IdempotencyKey).where(IdempotencyKey.caller == caller, IdempotencyKey.key == key)
    ).one()
    if found.claim_token == token:
        return found.id, None
    return None, found


def earlier_answer(
    earlier: IdempotencyKey, *, method: str, path: str, sha256: str
) -> StoredResponse:
    """The response to replay for a repeat of the same request, or why it is refused."""
    same_request = (earlier.method, earlier.path, earlier.request_sha256) == (method, path, sha256)
    if earlier.status == KeyStatus.in_progress:
        raise Conflict(
            "A request with this Idempotency-Key is being processed (or was performed "
            "and its answer not kept); do not repeat it."
        )
    if not same_request:
        raise Unprocessable(
            "This Idempotency-Key was used for a different request; use a new key.",
            loc=["header", "Idempotency-Key"],
        )
    return StoredResponse(
        earlier.response_status or 200, earlier.response_headers or {}, earlier.response_body or b""
    )


def keep_response(
    *, engine: Engine, key_id: int, sha256: str, status: int, headers: dict[str, Any], body: bytes
) -> None:
    """Store the answer with the claim (if the claim committed: else there is nothing to keep)."""
    kept = {name: value for name, value in headers.items() if name in KEPT_HEADERS}
    with open_session(engine, write=True) as session:
        session.execute(
            update(IdempotencyKey)
            .where(
                col(IdempotencyKey.id) == key_id,
                col(IdempotencyKey.status) == KeyStatus.in_progress,
            )
            .values(
                status=KeyStatus.completed,
                request_sha256=sha256,
                response_status=status,
                response_headers=kept,
                response_body=body,
            )
        )
        session.commit()
