"""Contributors and service tokens edit only the requests they created (no BOLA)."""

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.auth.models import Role
from tests import factories
from tests.auth.helpers import (
    API,
    _unique,
    assert_problem,
    bearer,
    client_with,
    create_service_token,
    create_user,
    database_rows,
    user_client,
)

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
