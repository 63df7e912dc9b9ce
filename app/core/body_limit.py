"""Refuse oversized request bodies with 413 problem+json, before they are read into memory."""

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import problem_response

# Bulk imports stream their body instead of holding it, and 50k rows outgrow the usual
# limit: these paths get the app's `max_import_bytes` instead of `max_bytes`.
IMPORT_PATHS = frozenset({"/api/v1/imports/requests"})


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_bytes: int, max_import_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_import_bytes = max_import_bytes

    def limit_for(self, scope: Scope) -> int:
        path: str = scope["path"].removeprefix(scope.get("root_path", ""))
        return self.max_import_bytes if path in IMPORT_PATHS else self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.limit_for(scope)
        detail = f"The request body is larger than {max_bytes} bytes."
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > max_bytes:
            # Known too large up front: answer without reading a byte of it.
            await problem_response(413, detail)(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            # Chunked bodies announce no length: count as they arrive.
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    # An HTTPException, so FastAPI's body parsing passes it on as it is.
                    raise HTTPException(413, detail)
            return message

        await self.app(scope, counting_receive, send)
