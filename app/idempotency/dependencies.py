"""The Idempotency-Key header on POST: claim the key, or replay what it answered before."""

import hashlib
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from app.core.config import Settings
from app.core.db import SessionDep
from app.core.errors import no_bearer_token
from app.idempotency import service
from app.idempotency.service import StoredResponse

KEY_STATE = "idempotency_claim_token"
# Printable ASCII without spaces at the ends, as the IETF draft's examples use.
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$",
        # Documented on the POST operations only (app/openapi.py), not on every route.
        include_in_schema=False,
    ),
]


class Replay(Exception):
    """Answer with the stored response instead of doing the work again."""

    def __init__(self, stored: StoredResponse) -> None:
        self.stored = stored


async def replay_response(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Replay)
    headers = exc.stored.headers | {"Idempotent-Replayed": "true"}
    return Response(exc.stored.body, status_code=exc.stored.status, headers=headers)


async def idempotency_key(
    request: Request, session: SessionDep, key: IdempotencyKeyHeader = None
) -> None:
    if key is None or request.method != "POST":
        return
    settings: Settings = request.app.state.settings
    caller, path = _caller_key(request), request.url.path
    claim_token, earlier = await run_in_threadpool(
        lambda: service.claim(
            session=session,
            caller=caller,
            key=key,
            method=request.method,
            path=path,
            ttl=timedelta(hours=settings.idempotency_ttl_hours),
        )
    )
    if earlier is None:
        # The middleware keeps the response once it is made (if this claim commits).
        setattr(request.state, KEY_STATE, claim_token)
        return
    digest = hashlib.sha256()
    async for chunk in request.stream():  # read as it comes: an import body can be large
        digest.update(chunk)
    raise Replay(
        service.earlier_answer(earlier, method=request.method, path=path, sha256=digest.hexdigest())
    )


def _caller_key(request: Request) -> str:
    """Whose key it is: keys are per caller. The protected routers authenticate before any
    route dependency runs, and leave the caller where the session finds it too."""
    principal = getattr(request.state, "principal", None)
    if principal is None:  # a route outside the protected routers: never anonymous
        raise no_bearer_token()
    return f"{principal.kind}:{principal.id}"


# On every POST of the protected API (tests/idempotency check that none lacks it).
Idempotent = Depends(idempotency_key)
