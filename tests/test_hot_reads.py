"""Hot reads (app/hot_reads.py): a plain GET /requests/{id} is answered before routing,
and everything else reaches the route. Either way the client gets the same answer."""

from collections.abc import Iterator

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from app.api import HOT_PATH_DOES_ITSELF, HOT_READS, hot_reads_of
from app.auth.models import Role
from app.auth.router import get_user
from app.core.direct import DirectReads, direct_reads
from app.core.types import MAX_ID
from app.hot_reads import hot_routes
from app.requests.router import answer_request
from tests import factories
from tests.conftest import RoleClient

REQUESTS = "/api/v1/requests"


@pytest.fixture
def routed(app: FastAPI) -> Iterator[list[str]]:
    """The paths of the reads that went through routing (the route's dependencies ran)."""
    paths: list[str] = []

    async def recording_reads(request: Request) -> DirectReads:
        if request.method == "GET":
            paths.append(request.url.path)
        return await direct_reads(request)

    app.dependency_overrides[direct_reads] = recording_reads
    yield paths
    del app.dependency_overrides[direct_reads]


@pytest.mark.parametrize("role", list(Role))
def test_a_plain_read_is_answered_before_routing_for_every_role(
    client: TestClient, client_as: RoleClient, routed: list[str], role: Role
):
    created = factories.request(client, title="Export to CSV")

    response = client_as(role).get(f"{REQUESTS}/{created['id']}")

    assert response.status_code == 200
    assert response.json() == created
    assert response.headers["etag"] == f'W/"{created["version"]}"'
    assert response.headers["x-request-id"]  # still inside the ops middleware
    assert routed == []


def test_the_hot_answer_is_the_routes_answer(client: TestClient, routed: list[str]):
    need = factories.need(client)
    created = factories.request(client, need_id=need["id"], customer="Acme")
    decided = client.post(
        f"/api/v1/needs/{need['id']}/decisions",
        json={"outcome": "declined", "why": "Not this year", "stakeholder_message": "No"},
    )
    assert decided.status_code == 201, decided.text
    path = f"{REQUESTS}/{created['id']}"

    hot = client.get(path)
    via_route = client.get(path, params={"unused": "1"})  # a query string: routed

    assert routed == [path]
    assert hot.status_code == via_route.status_code == 200
    assert hot.content == via_route.content
    assert hot.json()["decision"]["why"] == "Not this year"
    for header in ("content-type", "content-length", "etag"):
        assert hot.headers[header] == via_route.headers[header]


def test_a_missing_request_is_a_404_from_the_apps_own_handler(
    client: TestClient, routed: list[str]
):
    response = client.get(f"{REQUESTS}/999999")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "Request 999999 does not exist."
    assert routed == []  # not read a second time by the route


@pytest.mark.parametrize("spelling", ["0", str(MAX_ID + 1), "-1", "x1"])
def test_ids_it_cannot_answer_are_refused_by_the_route(
    client: TestClient, routed: list[str], spelling: str
):
    response = client.get(f"{REQUESTS}/{spelling}")

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert routed == [f"{REQUESTS}/{spelling}"]


def test_a_leading_zero_is_left_to_the_route(client: TestClient, routed: list[str]):
    created = factories.request(client)

    response = client.get(f"{REQUESTS}/0{created['id']}")

    assert response.status_code == 200
    assert response.json() == created
    assert routed == [f"{REQUESTS}/0{created['id']}"]


@pytest.mark.parametrize(
    "authorization", [None, "Bearer", "Bearer not-a-token", "Basic dXNlcjpwYXNz"]
)
def test_no_valid_token_is_refused_by_the_route(
    client: TestClient, anonymous: TestClient, authorization: str | None
):
    created = factories.request(client)
    headers = {} if authorization is None else {"Authorization": authorization}

    response = anonymous.get(f"{REQUESTS}/{created['id']}", headers=headers)

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_a_deactivated_users_token_stops_on_the_next_read(client: TestClient, app: FastAPI):
    created = factories.request(client)
    user = factories.created(
        client,
        "/users",
        {"email": "gone@example.com", "display_name": "Gone", "password": "x" * 16},
    )
    token = app.state.token_issuer.issue(f"user:{user['id']}")
    reader = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    assert reader.get(f"{REQUESTS}/{created['id']}").status_code == 200

    client.patch(f"/api/v1/users/{user['id']}", json={"active": False})

    assert reader.get(f"{REQUESTS}/{created['id']}").status_code == 401


def test_a_service_token_due_to_record_its_use_is_routed_once(
    client: TestClient, anonymous: TestClient, routed: list[str]
):
    created = factories.request(client)
    token = client.post("/api/v1/service-tokens", json={"name": "crm", "role": "viewer"})
    headers = {"Authorization": f"Bearer {token.json()['token']}"}
    path = f"{REQUESTS}/{created['id']}"

    first, second = (anonymous.get(path, headers=headers) for _ in range(2))

    assert first.status_code == second.status_code == 200
    assert routed == [path]  # the first records the token's use; the second needs nothing
    listed = client.get("/api/v1/service-tokens").json()["items"]
    assert listed[0]["last_used_at"] is not None


def test_a_route_with_a_check_the_hot_path_would_skip_cannot_be_hot(app: FastAPI):
    # GET /users/{id} is for admins only: answered before routing, anyone could read it.
    with pytest.raises(RuntimeError, match="cannot be hot"):
        hot_routes(app, {get_user: answer_request}, may_skip=HOT_PATH_DOES_ITSELF)


def test_the_served_hot_routes_are_those_the_api_lists(app: FastAPI):
    assert [hot.answer for hot in hot_reads_of(app)] == list(HOT_READS.values())


def test_behind_a_proxy_prefix_the_plain_read_is_still_hot(
    client: TestClient, app: FastAPI, routed: list[str]
):
    created = factories.request(client)
    proxied = TestClient(app, root_path="/tracker", headers=client.headers)

    response = proxied.get(f"/tracker{REQUESTS}/{created['id']}")

    assert response.status_code == 200
    assert response.json() == created
    assert routed == []
