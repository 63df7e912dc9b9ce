"""Signing out: POST /auth/logout ends the token it is called with, at once and in every
server process; POST /users/{id}/revoke-tokens ends all of a user's."""

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, insert, select

from app.auth.models import RevokedToken, Role
from app.auth.revocation import PRUNED_PER_SIGN_OUT
from app.core.types import utcnow
from tests import factories
from tests.auth.helpers import API, bearer, create_service_token, create_user
from tests.auth.helpers import PASSWORD as USER_PASSWORD
from tests.conftest import app_on


def log_in(anonymous: TestClient, email: str, password: str = USER_PASSWORD) -> str:
    response = anonymous.post(f"{API}/auth/token", data={"username": email, "password": password})
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def auth(token: str) -> dict[str, str]:
    return {"Authorization": bearer(token)}


def status_with(anonymous: TestClient, token: str, path: str = f"{API}/auth/me") -> int:
    return anonymous.get(path, headers=auth(token)).status_code


@pytest.mark.parametrize("role", list(Role))
def test_every_role_can_sign_out_and_that_token_alone_stops_working(client, anonymous, role):
    user = create_user(client, role)
    hot_read = f"{API}/requests/{factories.request(client)['id']}"  # answered before routing
    signed_out, other = log_in(anonymous, user["email"]), log_in(anonymous, user["email"])

    response = anonymous.post(f"{API}/auth/logout", headers=auth(signed_out))

    assert response.status_code == 204, response.text
    assert status_with(anonymous, signed_out) == 401
    assert status_with(anonymous, signed_out, hot_read) == 401
    assert status_with(anonymous, other) == 200
    assert status_with(anonymous, other, hot_read) == 200


def test_a_signed_out_token_is_refused_by_another_server_process(
    client, anonymous, settings, engine
):
    other_process = TestClient(app_on(engine, settings))
    user = create_user(client, Role.viewer)
    token = log_in(anonymous, user["email"])
    assert status_with(other_process, token) == 200  # now in that process's verified cache

    assert anonymous.post(f"{API}/auth/logout", headers=auth(token)).status_code == 204

    assert status_with(other_process, token) == 401


def test_signing_out_twice_is_refused_the_second_time(client, anonymous):
    token = log_in(anonymous, create_user(client, Role.viewer)["email"])
    assert anonymous.post(f"{API}/auth/logout", headers=auth(token)).status_code == 204

    again = anonymous.post(f"{API}/auth/logout", headers=auth(token))

    assert again.status_code == 401
    assert again.headers["content-type"] == "application/problem+json"


def test_signing_out_with_a_service_token_revokes_it(client, anonymous):
    created = create_service_token(client, Role.contributor)

    response = anonymous.post(f"{API}/auth/logout", headers=auth(created["token"]))

    assert response.status_code == 204
    assert status_with(anonymous, created["token"]) == 401
    listed = client.get(f"{API}/service-tokens").json()["items"]
    assert created["id"] not in [token["id"] for token in listed]


def test_a_sign_out_prunes_revocations_that_expired(client, anonymous, engine: Engine):
    user = create_user(client, Role.viewer)
    expired = utcnow() - timedelta(seconds=1)
    rows = [
        {"token_digest": f"{n:064x}", "user_id": user["id"], "expires_at": expired}
        for n in range(PRUNED_PER_SIGN_OUT + 5)
    ]
    with engine.begin() as connection:
        connection.execute(insert(RevokedToken), rows)

    token = log_in(anonymous, user["email"])
    assert anonymous.post(f"{API}/auth/logout", headers=auth(token)).status_code == 204

    with engine.connect() as connection:
        left = connection.execute(select(func.count()).select_from(RevokedToken)).scalar_one()
    assert left == 5 + 1  # one batch pruned; this token kept until it expires


def test_an_admin_revokes_every_token_of_a_user_who_can_then_log_in_again(client, anonymous):
    user = create_user(client, Role.manager)
    first, second = log_in(anonymous, user["email"]), log_in(anonymous, user["email"])

    response = client.post(f"{API}/users/{user['id']}/revoke-tokens")

    assert response.status_code == 204, response.text
    assert status_with(anonymous, first) == 401
    assert status_with(anonymous, second) == 401
    assert status_with(anonymous, log_in(anonymous, user["email"])) == 200


def test_revoking_the_tokens_of_no_such_user_is_a_404(client):
    response = client.post(f"{API}/users/987654/revoke-tokens")

    assert response.status_code == 404
