"""Passwords: changing one's own, an admin's one-time reset link, and what a new password
must be. Every change ends the tokens issued before it."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from app.auth import passwords
from app.auth.models import Role
from app.core.types import utcnow
from tests.auth.helpers import (
    API,
    PASSWORD,
    bearer,
    create_service_token,
    create_user,
    forged_reset_tokens,
)

NEW_PASSWORD = "a new and rather long passphrase"


def log_in(anonymous: TestClient, email: str, password: str = PASSWORD) -> int | str:
    """The token, or the status of the refusal."""
    response = anonymous.post(f"{API}/auth/token", data={"username": email, "password": password})
    return response.json()["access_token"] if response.status_code == 200 else response.status_code


def auth(token: str) -> dict[str, str]:
    return {"Authorization": bearer(token)}


def me_status(anonymous: TestClient, token: str) -> int:
    return anonymous.get(f"{API}/auth/me", headers=auth(token)).status_code


def change(anonymous: TestClient, token: str, current: str, new: str) -> "object":
    body = {"current_password": current, "new_password": new}
    return anonymous.post(f"{API}/auth/password", json=body, headers=auth(token))


@pytest.mark.parametrize("role", list(Role))
def test_every_role_changes_its_password_and_gets_a_new_token(client, anonymous, role):
    user = create_user(client, role)
    old_token, other_token = log_in(anonymous, user["email"]), log_in(anonymous, user["email"])

    response = change(anonymous, old_token, PASSWORD, NEW_PASSWORD)

    assert response.status_code == 200, response.text
    new_token = response.json()["access_token"]
    assert me_status(anonymous, new_token) == 200
    assert me_status(anonymous, old_token) == me_status(anonymous, other_token) == 401
    assert log_in(anonymous, user["email"]) == 401
    assert isinstance(log_in(anonymous, user["email"], NEW_PASSWORD), str)


def test_a_wrong_current_password_is_refused_and_counted_like_a_failed_login(
    client, anonymous, settings
):
    user = create_user(client, Role.viewer)
    token = log_in(anonymous, user["email"])

    answers = [
        change(anonymous, token, "not my password at all", NEW_PASSWORD).status_code
        for _ in range(settings.login_max_failures + 1)
    ]

    assert answers == [403] * settings.login_max_failures + [429]
    assert me_status(anonymous, token) == 200  # nothing changed
    assert log_in(anonymous, user["email"]) == 429  # the same lockout as the login's


@pytest.mark.parametrize(
    ("new_password", "reason"),
    [
        ("short one", "at least 12 characters"),
        ("qwerty123456", "most common"),
        ("Password1234!", "most common"),
        ("IloveYOU2024!!", "most common"),
        ("my mail: {email}", "e-mail"),
        ("{local}-is-my-name", "e-mail"),
    ],
)
def test_a_weak_new_password_is_refused_and_changes_nothing(
    client, anonymous, new_password, reason
):
    user = create_user(client, Role.viewer)
    token = log_in(anonymous, user["email"])
    local = user["email"].partition("@")[0]

    response = change(
        anonymous, token, PASSWORD, new_password.format(email=user["email"], local=local)
    )

    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["errors"][0]["loc"] == ["body", "new_password"]
    assert reason in problem["errors"][0]["msg"]
    assert me_status(anonymous, token) == 200
    assert isinstance(log_in(anonymous, user["email"]), str)


def test_an_admin_cannot_create_a_user_with_a_weak_password(client):
    body = {"email": "weak@example.com", "display_name": "Weak", "password": "letmein12345"}

    response = client.post(f"{API}/users", json=body)

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "password"]


def test_a_service_token_has_no_password_to_change(client, anonymous):
    token = create_service_token(client, Role.admin)["token"]

    response = change(anonymous, token, PASSWORD, NEW_PASSWORD)

    assert response.status_code == 403


# Reset links


def reset_token_of(link: dict[str, str]) -> str:
    return parse_qs(urlsplit(link["reset_url"]).query)["token"][0]


def reset(anonymous: TestClient, token: str, new_password: str = NEW_PASSWORD) -> "object":
    body = {"token": token, "new_password": new_password}
    return anonymous.post(f"{API}/auth/password-reset", json=body)


def test_a_reset_link_sets_the_password_once_and_ends_every_older_token(
    client, anonymous, settings
):
    user = create_user(client, Role.contributor)
    old_token = log_in(anonymous, user["email"])

    made = client.post(f"{API}/users/{user['id']}/password-reset")

    assert made.status_code == 200, made.text
    link = made.json()
    assert link["reset_url"].startswith(f"{settings.public_url}/password-reset?token=")
    assert reset(anonymous, reset_token_of(link)).status_code == 204
    assert me_status(anonymous, old_token) == 401
    assert isinstance(log_in(anonymous, user["email"], NEW_PASSWORD), str)
    used_again = reset(anonymous, reset_token_of(link), "yet another long passphrase")
    assert used_again.status_code == 422
    assert used_again.json()["errors"][0]["loc"] == ["body", "token"]
    assert isinstance(log_in(anonymous, user["email"], NEW_PASSWORD), str)


def test_a_reset_link_stops_working_after_an_hour(client, anonymous, monkeypatch):
    user = create_user(client, Role.viewer)
    token = reset_token_of(client.post(f"{API}/users/{user['id']}/password-reset").json())
    an_hour_later = utcnow() + timedelta(hours=1, seconds=1)
    monkeypatch.setattr(passwords, "utcnow", lambda: an_hour_later)

    assert reset(anonymous, token).status_code == 422
    assert isinstance(log_in(anonymous, user["email"]), str)


def test_a_forged_or_borrowed_reset_token_opens_nothing(client, anonymous):
    ana, bo = create_user(client, Role.viewer), create_user(client, Role.viewer)
    token = reset_token_of(client.post(f"{API}/users/{ana['id']}/password-reset").json())
    forged = forged_reset_tokens(token, bo["id"])

    answers = [reset(anonymous, candidate).status_code for candidate in forged]

    assert answers == [422] * len(forged)
    assert isinstance(log_in(anonymous, ana["email"]), str)
    assert isinstance(log_in(anonymous, bo["email"]), str)


def test_a_replayed_reset_link_request_does_not_show_the_link_again(client):
    user = create_user(client, Role.viewer)
    path, key = f"{API}/users/{user['id']}/password-reset", {"Idempotency-Key": "reset-once"}

    first, replay = client.post(path, headers=key), client.post(path, headers=key)

    assert replay.headers["idempotent-replayed"] == "true"
    assert "token=" in first.json()["reset_url"]
    assert "token=" not in replay.json()["reset_url"]
