"""Every protected route refuses a missing or bad token with a 401 and changes nothing."""

import base64
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from jose import jwt

from app.auth.models import Role
from tests.auth.helpers import (
    API,
    PASSWORD,
    access_token,
    assert_accepted,
    bearer,
    client_with,
    create_service_token,
    create_user,
    database_rows,
    problem_mismatch,
)
from tests.auth.route_table import PROTECTED_ROUTES, Targets, call

# The claims every access token must carry (issue 3); a token missing one is refused.
REQUIRED_CLAIMS = ("sub", "exp", "iat", "iss", "aud", "jti")


def unauthorized_mismatch(response: Any) -> str | None:
    reason = problem_mismatch(response, 401)
    if reason is None and not response.headers.get("WWW-Authenticate", "").startswith("Bearer"):
        reason = f"WWW-Authenticate is {response.headers.get('WWW-Authenticate')!r}"
    return reason


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
