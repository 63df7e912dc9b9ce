"""Claiming a key before the work, keeping the response after it, and finding replays."""

import json
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
# Fields an answer shows once (a new token, a webhook secret, a reset link): never replayed.
SHOWN_ONCE = frozenset({"token", "secret", "access_token", "reset_url"})
NOT_REPLAYED = "(shown once, in the first answer; not replayed)"


@dataclass(frozen=True)
class StoredResponse:
    status: int
    headers: dict[str, str]
    body: bytes


def claim(
    *, session: Session, caller: str, key: str, method: str, path: str, ttl: timedelta
) -> tuple[str | None, IdempotencyKey | None]:
    """Take the key for this request (its claim token), or return the earlier use of it.

    The claim is written in the request's own transaction: if the work fails, the
    claim goes with it and a retry may try again; if it commits, the work was done.
    """
    now = utcnow()
    # An expired use of this key gives way (only this row: the request's transaction must
    # not hold locks on other callers' keys).
    session.execute(
        delete(IdempotencyKey).where(
            col(IdempotencyKey.caller) == caller,
            col(IdempotencyKey.key) == key,
            col(IdempotencyKey.expires_at) < now,
        )
    )
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
        return token, None
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
    *,
    engine: Engine,
    claim_token: str,
    sha256: str,
    status: int,
    headers: dict[str, Any],
    body: bytes,
) -> None:
    """Store the answer with the claim (if the claim committed: else there is nothing to keep).

    An answer that shows a credential once (a service token, a webhook secret) is kept
    with the credential blanked: it is stored nowhere else in clear, so not here either.
    """
    kept = {name: value for name, value in headers.items() if name in KEPT_HEADERS}
    with open_session(engine, write=True) as session:
        session.execute(
            update(IdempotencyKey)
            .where(
                col(IdempotencyKey.claim_token) == claim_token,
                col(IdempotencyKey.status) == KeyStatus.in_progress,
            )
            .values(
                status=KeyStatus.completed,
                request_sha256=sha256,
                response_status=status,
                response_headers=kept,
                response_body=_without_credentials(body),
            )
        )
        session.commit()


def _without_credentials(body: bytes) -> bytes:
    try:
        document = json.loads(body)
    except ValueError:
        return body
    if not isinstance(document, dict) or not SHOWN_ONCE & document.keys():
        return body
    for field in SHOWN_ONCE & document.keys():
        document[field] = NOT_REPLAYED
    return json.dumps(document).encode()
