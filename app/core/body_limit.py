"""Every request body is read whole, bounded in size and time, before the app sees it.

A client that sends its body slowly must not hold a database connection, a session slot
or SQLite's write lock while it does: so no route starts before its body is in hand.
Too large → 413 (before a byte is read when Content-Length says so); too slow → 408.
Bodies past a megabyte wait in a temporary file, not in memory (imports may be large).
"""

import tempfile
from collections.abc import Awaitable, Callable
from typing import IO

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import problem_response

# Bulk imports stream their body instead of holding it, and 50k rows outgrow the usual
# limit: these paths get the app's `max_import_bytes` instead of `max_bytes`.
IMPORT_PATHS = frozenset({"/api/v1/imports/requests"})
KEPT_IN_MEMORY = 1024 * 1024
REPLAY_CHUNK = KEPT_IN_MEMORY
_READS = frozenset({"GET", "HEAD", "OPTIONS"})


class BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        max_import_bytes: int,
        read_timeout: float,
        may_import: Callable[[Scope], Awaitable[bool]],
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_import_bytes = max_import_bytes
        self.read_timeout = read_timeout
        self.may_import = may_import

    async def limit_for(self, scope: Scope) -> int:
        """An import's larger limit only for a caller who may import: nobody else can make
        the server keep 200 MiB (the route refuses them anyway, once the body is read)."""
        path: str = scope["path"].removeprefix(scope.get("root_path", ""))
        if path in IMPORT_PATHS and await self.may_import(scope):
            return self.max_import_bytes
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _has_body(scope):
            await self.app(scope, receive, send)
            return
        max_bytes = await self.limit_for(scope)
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > max_bytes:
            # Known too large up front: answer without reading a byte of it.
            await _too_large(max_bytes)(scope, receive, send)
            return
        with tempfile.SpooledTemporaryFile(max_size=KEPT_IN_MEMORY) as spool:
            try:
                with anyio.fail_after(self.read_timeout):
                    replay = await _read_whole(receive, spool, max_bytes)
            except BodyTooLarge:
                await _too_large(max_bytes)(scope, receive, send)
                return
            except TimeoutError:
                detail = f"The request body did not arrive within {self.read_timeout:g} seconds."
                response = problem_response(
                    408, detail, slug="request-timeout", headers={"Connection": "close"}
                )
                await response(scope, receive, send)
                return
            if replay is None:
                return  # the client went away before it finished: nobody to answer
            await self.app(scope, replay, send)


def _has_body(scope: Scope) -> bool:
    """Reads rarely carry a body (RFC 9112, 6.3: one without either header has none);
    every other method's body is read, whatever its headers claim."""
    if scope["method"] not in _READS:
        return True
    return any(name in (b"content-length", b"transfer-encoding") for name, _ in scope["headers"])


def _too_large(max_bytes: int) -> ASGIApp:
    # Closed after: the rest of the body, still coming, is not read.
    return problem_response(
        413,
        f"The request body is larger than {max_bytes} bytes.",
        slug="payload-too-large",
        headers={"Connection": "close"},
    )


async def _read_whole(receive: Receive, spool: IO[bytes], max_bytes: int) -> Receive | None:
    """The body, read whole, as a `receive` that gives it again; None when the client
    disconnected first."""
    message = await receive()
    size = 0
    while message["type"] == "http.request":
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > max_bytes:
            # Chunked bodies announce no length: counted as they arrive.
            raise BodyTooLarge
        if size == len(chunk) and not message.get("more_body", False):
            return _replaying_one(message, receive)  # most bodies come in one message
        spool.write(chunk)
        if not message.get("more_body", False):
            spool.seek(0)
            return _replaying(spool, size, receive)
        message = await receive()
    return None


def _replaying_one(message: Message, receive: Receive) -> Receive:
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return message

    return replay


def _replaying(body: IO[bytes], size: int, receive: Receive) -> Receive:
    """The body again, as the server would have sent it; then the server's own messages
    (a disconnect), for routes that wait for one."""

    async def replay() -> Message:
        if body.tell() >= size:
            return await receive()
        chunk = body.read(REPLAY_CHUNK)
        return {"type": "http.request", "body": chunk, "more_body": body.tell() < size}

    return replay
