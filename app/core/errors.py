"""Errors as classes, rendered once as RFC 9457 problem details."""

import inspect
import logging
import traceback
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request, params
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import iter_route_contexts
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_BASE = "urn:reqtrack:problem:"

logger = logging.getLogger("reqtrack.errors")


class ProblemError(Exception):
    """An error a client caused or must know about, with its HTTP status."""

    status: int = 500
    slug: str = "internal-error"

    def __init__(
        self,
        detail: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
        extensions: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers = headers
        # Members of the problem of its own kind (RFC 9457 extensions), e.g. merged_into.
        self.extensions = extensions


class Unauthorized(ProblemError):
    status = 401
    slug = "unauthorized"

    def __init__(self, detail: str, *, token_given: bool = True) -> None:
        # RFC 6750: name the error only when a token was sent.
        challenge = 'Bearer error="invalid_token"' if token_given else "Bearer"
        super().__init__(detail, headers={"WWW-Authenticate": challenge})


def no_bearer_token() -> Unauthorized:
    return Unauthorized("Send a bearer token: Authorization: Bearer <token>.", token_given=False)


class Forbidden(ProblemError):
    status = 403
    slug = "forbidden"


class TooManyRequests(ProblemError):
    status = 429
    slug = "too-many-requests"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


class NotFound(ProblemError):
    status = 404
    slug = "not-found"


class Conflict(ProblemError):
    status = 409
    slug = "conflict"


class PreconditionFailed(ProblemError):
    status = 412
    slug = "precondition-failed"


class Gone(ProblemError):
    status = 410


class UnsupportedMediaType(ProblemError):
    status = 415
    slug = "unsupported-media-type"


class Unprocessable(ProblemError):
    """Well-formed input the data refuses (a broken reference, a merge into itself): no
    schema can say it in advance, so it has its own problem type."""

    status = 422
    slug = "rule-violation"

    def __init__(
        self,
        detail: str,
        *,
        loc: list[str | int] | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        """`loc`: the one place refused; `errors`: each of several, as {"loc", "msg"}."""
        if loc is not None:
            errors = [{"loc": loc, "msg": detail}]
        super().__init__(detail, errors=errors)


class InvalidParameter(Unprocessable):
    """A parameter that is malformed in a way its schema does not show (a forged cursor)."""

    slug = "validation-error"


def problem_response(
    status: int,
    detail: str,
    *,
    slug: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> JSONResponse:
    body = problem_body(status, detail, slug=slug) | dict(extensions or {})
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def problem_body(status: int, detail: str, *, slug: str | None) -> dict[str, Any]:
    """A problem's fields (RFC 9457), for answers made here or below the app."""
    phrase = HTTPStatus(status).phrase
    # One family of types: an answer with no slug of its own (an unknown path, a method
    # not allowed) is named after its status.
    return {
        "type": PROBLEM_TYPE_BASE + (slug or phrase.lower().replace(" ", "-")),
        "title": phrase,
        "status": status,
        "detail": detail,
    }


def _validation_errors(exc: RequestValidationError, request: Request) -> list[dict[str, Any]]:
    # Only loc and msg: pydantic's "input" echo could be huge or sensitive.
    answered = _answered_fields(request)
    return [{"loc": _where(error), "msg": _in_our_words(error, answered)} for error in exc.errors()]


def _where(error: Any) -> list[str | int]:
    if error["type"] == "json_invalid":  # its loc ends in a character position, not a field
        return ["body"]
    return list(error["loc"])


def _in_our_words(error: Any, answered: frozenset[str]) -> str:
    """pydantic's message, without its prefixes; a field the body does not take named as
    unknown, or as read-only when the resource has it (sent back from a GET)."""
    if error["type"] == "extra_forbidden":
        name = error["loc"][-1]
        if error["loc"][0] == "query":
            return f"{name} is not a parameter here; check its spelling."
        if name in answered:
            return f"{name} is read-only: the server sets it; leave it out."
        return f"{name} is not a field of this body; check its spelling."
    if error["type"] == "json_invalid":
        reason = str(error.get("ctx", {}).get("error", "it does not parse")).lower()
        return f"The body is not valid JSON: {reason} at character {error['loc'][-1]}."
    return without_library_prefix(error["msg"])


def without_library_prefix(message: str) -> str:
    """pydantic's message as ours: "Value error, must be ..." -> "must be ..."."""
    return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")


def _media_type_expected(request: Request) -> str | None:
    """What to send, when the body's media type is not one the route reads (a form sent
    to a JSON endpoint, JSON sent to the login form); None when it is."""
    field = getattr(request.scope.get("route"), "body_field", None)
    given = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if field is None or not given:
        return None
    if isinstance(field.field_info, params.Form):
        if given in {"application/x-www-form-urlencoded", "multipart/form-data"}:
            return None
        return "This endpoint takes the OAuth2 form: send application/x-www-form-urlencoded."
    if given == "application/json" or given.endswith("+json"):
        return None
    return "This endpoint takes JSON: send the body as Content-Type: application/json."


def _answered_fields(request: Request) -> frozenset[str]:
    """The fields of the resource the route answers with (its response model)."""
    route = request.scope.get("route")
    model = getattr(route, "response_model", None)
    fields = getattr(model, "model_fields", None)
    return frozenset(fields or ())


async def _on_problem(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return problem_response(
        exc.status,
        exc.detail,
        slug=exc.slug,
        errors=exc.errors,
        headers=exc.headers,
        extensions=exc.extensions,
    )


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    body_refused = any(error["loc"][:1] == ("body",) for error in exc.errors())
    if body_refused and (send_instead := _media_type_expected(request)):
        return problem_response(415, send_instead, slug="unsupported-media-type")
    return problem_response(
        422,
        "The request is not valid; see errors.",
        slug="validation-error",
        errors=_validation_errors(exc, request),
    )


# What FastAPI says of a body it cannot decode (bytes that are not UTF-8).
FASTAPI_UNREADABLE_BODY = "There was an error parsing the body"


def _nothing_here(path: str) -> str:
    if path.startswith("/api/v1/"):
        return "The API has no such path: /docs lists them all."
    return "Nothing is served at this path: the API is under /api/v1, listed at /docs."


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    headers = dict(exc.headers or {})
    if exc.status_code == 404 and exc.detail == HTTPStatus.NOT_FOUND.phrase:  # routing's own
        detail = _nothing_here(request.url.path)
    if exc.status_code == 400 and exc.detail == FASTAPI_UNREADABLE_BODY:
        detail = "The body cannot be read as text: send it encoded as UTF-8."
    if exc.status_code == 405:
        allowed = ", ".join(sorted(_methods_for(request)))
        headers["Allow"] = allowed
        detail = f"{request.method} is not allowed here; this resource allows {allowed}."
    return problem_response(exc.status_code, detail, headers=headers)


def _methods_for(request: Request) -> set[str]:
    """Every method some route offers at this path (Starlette names only one route's)."""
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        if route.path and route.methods and compile_path(route.path)[0].match(request.url.path):
            methods |= route.methods
    return methods


class DatabaseUnavailable(Exception):
    """A driver used directly (app/core/direct/) could not reach the database."""


def driver_error_summary(exc: Exception) -> str:
    """What a log line may say of a database error: the driver's error class and the
    constraint it names. Never its message: that quotes the statement's values (an e-mail
    in `Key (email)=(...) already exists`)."""
    orig = getattr(exc, "orig", None) or getattr(exc, "__cause__", None) or exc
    # psycopg names the constraint in its diagnostics, asyncpg on the error itself.
    constraint = getattr(getattr(orig, "diag", None), "constraint_name", None)
    constraint = constraint or getattr(orig, "constraint_name", None)
    summary = type(orig).__name__
    return f"{summary} on constraint {constraint}" if constraint else summary


async def _on_integrity_error(_request: Request, exc: Exception) -> JSONResponse:
    # Services check rules first; this catches the race where two writers both passed.
    logger.info("integrity error: %s", driver_error_summary(exc))
    return problem_response(409, "The change conflicts with existing data.", slug="conflict")


async def _on_stale_data(_request: Request, _exc: Exception) -> JSONResponse:
    return problem_response(
        409, "The resource was changed by someone else meanwhile; retry.", slug="conflict"
    )


async def _on_driver_error(request: Request, exc: Exception) -> JSONResponse:
    """A database error no rule explains: the database unusable now (a lost connection
    included, whatever the driver calls it) is a 503 to retry; anything else a bug."""
    assert isinstance(exc, DBAPIError)
    if isinstance(exc, OperationalError | InterfaceError) or exc.connection_invalidated:
        return await _on_database_unavailable(request, exc)
    return await on_unexpected(request, exc)


async def _on_database_unavailable(_request: Request, exc: Exception) -> JSONResponse:
    logger.warning("database unavailable: %s", driver_error_summary(exc))
    return problem_response(
        503,
        "The database is unavailable or busy; retry shortly.",
        slug="service-unavailable",
        headers={"Retry-After": "1"},
    )


async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    # The route's template, not the path: a path carries the client's ids and references.
    route = getattr(request.scope.get("route"), "path", "(no route)")
    if isinstance(exc, DBAPIError):
        # Where it failed, without the driver's message: that quotes the values.
        logger.error(
            "unhandled database error on %s %s: %s\n%s",
            request.method,
            route,
            driver_error_summary(exc),
            "".join(traceback.format_tb(exc.__traceback__)),
        )
    else:
        logger.exception("unhandled error on %s %s", request.method, route, exc_info=exc)
    return problem_response(500, "An unexpected error occurred.", slug="internal-error")


async def answered_by_handler(request: Request, exc: Exception) -> Response | None:
    """The answer of the app's own handler for this error (NotFound, the database
    unavailable, ...), found as Starlette finds it: for errors met outside the routes. None
    for errors only the catch-all 500 knows."""
    app: FastAPI = request.app
    for kind in type(exc).__mro__:
        if kind is Exception:
            return None
        handler = app.exception_handlers.get(kind)
        if handler is not None:
            answered = handler(request, exc)
            response: Response = await answered if inspect.isawaitable(answered) else answered
            return response
    return None


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(IntegrityError, _on_integrity_error)
    app.add_exception_handler(StaleDataError, _on_stale_data)
    app.add_exception_handler(DBAPIError, _on_driver_error)
    app.add_exception_handler(PoolTimeoutError, _on_database_unavailable)
    app.add_exception_handler(DatabaseUnavailable, _on_database_unavailable)
    app.add_exception_handler(Exception, on_unexpected)
