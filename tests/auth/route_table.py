"""The security matrix's route table: every protected route of the running application, with
real resources in its path and a body that would succeed.

The routes are read from the application itself (every APIRoute under /api/v1 except the
public ones: logging in and what leads to it), so a route added later is in every matrix
without touching this file. It is called with real resources in its path (made by the admin
when first needed) and, for the routes known here, a body that would succeed. An unknown
route gets `{}` and an arbitrary id: enough for the authentication and viewer checks, which
run before validation; the role matrix expects success where a role is allowed, so a new
route there needs its body in PLAUSIBLE_BODIES (and, if its rules are not the domain's usual
ones, a line in `may_call` in test_route_roles.py).

A refused call must change nothing: every table is read before and after and compared
(helpers.database_rows).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import update

from app.api import PUBLIC_PATHS
from app.auth.models import Role
from app.main import app as configured_app
from app.notices.models import Notice
from tests import factories
from tests.auth.helpers import API, _unique, create_service_token, create_user, new_user_body
from tests.conftest import TEST_PASSWORD
from tests.notices.helpers import gathered
from tests.webhooks.helpers import dispatch_once

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PATH_PARAMETER = re.compile(r"{(\w+)(?::\w+)?}")


# --- the route table ---------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # the full template, e.g. /api/v1/requests/{request_id}
    name: str  # the endpoint's name, e.g. update_request
    writable_fields: frozenset[str]  # what the body model accepts
    takes_body: bool

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def is_write(self) -> bool:
        return self.method in WRITE_METHODS

    @property
    def area(self) -> str:
        """The first path segment after /api/v1: stakeholders, users, audit, ..."""
        return self.path.removeprefix(f"{API}/").split("/")[0]


def _api_routes(application: FastAPI) -> list[tuple[str, APIRoute]]:
    """(full path, route) of every APIRoute, including those of included routers."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI copies included routes into app.routes
        return [(r.path, r) for r in application.routes if isinstance(r, APIRoute)]
    return [
        (context.path, context.original_route)
        for context in iter_route_contexts(application.routes)
        if isinstance(context.original_route, APIRoute)
    ]


def _writable_fields(route: APIRoute) -> frozenset[str]:
    fields: set[str] = set()
    for parameter in route.dependant.body_params:
        model = parameter.field_info.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):
            for name, field in model.model_fields.items():
                fields |= {name, field.alias or name}
        else:
            fields.add(parameter.alias)
    return frozenset(fields)


def protected_routes(application: FastAPI) -> list[Route]:
    routes = []
    for path, api_route in _api_routes(application):
        if not path.startswith(f"{API}/"):
            continue
        for method in sorted(api_route.methods):
            if path in PUBLIC_PATHS:
                continue
            routes.append(
                Route(
                    method=method,
                    path=path,
                    name=api_route.name,
                    writable_fields=_writable_fields(api_route),
                    takes_body=bool(api_route.dependant.body_params),
                )
            )
    return routes


PROTECTED_ROUTES = protected_routes(configured_app)
# Writes on the caller's own account, which every role may make and which end the caller's
# token: out of the role matrix, checked for each role in tests/auth/test_sign_out.py and
# tests/auth/test_passwords.py.
OWN_ACCOUNT_WRITES = frozenset({"log_out", "change_password"})
ROLE_RULED_ROUTES = [route for route in PROTECTED_ROUTES if route.name not in OWN_ACCOUNT_WRITES]
WRITE_ROUTES = [route for route in ROLE_RULED_ROUTES if route.is_write]
BODY_ROUTES = [route for route in PROTECTED_ROUTES if route.takes_body]
READ_ROUTES = [route for route in PROTECTED_ROUTES if route.method == "GET"]


class Targets:
    """Real resources for the paths and bodies of the matrix, made by the admin when first
    needed: an allowed call then succeeds, and a refused one had something to damage."""

    def __init__(self, admin: TestClient) -> None:
        self.admin = admin

    @cached_property
    def stakeholder(self) -> dict[str, Any]:
        return factories.stakeholder(self.admin)

    @cached_property
    def request(self) -> dict[str, Any]:
        # With a stakeholder of its own, so `stakeholder` stays free to delete.
        return factories.request(self.admin)

    @cached_property
    def need(self) -> dict[str, Any]:
        return factories.need(self.admin)

    @cached_property
    def roadmap_item(self) -> dict[str, Any]:
        return factories.roadmap_item(self.admin)

    @cached_property
    def user(self) -> dict[str, Any]:
        return create_user(self.admin, Role.viewer)

    @cached_property
    def service_token(self) -> dict[str, Any]:
        return create_service_token(self.admin, Role.viewer)

    def current_decision(self) -> dict[str, Any]:
        """The request's current decision (recorded when first needed): a confirmation
        supersedes it, so the next caller confirms the new current one."""
        url = f"{API}/requests/{self.request['id']}/decisions"
        history = self.admin.get(url).json()["items"]
        if history:
            current: dict[str, Any] = history[0]
            return current
        body = {"outcome": "accepted", "why": "Matrix", "roadmap_item_id": self.roadmap_item["id"]}
        return factories.created(self.admin, f"/requests/{self.request['id']}/decisions", body)

    def notice(self) -> dict[str, Any]:
        """The notice the request's decision owes its stakeholder."""
        self.current_decision()
        gathered(self.admin)  # as the server's sender does within a second
        url = f"{API}/requests/{self.request['id']}/notices"
        notice: dict[str, Any] = self.admin.get(url).json()["items"][0]
        return notice

    @cached_property
    def webhook(self) -> dict[str, Any]:
        # Nothing listens on port 9: every delivery to it fails.
        return factories.created(self.admin, "/webhooks", {"url": "http://127.0.0.1:9/hook"})

    def failed_delivery(self) -> dict[str, Any]:
        """A delivery the dispatcher gave up on, for the retry route."""
        url = f"{API}/webhooks/{self.webhook['id']}/deliveries"
        failed = self.admin.get(url, params={"status": "failed"}).json()["items"]
        if not failed:
            factories.stakeholder(self.admin)
            app = self.admin.app
            settings = app.state.settings.model_copy(update={"webhook_max_attempts": 1})
            dispatch_once(app.state.engine, settings)
            failed = self.admin.get(url, params={"status": "failed"}).json()["items"]
        delivery: dict[str, Any] = failed[0]
        return delivery

    @cached_property
    def external_id(self) -> str:
        # A reference nobody has yet: PUT /requests/external/... then creates a request.
        return f"MATRIX-{next(_unique)}"

    def path_value(self, name: str) -> str:
        known: dict[str, Callable[[], Any]] = {
            "stakeholder_id": lambda: self.stakeholder["id"],
            "request_id": lambda: self.request["id"],
            "need_id": lambda: self.need["id"],
            "roadmap_item_id": lambda: self.roadmap_item["id"],
            "user_id": lambda: self.user["id"],
            "token_id": lambda: self.service_token["id"],
            "webhook_id": lambda: self.webhook["id"],
            "delivery_id": lambda: self.failed_delivery()["id"],
            "decision_id": lambda: self.current_decision()["id"],
            "notice_id": lambda: self.notice()["id"],
            "source_system": lambda: "matrix",
            "external_id": lambda: self.external_id,
        }
        if name in known:
            return str(known[name]())
        # A parameter added later: an arbitrary but well-formed value.
        return "1" if name == "id" or name.endswith("_id") else "matrix"

    def notice_in(self, status: str) -> dict[str, Any]:
        """The notice, put in the state a route acts on (held to release, failed to retry)."""
        notice = self.notice()
        with self.admin.app.state.engine.begin() as connection:  # type: ignore[attr-defined]
            connection.execute(
                update(Notice).where(Notice.id == notice["id"]).values(status=status)
            )
        return notice

    def url(self, route: Route) -> str:
        def value(name: str) -> str:
            if name == "notice_id" and route.name in NOTICE_STATE_ACTED_ON:
                return str(self.notice_in(NOTICE_STATE_ACTED_ON[route.name])["id"])
            return self.path_value(name)

        path = PATH_PARAMETER.sub(lambda match: quote(value(match.group(1)), safe=""), route.path)
        query = REQUIRED_QUERIES.get(route.name)
        return f"{path}?{query}" if query else path

    def body(self, route: Route) -> "dict[str, Any] | Upload | None":
        upload = PLAUSIBLE_UPLOADS.get(route.name)
        if upload is not None:
            return upload(self)
        if not route.takes_body:
            return None
        make = PLAUSIBLE_BODIES.get(route.name)
        return make(self) if make is not None else {}


# The query parameters a route cannot be called without.
REQUIRED_QUERIES = {"search": "q=matrix"}
# The state a notice route acts on: any other is a 409.
NOTICE_STATE_ACTED_ON = {"release_notice": "held", "retry_notice": "failed"}

PLAUSIBLE_BODIES: dict[str, Callable[[Targets], dict[str, Any]]] = {
    "create_stakeholder": lambda _: {
        "name": "Matrix stakeholder",
        "email": f"matrix.stakeholder{next(_unique)}@example.com",
        "group": "sales",
    },
    "update_stakeholder": lambda _: {"name": "Renamed by the matrix"},
    "create_request": lambda t: {"title": "Matrix request", "stakeholder_id": t.stakeholder["id"]},
    "upsert_external_request": lambda t: {
        "title": "Matrix upsert",
        "stakeholder_id": t.stakeholder["id"],
    },
    "update_request": lambda _: {"title": "Retitled by the matrix"},
    "create_need": lambda _: {"statement": "Matrix need"},
    "update_need": lambda _: {"statement": "Restated by the matrix"},
    "create_roadmap_item": lambda _: {"title": "Matrix roadmap item"},
    "update_roadmap_item": lambda _: {"title": "Retitled by the matrix"},
    "create_user": lambda _: new_user_body(Role.viewer),
    "update_user": lambda _: {"display_name": "Renamed by the matrix"},
    "change_password": lambda _: {
        "current_password": TEST_PASSWORD,
        "new_password": "a matrix password, changed",
    },
    "create_service_token": lambda _: {"name": "matrix token", "role": "viewer"},
    "create_webhook": lambda _: {"url": "https://chat.example.com/hooks/matrix"},
    "update_webhook": lambda _: {"active": False},
    "create_request_decision": lambda _: {"outcome": "declined", "why": "Matrix says no"},
    "create_need_decision": lambda _: {"outcome": "needs_info", "why": "Matrix asks"},
    "confirm_decision": lambda _: {"why": "Matrix stands by it"},
    # A fresh source each call: a merge removes it.
    "merge_needs": lambda t: {"source_ids": [factories.need(t.admin)["id"]]},
    "triage_requests": lambda t: {
        "items": [{"request_id": t.request["id"], "need_id": t.need["id"]}]
    },
}


@dataclass(frozen=True)
class Upload:
    """A file sent as the raw body, for routes that read a file rather than JSON."""

    content_type: str
    content: bytes


# Routes whose body is a file: what would succeed, by endpoint name.
PLAUSIBLE_UPLOADS: dict[str, Callable[[Targets], Upload]] = {
    "import_requests": lambda t: Upload(
        "text/csv", f"title,stakeholder_id\nMatrix import,{t.stakeholder['id']}\n".encode()
    ),
}


def call(
    test_client: TestClient, route: Route, url: str, body: dict[str, Any] | Upload | None
) -> Any:
    if isinstance(body, Upload):
        headers = {"Content-Type": body.content_type}
        return test_client.request(route.method, url, content=body.content, headers=headers)
    return test_client.request(route.method, url, json=body)
