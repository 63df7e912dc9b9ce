"""What operators see of each request, in one middleware (one layer: this runs on every
request): its id, its line in the access log, and its count and time in /metrics.

X-Request-ID is taken from the caller (a proxy or another service) or made here, echoed
in the response and attached to every log line written while handling the request.
"""

import logging
import os
import re
import time
from typing import Any
from weakref import WeakKeyDictionary

from fastapi.routing import iter_route_contexts
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import answered_by_handler, on_unexpected
from app.ops.logs import request_id
from app.ops.metrics import Metrics

HEADER = b"x-request-id"
# Every answer says what it is: a browser must never guess (an HTML-looking JSON body).
NOSNIFF = (b"x-content-type-options", b"nosniff")
# What we accept from outside: it lands in logs, so no spaces or control characters.
_SAFE_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")
access_log = logging.getLogger("reqtrack.access")


class OpsMiddleware:
    def __init__(self, app: ASGIApp, *, metrics: Metrics, log_requests: bool) -> None:
        self.app = app
        self.metrics = metrics
        self.log_requests = log_requests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k == HEADER), b"")
        rid = given.decode() if _SAFE_ID.fullmatch(given) else os.urandom(16).hex()
        token = request_id.set(rid)
        status, started = 0, time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (HEADER, rid.encode()), NOSNIFF]
            await send(message)

        try:
            try:
                await self.app(scope, receive, send_with_id)
            except Exception as exc:
                if status:  # the answer has begun: nothing else can be sent
                    raise
                # Answered here rather than by Starlette's outermost handler, so the answer
                # and the error's log line carry the request's id too; an error another
                # middleware met (the database down) gets the app's own answer (503).
                request = Request(scope)
                response = await answered_by_handler(request, exc) or await on_unexpected(
                    request, exc
                )
                await response(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            status = status or 500  # nothing was answered (the client went away)
            method, route = _known(scope["method"]), route_template(scope)
            self.metrics.observe(method, route, status, seconds)
            if self.log_requests:
                access_log.info(
                    "%s %s %s",
                    method,
                    route,
                    status,
                    extra={
                        "method": method,
                        "route": route,
                        "status": status,
                        "duration_ms": round(seconds * 1000, 2),
                    },
                )
            request_id.reset(token)


def _known(method: str) -> str:
    # A label per method a client invents would grow /metrics without bound.
    return method if method in _METHODS else "OTHER"


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route_template(scope: Scope) -> str:
    """The matched route's path template (/api/v1/requests/{request_id}), never the raw
    path: ids and typos would make every line, and every metric label, different."""
    route = scope.get("route")
    if route is None:
        return "unmatched"
    app = scope["app"]
    templates = _templates.get(app)
    if templates is None:
        # Routes included under a prefix keep their own path: the app knows the whole one.
        templates = _templates[app] = {
            id(context.original_route): context.path_format or ""
            for context in iter_route_contexts(app.routes)
        }
    return templates.get(id(route)) or str(getattr(route, "path", "unmatched"))


# Routes are not hashable; they live as long as their app, so their ids stay theirs.
_templates: "WeakKeyDictionary[Any, dict[int, str]]" = WeakKeyDictionary()
