"""The hottest reads, answered before FastAPI routes them.

Routing a request and solving its dependencies costs more than the read itself
(measured in-process, GET /requests/{id}: 170 µs through the route, 77 µs answered here).
A hot read is a route answering one resource by id; when a request for it is plain (a
canonical id, no query string, a bearer token whose caller needs nothing recorded),
this middleware authenticates the caller and calls the route's own answer directly.
Anything else, every error included, goes on to the route, which answers it as it
answers everything: the two paths differ in speed only.
"""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from re import Pattern
from typing import Any

from fastapi.routing import iter_route_contexts
from fastapi.security.utils import get_authorization_scheme_param
from starlette._utils import get_route_path  # as FastAPI's own router matches paths
from starlette.responses import Response
from starlette.routing import compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from app.auth.service import caller_for_token
from app.core.direct import DirectReads
from app.core.types import MAX_ID

# A route's answer for one id, given the app's direct readers: what the route returns.
HotAnswer = Callable[[DirectReads, int], Awaitable[Response]]
_ID_DIGITS = len(str(MAX_ID))


@dataclass(frozen=True)
class _HotRoute:
    path: Pattern[str]
    route: Any  # what routing would have put in the scope: metrics and logs name it
    answer: HotAnswer


class HotReadsMiddleware:
    """Answers the plain GETs of the routes in `answers` (by route name) without routing."""

    def __init__(self, app: ASGIApp, *, answers: Mapping[str, HotAnswer]) -> None:
        self.app = app
        self.answers = answers
        self._routes: list[_HotRoute] | None = None  # the app's routes exist once it serves

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and not scope["query_string"]:
            response = await self._answer(scope)
            if response is not None:
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _answer(self, scope: Scope) -> Response | None:
        for hot in self._hot_routes(scope["app"]):
            matched = hot.path.match(get_route_path(scope))
            if matched is None:
                continue
            resource_id, token = _canonical_id(matched.group(1)), _bearer_token(scope)
            if resource_id is None or not token:
                return None
            state = scope["app"].state
            reads: DirectReads = state.direct_readers.here()
            try:
                caller = await caller_for_token(reads=reads, issuer=state.token_issuer, token=token)
                if caller is None or caller.usage_due:  # the route refuses, or records use
                    return None
                response = await hot.answer(reads, resource_id)
            except Exception:  # the route answers errors, as every route does
                return None
            scope["route"] = hot.route
            return response
        return None

    def _hot_routes(self, app: Any) -> list[_HotRoute]:
        if self._routes is None:
            self._routes = []
            for context in iter_route_contexts(app.routes):
                answer = self.answers.get(context.name or "")
                if answer is not None and context.path_format:
                    path = compile_path(context.path_format)[0]  # ^...$, one group: the id
                    self._routes.append(_HotRoute(path, context.original_route, answer))
        return self._routes


def _bearer_token(scope: Scope) -> str:
    """The bearer token as the routes read it (FastAPI's OAuth2PasswordBearer): the first
    Authorization header's, or "" when there is none."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, token = get_authorization_scheme_param(value.decode("latin-1"))
            return token if scheme.lower() == "bearer" else ""
    return ""


def _canonical_id(text: str) -> int | None:
    """An id as written by the API (digits, no leading zero, in range); other spellings
    the route may still accept or refuse, so it sees them."""
    if len(text) > _ID_DIGITS or not text.isascii() or not text.isdigit() or text[0] == "0":
        return None
    value = int(text)
    return value if value <= MAX_ID else None
