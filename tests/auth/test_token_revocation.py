"""Tokens issued before a user's deactivation stay dead, even once the user is active
again: on routed requests and on the hot reads answered before routing."""

import time
from typing import Any

from fastapi.testclient import TestClient
from jose import jwt
from sqlalchemy import Engine, select

from app.auth.models import User
from tests import factories
from tests.conftest import TEST_PASSWORD

USERS = "/api/v1/users"


def new_user(client: TestClient, email: str) -> dict[str, Any]:
    body = {"email": email, "display_name": "Dana", "role": "viewer", "password": TEST_PASSWORD}
    return factories.created(client, "/users", body)


def token_of(anonymous: TestClient, email: str) -> str:
    response = anonymous.post(
        "/api/v1/auth/token", data={"username": email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def status_with(anonymous: TestClient, token: str, path: str) -> int:
    return anonymous.get(path, headers={"Authorization": f"Bearer {token}"}).status_code


def set_active(client: TestClient, user_id: int, active: bool) -> None:
    response = client.patch(f"{USERS}/{user_id}", json={"active": active})
    assert response.status_code == 200, response.text


def issued_at(token: str) -> float:
    iat: float = jwt.get_unverified_claims(token)["iat"]
    return iat


def test_a_reactivated_users_old_token_stays_dead_routed_and_hot(client, anonymous):
    user = new_user(client, "dana@example.com")
    request = f"/api/v1/requests/{factories.request(client)['id']}"  # a hot read
    old = token_of(anonymous, "dana@example.com")
    assert status_with(anonymous, old, "/api/v1/auth/me") == 200
    assert status_with(anonymous, old, request) == 200

    set_active(client, user["id"], False)
    set_active(client, user["id"], True)

    assert status_with(anonymous, old, "/api/v1/auth/me") == 401
    assert status_with(anonymous, old, request) == 401
    new = token_of(anonymous, "dana@example.com")
    assert status_with(anonymous, new, "/api/v1/auth/me") == 200
    assert status_with(anonymous, new, request) == 200


def tokens_valid_after(engine: Engine, user_id: int) -> float:
    with engine.connect() as connection:
        stored = connection.execute(
            select(User.tokens_valid_after).where(User.id == user_id)
        ).scalar_one()
    return float(stored.timestamp())


def test_a_login_in_the_very_second_of_the_deactivation_works_and_the_old_token_does_not(
    client, anonymous, engine
):
    user = new_user(client, "quick@example.com")
    time.sleep(1 - time.time() % 1)  # at the start of a second: all of it within one
    old = token_of(anonymous, "quick@example.com")
    set_active(client, user["id"], False)
    set_active(client, user["id"], True)
    new = token_of(anonymous, "quick@example.com")

    assert status_with(anonymous, old, "/api/v1/auth/me") == 401
    assert status_with(anonymous, new, "/api/v1/auth/me") == 200
    assert issued_at(old) < tokens_valid_after(engine, user["id"]) < issued_at(new)


def test_a_token_issued_after_the_deactivation_works(client, anonymous, app):
    user = new_user(client, "later@example.com")
    set_active(client, user["id"], False)
    set_active(client, user["id"], True)

    token = app.state.token_issuer.issue(f"user:{user['id']}")

    assert status_with(anonymous, token, "/api/v1/auth/me") == 200


def test_deactivating_is_one_versioned_audited_change(client):
    user = new_user(client, "audited@example.com")

    deactivated = client.patch(f"{USERS}/{user['id']}", json={"active": False})
    reactivated = client.patch(f"{USERS}/{user['id']}", json={"active": True})

    assert deactivated.headers["etag"] == 'W/"2"'
    assert reactivated.headers["etag"] == 'W/"3"'
    entries = client.get(
        "/api/v1/audit", params={"entity": "user", "entity_id": user["id"], "action": "update"}
    ).json()["items"]
    reactivation, deactivation = entries  # newest first
    assert deactivation["before"]["tokens_valid_after"] is None
    assert deactivation["after"]["active"] is False
    revoked_at = deactivation["after"]["tokens_valid_after"]
    assert revoked_at is not None
    assert reactivation["after"]["active"] is True
    assert reactivation["after"]["tokens_valid_after"] == revoked_at
    assert "tokens_valid_after" not in client.get(f"{USERS}/{user['id']}").json()


def test_deactivating_an_inactive_user_again_keeps_the_first_cutoff(client, engine):
    user = new_user(client, "twice@example.com")
    set_active(client, user["id"], False)
    first = tokens_valid_after(engine, user["id"])

    again = client.patch(f"{USERS}/{user['id']}", json={"active": False})

    assert again.headers["etag"] == 'W/"2"'  # nothing changed
    assert tokens_valid_after(engine, user["id"]) == first
