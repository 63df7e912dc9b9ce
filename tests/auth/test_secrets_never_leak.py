"""No response and no log line shows a password, a password hash or a token."""

import hashlib
import logging
from typing import Any

from sqlalchemy import Engine

from app.auth.models import Role
from tests.auth.helpers import (
    API,
    access_token,
    assert_accepted,
    bearer,
    client_with,
    create_service_token,
    create_user,
    log_in,
    new_user_body,
    stored_password_hash,
    stored_value,
)
from tests.auth.route_table import READ_ROUTES, Targets

# --- 6. secrets never leak -----------------------------------------------------------------

SECRET_PASSWORD = "secret matrix password: saffron kettle 42"


def _secrets_of(engine: Engine, user: dict[str, Any], token: dict[str, Any]) -> dict[str, str]:
    """What must never be shown, by name; checked against the database first."""
    password_hash = stored_password_hash(engine, user["id"])
    token_sha256 = hashlib.sha256(token["token"].encode()).hexdigest()
    assert password_hash.startswith("$argon2")
    assert stored_value(engine, "service_token", "token_hash", token["id"]) == token_sha256
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
