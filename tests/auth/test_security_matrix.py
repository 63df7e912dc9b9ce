"""Security matrix over the route table: authentication, roles, ownership, read-only fields
and secrets, checked on every protected route of the running application.

The routes are read from the application itself (every APIRoute under /api/v1 except
logging in), so a route added later is in every matrix without touching this file. It is
called with real resources in its path (made by the admin when first needed) and, for the
routes known here, a body that would succeed. An unknown route gets `{}` and an arbitrary
id: enough for the authentication and viewer checks, which run before validation; the role
matrix expects success where a role is allowed, so a new route there needs its body in
PLAUSIBLE_BODIES (and, if its rules are not the domain's usual ones, a line in `may_call`).

A refused call must change nothing: every table is read before and after and compared.
"""

import base64
import hashlib
import itertools
import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from jose import jwt
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlmodel import SQLModel

from app.auth.models import Role
from app.core.security import hash_password
from app.main import app as configured_app
from tests import factories
from tests.webhooks.helpers import dispatch_once

API = "/api/v1"
LOGIN = ("POST", f"{API}/auth/token")
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PROBLEM_JSON = "application/problem+json"
PATH_PARAMETER = re.compile(r"{(\w+)(?::\w+)?}")
# The claims every access token must carry (issue 3); a token missing one is refused.
REQUIRED_CLAIMS = ("sub", "exp", "iat", "iss", "aud", "jti")
PASSWORD = "matrix password: purple elephant 7"
_unique = itertools.count(1)


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
            if (method, path) == LOGIN:
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
WRITE_ROUTES = [route for route in PROTECTED_ROUTES if route.is_write]
BODY_ROUTES = [route for route in PROTECTED_ROUTES if route.takes_body]
READ_ROUTES = [route for route in PROTECTED_ROUTES if route.method == "GET"]


# --- the role rules of issue 3, written out apart from the app's code --------------------

CONTRIBUTOR_WRITES = frozenset(
    {"create_stakeholder", "create_request", "upsert_external_request", "import_requests"}
)


def may_call(role: Role, route: Route) -> bool:
    """Whether `role` may make this call on resources the admin created."""
    if route.area in ("users", "service-tokens", "webhooks"):
        return role is Role.admin
    if route.area == "audit":
        return role in (Role.manager, Role.admin)
    if not route.is_write:
        return True
    if role in (Role.manager, Role.admin):
        return True
    # Not update_request: the admin created the target, and contributors edit only their own.
    return role is Role.contributor and route.name in CONTRIBUTOR_WRITES


# --- resources, clients, tokens ------------------------------------------------------------


def new_user_body(role: Role, password: str = PASSWORD) -> dict[str, Any]:
    return {
        "email": f"matrix.user{next(_unique)}@example.com",
        "display_name": "Matrix user",
        "role": role.value,
        "password": password,
    }


def create_user(admin: TestClient, role: Role, password: str = PASSWORD) -> dict[str, Any]:
    return factories.created(admin, "/users", new_user_body(role, password))


def create_service_token(admin: TestClient, role: Role) -> dict[str, Any]:
    """The creation response: id, name, role and the token, shown this once."""
    body = {"name": f"matrix token {next(_unique)}", "role": role.value}
    return factories.created(admin, "/service-tokens", body)


def bearer(token: str) -> str:
    return f"Bearer {token}"


def client_with(app: FastAPI, authorization: str | None) -> TestClient:
    """A client sending this Authorization header, or none at all."""
    test_client = TestClient(app)  # no `with`: the lifespan would dispose the shared engine
    if authorization is not None:
        test_client.headers["Authorization"] = authorization
    return test_client


def user_client(app: FastAPI, user_id: int) -> TestClient:
    return client_with(app, bearer(app.state.token_issuer.issue(f"user:{user_id}")))


def log_in(app: FastAPI, email: str, password: str) -> Any:
    """POST /auth/token with the OAuth2 password form."""
    return TestClient(app).post(f"{API}/auth/token", data={"username": email, "password": password})


def access_token(app: FastAPI, email: str, password: str) -> str:
    response = log_in(app, email, password)
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def assert_accepted(app: FastAPI, token: str) -> None:
    """The token works now: so when it is refused later, it is for the reason under test."""
    response = client_with(app, bearer(token)).get(f"{API}/auth/me")
    assert response.status_code == 200, response.text


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
            "source_system": lambda: "matrix",
            "external_id": lambda: self.external_id,
        }
        if name in known:
            return str(known[name]())
        # A parameter added later: an arbitrary but well-formed value.
        return "1" if name == "id" or name.endswith("_id") else "matrix"

    def url(self, route: Route) -> str:
        return PATH_PARAMETER.sub(
            lambda match: quote(self.path_value(match.group(1)), safe=""), route.path
        )

    def body(self, route: Route) -> "dict[str, Any] | Upload | None":
        upload = PLAUSIBLE_UPLOADS.get(route.name)
        if upload is not None:
            return upload(self)
        if not route.takes_body:
            return None
        make = PLAUSIBLE_BODIES.get(route.name)
        return make(self) if make is not None else {}


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
    "create_service_token": lambda _: {"name": "matrix token", "role": "viewer"},
    "create_webhook": lambda _: {"url": "https://chat.example.com/hooks/matrix"},
    "update_webhook": lambda _: {"active": False},
    "create_request_decision": lambda _: {"outcome": "declined", "why": "Matrix says no"},
    "create_need_decision": lambda _: {"outcome": "needs_info", "why": "Matrix asks"},
    "confirm_decision": lambda _: {"why": "Matrix stands by it"},
    # A fresh source each call: a merge removes it.
    "merge_needs": lambda t: {"source_ids": [factories.need(t.admin)["id"]]},
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


# --- checks ------------------------------------------------------------------------------


def database_rows(engine: Engine, *, ignoring: tuple[str, ...] = ()) -> dict[str, list[Any]]:
    """Every row of every table: equal before and after means nothing changed at all."""
    with engine.connect() as connection:
        return {
            table.name: [
                tuple(row)
                for row in connection.execute(table.select().order_by(*table.primary_key.columns))
            ]
            for table in SQLModel.metadata.sorted_tables
            if table.name not in ignoring
        }


def stored_password_hash(engine: Engine, user_id: int) -> str:
    table = SQLModel.metadata.tables["user_account"]
    with engine.connect() as connection:
        stored: str = connection.execute(
            table.select().with_only_columns(table.c.password_hash).where(table.c.id == user_id)
        ).scalar_one()
    return stored


def stored_token_hash(engine: Engine, token_id: int) -> str:
    table = SQLModel.metadata.tables["service_token"]
    with engine.connect() as connection:
        stored: str = connection.execute(
            table.select().with_only_columns(table.c.token_hash).where(table.c.id == token_id)
        ).scalar_one()
    return stored


def problem_mismatch(response: Any, status: int) -> str | None:
    """Why the response is not an RFC 9457 problem with this status; None when it is."""
    if response.status_code != status:
        return f"answered {response.status_code} instead of {status}: {response.text[:300]}"
    if response.headers.get("content-type") != PROBLEM_JSON:
        return f"content-type is {response.headers.get('content-type')!r}, not {PROBLEM_JSON}"
    if response.json().get("status") != status:
        return f"problem body has the wrong status: {response.text[:300]}"
    return None


def unauthorized_mismatch(response: Any) -> str | None:
    reason = problem_mismatch(response, 401)
    if reason is None and not response.headers.get("WWW-Authenticate", "").startswith("Bearer"):
        reason = f"WWW-Authenticate is {response.headers.get('WWW-Authenticate')!r}"
    return reason


def assert_problem(response: Any, status: int, what: str) -> None:
    reason = problem_mismatch(response, status)
    assert reason is None, f"{what}: {reason}"


# --- bad tokens ----------------------------------------------------------------------------

OTHER_KEY = "another-signing-key-" + "x" * 32


@dataclass
class TokenMaker:
    """Makes tokens as the app's TokenIssuer does (same claims, key, iss and aud), for the
    admin: a bad one accepted by mistake would let any call through."""

    app: FastAPI
    settings: Any
    admin: TestClient  # a client with the admin's valid token
    subject: str  # the admin's "user:<id>"

    def claims(self, **changes: Any) -> dict[str, Any]:
        now = int(time.time())
        claims = {
            "sub": self.subject,
            "iat": now,
            "exp": now + 600,
            "iss": self.settings.token_issuer,
            "aud": self.settings.token_audience,
            "jti": uuid.uuid4().hex,
        }
        return claims | changes

    def claims_without(self, claim: str) -> dict[str, Any]:
        return {name: value for name, value in self.claims().items() if name != claim}

    def signed(
        self, claims: dict[str, Any] | None = None, *, key: str | None = None, algorithm="HS256"
    ) -> str:
        key = key if key is not None else self.settings.secret_key.get_secret_value()
        token: str = jwt.encode(claims or self.claims(), key, algorithm=algorithm)
        return token

    def expired(self) -> str:
        now = int(time.time())
        return self.signed(self.claims(iat=now - 3600, exp=now - 60))


@pytest.fixture
def token_maker(app, settings, users, client) -> TokenMaker:
    return TokenMaker(app, settings, client, f"user:{users[Role.admin].id}")


def unsigned_token(claims: dict[str, Any]) -> str:
    """A JWT with `alg: none` and an empty signature, crafted by hand."""

    def segment(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{segment({'alg': 'none', 'typ': 'JWT'})}.{segment(claims)}."


def revoked_service_token(app: FastAPI, admin: TestClient) -> str:
    created = create_service_token(admin, Role.admin)
    assert_accepted(app, created["token"])
    revoked = admin.delete(f"{API}/service-tokens/{created['id']}")
    assert revoked.status_code == 204, revoked.text
    token: str = created["token"]
    return token


def deactivated_users_token(app: FastAPI, admin: TestClient) -> str:
    user = create_user(admin, Role.admin)
    token = access_token(app, user["email"], PASSWORD)
    assert_accepted(app, token)
    deactivated = admin.patch(f"{API}/users/{user['id']}", json={"active": False})
    assert deactivated.status_code == 200, deactivated.text
    return token


def _missing_claim(claim: str) -> Callable[[TokenMaker], str]:
    return lambda maker: bearer(maker.signed(maker.claims_without(claim)))


# Token kind -> the Authorization header to send (None: no header at all).
BAD_AUTHORIZATIONS: dict[str, Callable[[TokenMaker], str | None]] = {
    "no token": lambda _: None,
    "not a JWT": lambda _: bearer("not-a-jwt"),
    "expired": lambda maker: bearer(maker.expired()),
    "signed with another key": lambda maker: bearer(maker.signed(key=OTHER_KEY)),
    "alg none": lambda maker: bearer(unsigned_token(maker.claims())),
    "HS512 instead of HS256": lambda maker: bearer(maker.signed(algorithm="HS512")),
    "wrong aud": lambda maker: bearer(maker.signed(maker.claims(aud="elsewhere"))),
    "wrong iss": lambda maker: bearer(maker.signed(maker.claims(iss="elsewhere"))),
    **{f"no {claim} claim": _missing_claim(claim) for claim in REQUIRED_CLAIMS},
    "unknown user": lambda maker: bearer(maker.signed(maker.claims(sub="user:987654321"))),
    "revoked service token": lambda maker: bearer(revoked_service_token(maker.app, maker.admin)),
    "deactivated user's token": lambda maker: bearer(
        deactivated_users_token(maker.app, maker.admin)
    ),
}


# --- the route table itself ----------------------------------------------------------------


def test_the_matrix_covers_the_route_table_of_the_app_under_test(app):
    assert protected_routes(app) == PROTECTED_ROUTES
    names = {str(route) for route in PROTECTED_ROUTES}
    assert f"POST {API}/auth/token" not in names
    for expected in [
        f"GET {API}/auth/me",
        f"PATCH {API}/requests/{{request_id}}",
        f"PUT {API}/requests/external/{{source_system}}/{{external_id:path}}",
        f"POST {API}/users",
        f"DELETE {API}/service-tokens/{{token_id}}",
        f"GET {API}/audit",
    ]:
        assert expected in names


def test_a_token_made_like_the_bad_ones_but_correct_is_accepted(app, token_maker):
    """So the bad tokens are refused for what is wrong with them, not for being foreign."""
    response = client_with(app, bearer(token_maker.signed())).get(f"{API}/auth/me")

    assert response.status_code == 200, response.text
    assert response.json()["role"] == "admin"


# --- 1. authentication ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", BAD_AUTHORIZATIONS)
def test_every_protected_route_refuses_a_bad_token_with_401(kind, app, engine, client, token_maker):
    caller = client_with(app, BAD_AUTHORIZATIONS[kind](token_maker))
    targets = Targets(client)
    calls = [(route, targets.url(route), targets.body(route)) for route in PROTECTED_ROUTES]
    before = database_rows(engine)
    failures = []

    for route, url, body in calls:
        response = call(caller, route, url, body)
        reason = unauthorized_mismatch(response)
        after = database_rows(engine)
        if reason is None and after != before:
            reason = "answered 401 but changed the database"
        if reason is not None:
            failures.append(f"{route} with {kind}: {reason}")
        before = after

    assert not failures, "\n".join(failures)


# --- 2. viewers read only ------------------------------------------------------------------


@pytest.mark.parametrize("route", WRITE_ROUTES, ids=str)
def test_write_route_refuses_a_viewer_with_403(route, client, client_as, engine):
    targets = Targets(client)
    url, body = targets.url(route), targets.body(route)
    before = database_rows(engine)

    response = call(client_as(Role.viewer), route, url, body)

    assert_problem(response, 403, f"{route} as viewer")
    assert database_rows(engine) == before, f"{route} as viewer changed the database"


# --- 3. role rules -------------------------------------------------------------------------


@pytest.mark.parametrize("route", PROTECTED_ROUTES, ids=str)
def test_route_follows_the_role_rules(route, client, client_as, engine):
    failures = []
    for role in Role:
        targets = Targets(client)  # fresh ones: the previous role may have deleted them
        url, body = targets.url(route), targets.body(route)
        before = database_rows(engine)

        response = call(client_as(role), route, url, body)

        if may_call(role, route):
            if not 200 <= response.status_code < 300:
                failures.append(
                    f"{route} as {role.value} should succeed: "
                    f"{response.status_code} {response.text[:300]}"
                )
        else:
            reason = problem_mismatch(response, 403)
            if reason is None and database_rows(engine) != before:
                reason = "answered 403 but changed the database"
            if reason is not None:
                failures.append(f"{route} as {role.value} should be 403: {reason}")

    assert not failures, "\n".join(failures)


# --- 4. ownership of requests (BOLA) -------------------------------------------------------


def _owner_client(owner: str, app: FastAPI, admin: TestClient) -> TestClient:
    if owner == "the admin":
        return admin
    if owner == "another contributor":
        return user_client(app, create_user(admin, Role.contributor)["id"])
    assert owner == "a contributor service token"
    return client_with(app, bearer(create_service_token(admin, Role.contributor)["token"]))


def _external_url(external_id: str) -> str:
    return f"{API}/requests/external/crm/{external_id}"


def _put_new_request(owner: TestClient, stakeholder_id: int) -> tuple[str, dict[str, Any]]:
    """Creates a request through the upsert; answers its reference URL and body."""
    url = _external_url(f"BOLA-{next(_unique)}")
    response = owner.put(url, json={"title": "Original title", "stakeholder_id": stakeholder_id})
    assert response.status_code == 201, response.text
    return url, response.json()


def _attempt_edits(editor: TestClient, url: str, request: dict[str, Any]) -> dict[str, Any]:
    """PATCH and PUT-update the request with a new title; answers both responses."""
    body = {"title": "Hijacked", "stakeholder_id": request["stakeholder_id"]}
    return {
        "PATCH": editor.patch(f"{API}/requests/{request['id']}", json={"title": "Hijacked"}),
        "PUT": editor.put(url, json=body),
    }


@pytest.mark.parametrize(
    "owner", ["another contributor", "the admin", "a contributor service token"]
)
def test_contributor_cannot_edit_a_request_someone_else_created(
    owner, app, client, client_as, engine
):
    stakeholder = factories.stakeholder(client)
    url, request = _put_new_request(_owner_client(owner, app, client), stakeholder["id"])
    before = database_rows(engine)

    attempts = _attempt_edits(client_as(Role.contributor), url, request)

    for method, response in attempts.items():
        assert_problem(response, 403, f"contributor {method} of a request by {owner}")
    assert database_rows(engine) == before
    assert client.get(f"{API}/requests/{request['id']}").json()["title"] == "Original title"


def test_contributor_can_edit_the_requests_they_created(client_as):
    contributor = client_as(Role.contributor)
    stakeholder = factories.stakeholder(contributor)
    posted = factories.request(contributor, stakeholder_id=stakeholder["id"])
    url, upserted = _put_new_request(contributor, stakeholder["id"])

    patched = contributor.patch(f"{API}/requests/{posted['id']}", json={"title": "Mine, renamed"})
    updated = contributor.put(
        url, json={"title": "Mine, updated", "stakeholder_id": stakeholder["id"]}
    )

    assert patched.status_code == 200, patched.text
    assert patched.json()["title"] == "Mine, renamed"
    assert updated.status_code == 200, updated.text
    assert updated.json()["id"] == upserted["id"]
    assert updated.json()["title"] == "Mine, updated"


def test_service_token_edits_only_the_requests_it_created(app, client, client_as, engine):
    integration = client_with(app, bearer(create_service_token(client, Role.contributor)["token"]))
    stakeholder = factories.stakeholder(client)
    own_url, own = _put_new_request(integration, stakeholder["id"])
    others = {
        "another service token": _put_new_request(
            _owner_client("a contributor service token", app, client), stakeholder["id"]
        ),
        "a contributor": _put_new_request(client_as(Role.contributor), stakeholder["id"]),
        "the admin": _put_new_request(client, stakeholder["id"]),
    }

    updated = integration.put(
        own_url, json={"title": "Updated by its creator", "stakeholder_id": stakeholder["id"]}
    )
    patched = integration.patch(f"{API}/requests/{own['id']}", json={"urgency": "high"})
    assert updated.status_code == 200, updated.text
    assert (updated.json()["id"], updated.json()["title"]) == (own["id"], "Updated by its creator")
    assert patched.status_code == 200, patched.text

    # Using a token refreshes its last_used_at; nothing else may change.
    before = database_rows(engine, ignoring=("service_token",))
    for creator, (url, request) in others.items():
        for method, response in _attempt_edits(integration, url, request).items():
            assert_problem(response, 403, f"service token {method} of a request by {creator}")
    assert database_rows(engine, ignoring=("service_token",)) == before
    for _url, request in others.values():
        title = client.get(f"{API}/requests/{request['id']}").json()["title"]
        assert title == "Original title"


# --- 5. mass assignment --------------------------------------------------------------------

INJECTED_TIME = "2001-02-03T04:05:06+00:00"
INJECTED_NUMBER = 987654321
INJECTED_HASH = "$argon2id$v=19$m=65536,t=3,p=4$aW5qZWN0ZWQ$aW5qZWN0ZWQgYnkgdGhlIGNsaWVudA"


def read_only_values(users, targets: Targets) -> dict[str, Any]:
    """Fields no body may set on any resource, with values that would be noticed if applied.

    Sent even when a route's body model declares one: that would be the bug."""
    return {
        "id": INJECTED_NUMBER,
        "version": 4242,
        "created_at": INJECTED_TIME,
        "updated_at": INJECTED_TIME,
        "created_by": users[Role.manager].id,
        "created_by_service_token_id": targets.service_token["id"],
        "decision": {"outcome": "accepted"},
        "request_count": INJECTED_NUMBER,
        "stakeholder_count": INJECTED_NUMBER,
        "groups": {"injected": INJECTED_NUMBER},
        "weighted_demand": float(INJECTED_NUMBER),
        "password_hash": INJECTED_HASH,
        "token_hash": "f" * 64,
        "token": "rqt_chosen_by_the_client",
        "revoked_at": INJECTED_TIME,
        "last_used_at": INJECTED_TIME,
    }


# Derived or server-set on most resources, but a legitimate input of some routes (a roadmap
# item's status, deactivating a user, a request's revenue): sent where the body model lacks it.
READ_ONLY_UNLESS_DECLARED = {
    "status": "decided",
    "active": False,
    "revenue_at_stake": f"{INJECTED_NUMBER}.00",
}


def looks_injected(actual: Any, injected: Any) -> bool:
    if injected == INJECTED_TIME:
        return str(actual).startswith(INJECTED_TIME[:10])
    return actual == injected or str(actual) == str(injected)


def stored_injections(engine: Engine, injected: dict[str, Any]) -> list[str]:
    """Every stored value equal to an injected one, in a column of the same name."""
    found = []
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            columns = [name for name in injected if name in table.c]
            if not columns:
                continue
            for row in connection.execute(table.select()).mappings():
                found += [
                    f"{table.name}.{name} = {row[name]!r}"
                    for name in columns
                    if looks_injected(row[name], injected[name])
                ]
    return found


@pytest.mark.parametrize("route", BODY_ROUTES, ids=str)
def test_body_cannot_set_read_only_fields(route, client, users, engine):
    targets = Targets(client)
    url = targets.url(route)
    injected = read_only_values(users, targets) | {
        field: value
        for field, value in READ_ONLY_UNLESS_DECLARED.items()
        if field not in route.writable_fields
    }
    body = targets.body(route) | injected
    before = database_rows(engine)

    response = call(client, route, url, body)

    if response.status_code == 422:
        assert database_rows(engine) == before, f"{route} answered 422 but changed the database"
        return
    assert 200 <= response.status_code < 300, f"{route}: {response.status_code} {response.text}"
    shown = response.json()
    applied = [
        f"{f}={shown[f]!r}"
        for f, v in injected.items()
        if f in shown and looks_injected(shown[f], v)
    ]
    assert not applied, f"{route} applied read-only fields: {applied}"
    assert not stored_injections(engine, injected), f"{route} stored read-only fields"


def test_request_creator_comes_from_the_token_not_the_body(app, client, client_as, users, engine):
    contributor = client_as(Role.contributor)
    stranger_token = create_service_token(client, Role.contributor)
    stakeholder = factories.stakeholder(client)

    response = contributor.post(
        f"{API}/requests",
        json={
            "title": "Whose is it?",
            "stakeholder_id": stakeholder["id"],
            "created_by": users[Role.admin].id,
            "created_by_service_token_id": stranger_token["id"],
        },
    )

    assert response.status_code == 201, response.text
    request = response.json()
    assert request["created_by"] == users[Role.contributor].id
    assert stored_injections(engine, {"created_by_service_token_id": stranger_token["id"]}) == []
    stranger = client_with(app, bearer(stranger_token["token"]))
    refused = stranger.patch(f"{API}/requests/{request['id']}", json={"title": "Not yours"})
    assert_problem(refused, 403, "the service token named in the body")
    allowed = contributor.patch(f"{API}/requests/{request['id']}", json={"title": "Still mine"})
    assert allowed.status_code == 200, allowed.text


@pytest.mark.parametrize("role", [Role.viewer, Role.contributor, Role.manager])
def test_nobody_but_an_admin_can_change_their_own_user(role, client_as, users, engine):
    caller = client_as(role)
    own_url = f"{API}/users/{users[role].id}"
    before = database_rows(engine)

    for body in (
        {"role": "admin"},
        {"active": False},
        {"password_hash": INJECTED_HASH},
        {"display_name": "Renamed myself"},
    ):
        assert_problem(caller.patch(own_url, json=body), 403, f"{role.value} PATCH self {body}")

    assert database_rows(engine) == before
    assert caller.get(f"{API}/auth/me").json()["role"] == role.value


def test_an_admin_editing_themself_cannot_set_password_hash_email_or_id(app, client, engine):
    admin = create_user(client, Role.admin)
    own_url = f"{API}/users/{admin['id']}"
    stored_hash = stored_password_hash(engine, admin["id"])

    response = user_client(app, admin["id"]).patch(
        own_url,
        json={
            "display_name": "Renamed myself",
            "password_hash": INJECTED_HASH,
            "email": "someone.else@example.com",
            "id": INJECTED_NUMBER,
            "version": 4242,
            "created_at": INJECTED_TIME,
        },
    )

    assert response.status_code == 200, response.text
    shown = client.get(own_url).json()
    assert shown["display_name"] == "Renamed myself"
    assert (shown["id"], shown["email"]) == (admin["id"], admin["email"])
    assert not shown["created_at"].startswith(INJECTED_TIME[:10])
    assert stored_password_hash(engine, admin["id"]) == stored_hash


def test_creating_a_user_ignores_a_password_hash_and_active_in_the_body(app, client):
    chosen_password = "a password chosen by the attacker"
    body = new_user_body(Role.viewer) | {
        "password_hash": hash_password(chosen_password),
        "active": False,
    }

    user = factories.created(client, "/users", body)

    assert user["active"] is True
    assert log_in(app, user["email"], chosen_password).status_code == 401
    assert log_in(app, user["email"], PASSWORD).status_code == 200


# --- 6. secrets never leak -----------------------------------------------------------------

SECRET_PASSWORD = "secret matrix password: saffron kettle 42"


def _secrets_of(engine: Engine, user: dict[str, Any], token: dict[str, Any]) -> dict[str, str]:
    """What must never be shown, by name; checked against the database first."""
    password_hash = stored_password_hash(engine, user["id"])
    token_sha256 = hashlib.sha256(token["token"].encode()).hexdigest()
    assert password_hash.startswith("$argon2")
    assert stored_token_hash(engine, token["id"]) == token_sha256
    return {
        "the password": SECRET_PASSWORD,
        "the password hash": password_hash,
        "an argon2 hash": "$argon2",
        "a password_hash field": "password_hash",
        "the service token": token["token"],
        "the service token's sha256": token_sha256,
        "a token_hash field": "token_hash",
    }


def _leaks(text: str, secrets: dict[str, str]) -> list[str]:
    return [name for name, secret in secrets.items() if secret in text]


def test_no_response_shows_a_password_a_hash_or_a_service_token(app, client, engine):
    created_user = client.post(
        f"{API}/users", json=new_user_body(Role.contributor, SECRET_PASSWORD)
    )
    assert created_user.status_code == 201, created_user.text
    user = created_user.json()
    token = create_service_token(client, Role.manager)
    secrets = _secrets_of(engine, user, token)
    user_token = access_token(app, user["email"], SECRET_PASSWORD)
    renamed = client.patch(f"{API}/users/{user['id']}", json={"display_name": "Renamed"})
    assert renamed.status_code == 200  # an update in the audit log, with before and after

    targets = Targets(client)
    targets.user, targets.service_token = user, token
    responses = {f"POST {API}/users": created_user}
    for route in READ_ROUTES:
        responses[f"{route} as admin"] = client.get(targets.url(route))
    for entity, entity_id in (("user", user["id"]), ("service_token", token["id"])):
        history = client.get(f"{API}/audit", params={"entity": entity, "entity_id": entity_id})
        assert history.json()["items"], f"no audit entries for the {entity}"
        responses[f"GET {API}/audit of the {entity}"] = history
    for caller, authorization in {
        "the new user": bearer(user_token),
        "the service token": bearer(token["token"]),
    }.items():
        responses[f"GET {API}/auth/me as {caller}"] = client_with(app, authorization).get(
            f"{API}/auth/me"
        )

    for required in ["/users", "/users/{user_id}", "/service-tokens", "/auth/me", "/audit"]:
        assert f"GET {API}{required} as admin" in responses
    failures = []
    for what, response in responses.items():
        assert response.status_code in (200, 201), f"{what}: {response.text}"
        leaked = _leaks(response.text + str(response.headers), secrets)
        if leaked:
            failures.append(f"{what} shows {leaked}")
    assert not failures, "\n".join(failures)


def _log_in_create_a_token_and_use_it(app, client) -> tuple[dict[str, Any], dict[str, Any], str]:
    user = create_user(client, Role.contributor, SECRET_PASSWORD)
    assert log_in(app, user["email"], SECRET_PASSWORD + " but wrong").status_code == 401
    user_token = access_token(app, user["email"], SECRET_PASSWORD)
    token = create_service_token(client, Role.viewer)
    for bearer_token in (token["token"], user_token):
        assert_accepted(app, bearer_token)
    return user, token, user_token


def test_logs_never_contain_a_password_or_a_token(app, client, caplog):
    caplog.set_level(logging.DEBUG)

    _user, token, user_token = _log_in_create_a_token_and_use_it(app, client)

    assert caplog.records, "nothing was logged at DEBUG: the capture is not working"
    secrets = {
        "the password": SECRET_PASSWORD,
        "the service token": token["token"],
        "the access token": user_token,
    }
    leaks = [
        f"{record.name}: {name}"
        for record in caplog.records
        for name in _leaks(record.getMessage(), secrets)
    ]
    assert not leaks
    assert not _leaks(caplog.text, secrets)


def test_logs_never_contain_a_password_hash_or_a_token_hash(app, client, engine, caplog):
    caplog.set_level(logging.DEBUG)

    user, token, _user_token = _log_in_create_a_token_and_use_it(app, client)
    records = list(caplog.records)  # those of the actions, not of reading the hashes below

    # The values only: the column names may well appear in a log line.
    secrets = {
        name: secret
        for name, secret in _secrets_of(engine, user, token).items()
        if not name.endswith(" field")
    }
    leaks = sorted(
        {
            f"{record.name}: {name}"
            for record in records
            for name in _leaks(record.getMessage(), secrets)
        }
    )
    assert not leaks
