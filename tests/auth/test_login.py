"""Logging in: tokens, identical failures, lockout after repeated failures, /auth/me."""

import time

import pytest
from jose import jwt

from app.auth.models import Role
from tests.conftest import TEST_PASSWORD

TOKEN_URL = "/api/v1/auth/token"


def login(client, email, password):
    return client.post(TOKEN_URL, data={"username": email, "password": password})


def test_login_issues_a_bearer_token_that_works(anonymous, users, settings):
    response = login(anonymous, "manager@example.com", TEST_PASSWORD)

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == settings.token_ttl_seconds
    claims = jwt.get_unverified_claims(body["access_token"])
    assert claims["sub"] == f"user:{users[Role.manager].id}"
    assert {"sub", "exp", "iat", "iss", "aud", "jti"} <= claims.keys()
    assert jwt.get_unverified_header(body["access_token"])["alg"] == "HS256"
    me = anonymous.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.json()["email"] == "manager@example.com"
    assert me.json()["role"] == "manager"


def test_login_email_is_case_insensitive(anonymous, users):
    assert login(anonymous, "  Viewer@Example.COM", TEST_PASSWORD).status_code == 200


def test_wrong_email_and_wrong_password_answer_identically(anonymous, users):
    wrong_password = login(anonymous, "viewer@example.com", "not the password")
    wrong_email = login(anonymous, "nobody@example.com", TEST_PASSWORD)

    for response in (wrong_password, wrong_email):
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["WWW-Authenticate"] == "Bearer"
    assert wrong_password.json() == wrong_email.json()


def test_wrong_email_takes_as_long_as_wrong_password(anonymous, users):
    def duration(email):
        started = time.perf_counter()
        login(anonymous, email, "wrong password here")
        return time.perf_counter() - started

    # Both verify an Argon2 hash; without the dummy hash an unknown e-mail returns at once.
    unknown = min(duration(f"ghost{n}@example.com") for n in range(3))
    known = min(duration("contributor@example.com") for _ in range(3))

    assert unknown > known / 3


def test_repeated_failures_lock_the_account_with_429(anonymous, users, settings):
    for _ in range(settings.login_max_failures):
        assert login(anonymous, "contributor@example.com", "wrong").status_code == 401

    locked = login(anonymous, "contributor@example.com", TEST_PASSWORD)

    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 0
    assert locked.headers["content-type"] == "application/problem+json"
    # Another account is not affected.
    assert login(anonymous, "viewer@example.com", TEST_PASSWORD).status_code == 200


def test_unknown_accounts_are_locked_the_same_way(anonymous, settings):
    for _ in range(settings.login_max_failures):
        login(anonymous, "ghost@example.com", "wrong")

    assert login(anonymous, "ghost@example.com", "wrong").status_code == 429


def test_a_success_resets_the_failure_count(anonymous, users, settings):
    for _ in range(settings.login_max_failures - 1):
        login(anonymous, "manager@example.com", "wrong")
    assert login(anonymous, "manager@example.com", TEST_PASSWORD).status_code == 200

    for _ in range(settings.login_max_failures - 1):
        login(anonymous, "manager@example.com", "wrong")

    assert login(anonymous, "manager@example.com", TEST_PASSWORD).status_code == 200


def test_a_deactivated_user_cannot_log_in(client, anonymous):
    user = client.post(
        "/api/v1/users",
        json={"email": "gone@example.com", "display_name": "Gone", "password": TEST_PASSWORD},
    ).json()
    client.patch(f"/api/v1/users/{user['id']}", json={"active": False})

    assert login(anonymous, "gone@example.com", TEST_PASSWORD).status_code == 401


@pytest.mark.parametrize(
    "form", [{}, {"username": "a@b.c"}, {"password": "x"}, {"username": "", "password": ""}]
)
def test_incomplete_login_forms_are_422(anonymous, form):
    assert anonymous.post(TOKEN_URL, data=form).status_code == 422


def test_me_for_a_service_token(client, anonymous):
    created = client.post("/api/v1/service-tokens", json={"name": "zendesk", "role": "contributor"})

    me = anonymous.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {created.json()['token']}"}
    ).json()

    assert me == {
        "kind": "service_token",
        "id": created.json()["id"],
        "role": "contributor",
        "email": None,
        "display_name": None,
        "name": "zendesk",
    }


def test_health_docs_and_login_need_no_token(anonymous):
    for path in ("/healthz", "/readyz", "/openapi.json", "/docs"):
        assert anonymous.get(path).status_code == 200, path


def test_openapi_offers_the_password_flow_for_the_authorize_button(anonymous):
    schemes = anonymous.get("/openapi.json").json()["components"]["securitySchemes"]

    (scheme,) = schemes.values()
    assert scheme["type"] == "oauth2"
    assert scheme["flows"]["password"]["tokenUrl"] == "/api/v1/auth/token"


def test_no_token_is_challenged_without_an_error_code(anonymous):
    missing = anonymous.get("/api/v1/needs")
    invalid = anonymous.get("/api/v1/needs", headers={"Authorization": "Bearer nonsense"})

    assert missing.headers["WWW-Authenticate"] == "Bearer"
    assert invalid.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
