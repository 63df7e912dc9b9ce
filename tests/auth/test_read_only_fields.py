"""No body sets a read-only field (no mass assignment): ids, versions, creators, hashes, roles."""

from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import SQLModel

from app.auth.models import Role
from app.core.security import hash_password
from tests import factories
from tests.auth.helpers import (
    API,
    PASSWORD,
    assert_problem,
    bearer,
    client_with,
    create_service_token,
    create_user,
    database_rows,
    log_in,
    new_user_body,
    stored_password_hash,
    user_client,
)
from tests.auth.route_table import BODY_ROUTES, Targets, call

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

    body = {"title": "Whose is it?", "stakeholder_id": stakeholder["id"]}
    claimed = {
        "created_by": users[Role.admin].id,
        "created_by_service_token_id": stranger_token["id"],
    }

    assert_problem(
        contributor.post(f"{API}/requests", json=body | claimed), 422, "a creator claimed"
    )
    response = contributor.post(f"{API}/requests", json=body)

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

    assert_problem(response, 422, "read-only fields in a user's PATCH")
    shown = client.get(own_url).json()
    assert shown["display_name"] == admin["display_name"]
    assert (shown["id"], shown["email"]) == (admin["id"], admin["email"])
    assert not shown["created_at"].startswith(INJECTED_TIME[:10])
    assert stored_password_hash(engine, admin["id"]) == stored_hash


def test_creating_a_user_refuses_a_password_hash_and_active_in_the_body(app, client):
    chosen_password = "a password chosen by the attacker"
    body = new_user_body(Role.viewer)
    claimed = {"password_hash": hash_password(chosen_password), "active": False}

    assert_problem(client.post(f"{API}/users", json=body | claimed), 422, "a hash claimed")
    user = factories.created(client, "/users", body)

    assert user["active"] is True
    assert log_in(app, user["email"], chosen_password).status_code == 401
    assert log_in(app, user["email"], PASSWORD).status_code == 200
