"""Keeps the response of a POST that claimed an Idempotency-Key, before it is sent.

The request body is hashed as it streams in (never held), the response is held until
stored, so a client that has the answer can rely on a retry replaying it.
"""

import hashlib
import logging
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.db import turn
from app.idempotency import service
from app.idempotency.dependencies import KEY_STATE

logger = logging.getLogger("reqtrack")


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not _has_key(scope):
            await self.app(scope, receive, send)
            return
        digest = hashlib.sha256()
        held: list[Message] = []
        body_read = False

        async def hashing_receive() -> Message:
            nonlocal body_read
            message = await receive()
            if message["type"] == "http.request":
                digest.update(message.get("body", b""))
                body_read = not message.get("more_body", False)
            return message

        async def holding_send(message: Message) -> None:
            held.append(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                if _claim_token(scope) is not None:
                    # A route that never read its body (a retry sent with {}) still had one:
                    # keep the hash of what was sent, as a repeat's will be.
                    while not body_read:
                        if (await hashing_receive())["type"] != "http.request":
                            break
                    await self._keep(scope, digest.hexdigest(), held)
                for each in held:
                    await send(each)

        await self.app(scope, hashing_receive, holding_send)

    async def _keep(self, scope: Scope, sha256: str, held: list[Message]) -> None:
        claim_token = _claim_token(scope)
        assert claim_token is not None
        start = held[0]
        headers: dict[str, Any] = {k.decode(): v.decode() for k, v in start.get("headers", [])}
        body = b"".join(m.get("body", b"") for m in held if m["type"] == "http.response.body")
        app = scope["app"]
        try:
            # Queued like any writer: on SQLite it would otherwise race the next request
            # for the one write lock, and could lose (the work done, its answer not kept).
            async with turn(app.state.settings, write=True):
                await run_in_threadpool(
                    lambda: service.keep_response(
                        engine=app.state.engine,
                        claim_token=claim_token,
                        sha256=sha256,
                        status=start["status"],
                        headers=headers,
                        body=body,
                    )
                )
        except SQLAlchemyError:
            # The work is done and answered; a retry will hear 409 instead of a replay.
            logger.warning("could not keep the response of an Idempotency-Key request")


def _has_key(scope: Scope) -> bool:
    return any(name == b"idempotency-key" for name, _ in scope["headers"])


def _claim_token(scope: Scope) -> str | None:
    """Set when this request claimed its key (not when refused, replayed or unprotected)."""
    token: str | None = scope.get("state", {}).get(KEY_STATE)
    return token
