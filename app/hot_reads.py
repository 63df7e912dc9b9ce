"""The hottest reads, answered before FastAPI routes them.

Routing a request and solving its dependencies costs more than the read itself.
A hot read is a route answering one resource by id; when a request for it is plain (a
canonical id, no query string, a bearer token whose caller needs nothing recorded),
this middleware authenticates the caller and calls the route's own answer directly. An
error it raises is answered by the app's handler for it, as the route's would be; a
request that is not plain, a caller the route would refuse, and an error no handler
knows go on to the route. (Tests' dependency_overrides do not reach answers given here.)

Only a route whose dependencies all may be skipped can be hot: `hot_routes` refuses any
other, so a check added to the route later is never bypassed.
"""

from collections.abc import Awaitable, Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from re import Pattern
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts
from fastapi.security.utils import get_authorization_scheme_param
from starlette._utils import get_route_path  # as FastAPI's own router matches paths
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from app.auth.service import caller_for_token
from app.core.direct import DirectReads
from app.core.errors import answered_by_handler
from app.core.types import MAX_ID

# A route's answer for one id, given the app's direct readers: what the route returns.
HotAnswer = Callable[[DirectReads, int], Awaitable[Response]]
_ID_DIGITS = len(str(MAX_ID))


@dataclass(frozen=True)
class HotRoute:
    path: Pattern[str]
    route: BaseRoute  # what routing would put in the scope: metrics and logs name it
    answer: HotAnswer


def hot_routes(
    app: FastAPI,
    answers: Mapping[Callable[..., Any], HotAnswer],
    *,
    may_skip: Collection[Any],
) -> list[HotRoute]:
    """The GET routes whose endpoints `answers` names, each with its answer. Raises if one
    depends on anything but `may_skip` (what the hot path does itself: authentication and
    the direct readers), or if an endpoint is not found."""
    found: list[HotRoute] = []
    for context in iter_route_contexts(app.routes):
        answer = answers.get(context.endpoint) if context.endpoint else None
        if answer is None or not context.path_format or "GET" not in (context.methods or ()):
            continue
        skipped = [call for call in _calls(context.dependant) if call not in may_skip]
        if skipped:
            raise RuntimeError(f"{context.path_format} cannot be hot: it depends on {skipped}")
        path = compile_path(context.path_format)[0]  # ^...$, one group: the id
        found.append(HotRoute(path, context.original_route, answer))
    if len(found) != len(answers):
        raise RuntimeError("a hot read's endpoint is not a GET route of the app")
    return found


def _calls(dependant: Dependant | None) -> Iterator[Any]:
    for dependency in dependant.dependencies if dependant else ():
        yield dependency.call
        yield from _calls(dependency)


class HotReadsMiddleware:
    """Answers the plain GETs of hot routes (see `hot_routes`) without routing."""

    def __init__(self, app: ASGIApp, *, routes: list[HotRoute]) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and not scope["query_string"]:
            response = await self._answer(scope)
            if response is not None:
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _answer(self, scope: Scope) -> Response | None:
        path = get_route_path(scope)
        for hot in self.routes:
            matched = hot.path.match(path)
            if matched is None:
                continue
            resource_id, token = _canonical_id(matched.group(1)), _bearer_token(scope)
            if resource_id is None or not token:
                return None
            app: FastAPI = scope["app"]
            reads: DirectReads = app.state.direct_readers.here()
            try:
                caller = await caller_for_token(
                    reads=reads,
                    issuer=app.state.token_issuer,
                    token=token,
                    identities=app.state.identity_tokens,
                )
                if caller is None or caller.usage_due:  # the route refuses, or records use
                    return None
                response = await hot.answer(reads, resource_id)
            except Exception as exc:
                handled = await answered_by_handler(Request(scope), exc)
                if handled is None:
                    return None  # the route meets it again, and answers as it always does
                response = handled
            scope["route"] = hot.route
            return response
        return None


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
