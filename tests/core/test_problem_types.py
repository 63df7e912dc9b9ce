"""Every error answers a problem of the urn:reqtrack:problem:* family, routing's too."""

import pytest

from tests import factories


@pytest.mark.parametrize(
    ("method", "path", "status", "type_"),
    [
        ("GET", "/api/v1/no-such-thing", 404, "not-found"),
        ("GET", "/nowhere", 404, "not-found"),
        ("DELETE", "/api/v1/events", 405, "method-not-allowed"),
        ("PUT", "/api/v1/requests", 405, "method-not-allowed"),
    ],
)
def test_routing_errors_are_problems_of_the_family(client, method, path, status, type_):
    response = client.request(method, path)

    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == f"urn:reqtrack:problem:{type_}"


def test_an_unknown_path_says_where_the_api_is(client):
    response = client.get("/api/v2/requests")

    assert "the API is under /api/v1" in response.json()["detail"]


def test_an_unknown_path_under_the_api_points_at_its_list(client):
    response = client.get("/api/v1/Requests")

    assert response.json()["detail"] == ("The API has no such path: /docs lists them all.")


def test_a_body_too_large_is_a_problem_of_the_family(client, app):
    stakeholder = factories.stakeholder(client)
    too_long = "x" * (app.state.settings.max_body_bytes + 1)

    response = client.post(
        "/api/v1/requests", json={"title": too_long, "stakeholder_id": stakeholder["id"]}
    )

    assert response.status_code == 413
    assert response.json()["type"] == "urn:reqtrack:problem:payload-too-large"


def test_a_form_sent_to_a_json_endpoint_is_415_asking_for_json(client):
    stakeholder = factories.stakeholder(client)

    response = client.post(
        "/api/v1/requests", data={"title": "SSO", "stakeholder_id": str(stakeholder["id"])}
    )

    assert response.status_code == 415, response.text
    assert response.json()["type"] == "urn:reqtrack:problem:unsupported-media-type"
    assert "application/json" in response.json()["detail"]
    assert client.get("/api/v1/requests").json()["items"] == []


def test_json_sent_to_the_login_form_is_415_asking_for_the_form(client):
    response = client.post(
        "/api/v1/auth/token", json={"username": "ann@example.com", "password": "secret"}
    )

    assert response.status_code == 415, response.text
    assert "OAuth2 form" in response.json()["detail"]
