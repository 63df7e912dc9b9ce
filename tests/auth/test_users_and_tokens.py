"""/users and /service-tokens, for admins: accounts, roles, deactivation, revocation."""

import pytest

from app.auth.models import Role
from tests.conftest import TEST_PASSWORD

USERS = "/api/v1/users"
TOKENS = "/api/v1/service-tokens"


def new_user(client, **fields):
    body = {"email": "dana@example.com", "display_name": "Dana", "password": TEST_PASSWORD}
    response = client.post(USERS, json=body | fields)
    assert response.status_code == 201, response.text
    return response.json()


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_create_user_returns_no_password(client):
    response = client.post(
        USERS,
        json={
            "email": "Dana@Example.com",
            "display_name": "Dana",
            "role": "manager",
            "password": TEST_PASSWORD,
        },
    )

    assert response.status_code == 201
    body = response.json()
    assert body.keys() == {"id", "email", "display_name", "role", "active", "created_at"}
    assert (body["email"], body["role"], body["active"]) == ("dana@example.com", "manager", True)
    assert client.get(f"{USERS}/{body['id']}").json() == body


def test_new_users_are_viewers_by_default(client):
    assert new_user(client)["role"] == "viewer"


def test_duplicate_email_is_409(client):
    new_user(client)

    assert (
        client.post(
            USERS,
            json={"email": "DANA@example.com", "display_name": "x", "password": TEST_PASSWORD},
        ).status_code
        == 409
    )


@pytest.mark.parametrize(
    "bad",
    [
        {"password": "short"},
        {"email": "not-an-email"},
        {"role": "superuser"},
        {"display_name": "   "},
    ],
)
def test_invalid_users_are_422(client, bad):
    body = {"email": "e@example.com", "display_name": "E", "password": TEST_PASSWORD} | bad

    assert client.post(USERS, json=body).status_code == 422


def test_a_role_change_ends_the_old_tokens_and_a_new_login_has_the_new_role(client, anonymous):
    user = new_user(client, role="viewer")
    login = {"username": "dana@example.com", "password": TEST_PASSWORD}
    token = anonymous.post("/api/v1/auth/token", data=login).json()["access_token"]
    need = {"statement": "x"}
    assert anonymous.post("/api/v1/needs", json=need, headers=bearer(token)).status_code == 403

    client.patch(f"{USERS}/{user['id']}", json={"role": "manager"})

    assert anonymous.post("/api/v1/needs", json=need, headers=bearer(token)).status_code == 401
    token = anonymous.post("/api/v1/auth/token", data=login).json()["access_token"]
    assert anonymous.post("/api/v1/needs", json=need, headers=bearer(token)).status_code == 201


def test_deactivation_stops_existing_tokens_at_once(client, anonymous):
    user = new_user(client)
    login = {"username": "dana@example.com", "password": TEST_PASSWORD}
    token = anonymous.post("/api/v1/auth/token", data=login).json()["access_token"]
    assert anonymous.get("/api/v1/needs", headers=bearer(token)).status_code == 200

    deactivated = client.patch(f"{USERS}/{user['id']}", json={"active": False})

    assert deactivated.json()["active"] is False
    assert anonymous.get("/api/v1/needs", headers=bearer(token)).status_code == 401


def test_an_admin_cannot_lock_themselves_out(client, users):
    me = users[Role.admin].id

    assert client.patch(f"{USERS}/{me}", json={"active": False}).status_code == 409
    assert client.patch(f"{USERS}/{me}", json={"role": "viewer"}).status_code == 409
    assert client.patch(f"{USERS}/{me}", json={"display_name": "Boss"}).status_code == 200


def test_list_users_filters_by_role(client):
    new_user(client, role="manager")

    managers = client.get(USERS, params={"role": "manager"}).json()["items"]

    assert {u["email"] for u in managers} == {"manager@example.com", "dana@example.com"}


def test_service_token_is_shown_once_and_works(client, anonymous):
    created = client.post(TOKENS, json={"name": "zendesk", "role": "contributor"})

    assert created.status_code == 201
    body = created.json()
    assert body["token"].startswith("rqt_")
    assert body["last_used_at"] is None
    listed = client.get(TOKENS).json()["items"]
    assert [t["name"] for t in listed] == ["zendesk"]
    assert "token" not in listed[0]
    stakeholder = {"name": "From the helpdesk"}
    made = anonymous.post("/api/v1/stakeholders", json=stakeholder, headers=bearer(body["token"]))
    assert made.status_code == 201
    assert client.get(TOKENS).json()["items"][0]["last_used_at"] is not None


def test_revoking_a_token_stops_it_on_the_next_request(client, anonymous):
    body = client.post(TOKENS, json={"name": "crm", "role": "viewer"}).json()
    assert anonymous.get("/api/v1/needs", headers=bearer(body["token"])).status_code == 200

    assert client.delete(f"{TOKENS}/{body['id']}").status_code == 204

    assert anonymous.get("/api/v1/needs", headers=bearer(body["token"])).status_code == 401
    assert client.get(TOKENS).json()["items"] == []
    assert client.delete(f"{TOKENS}/{body['id']}").status_code == 404


def test_requests_made_with_a_token_name_their_creator(client, anonymous):
    body = client.post(TOKENS, json={"name": "zendesk", "role": "contributor"}).json()
    stakeholder = client.post("/api/v1/stakeholders", json={"name": "S"}).json()

    made = anonymous.put(
        "/api/v1/requests/external/zendesk/1",
        json={"title": "Ticket", "stakeholder_id": stakeholder["id"]},
        headers=bearer(body["token"]),
    )
    again = anonymous.put(
        "/api/v1/requests/external/zendesk/1",
        json={"title": "Ticket, edited", "stakeholder_id": stakeholder["id"]},
        headers=bearer(body["token"]),
    )

    assert made.status_code == 201
    assert made.json()["created_by"] is None
    assert again.status_code == 200
