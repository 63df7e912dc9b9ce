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


def test_a_body_too_large_is_a_problem_of_the_family(client, app):
    stakeholder = factories.stakeholder(client)
    too_long = "x" * (app.state.settings.max_body_bytes + 1)

    response = client.post(
        "/api/v1/requests", json={"title": too_long, "stakeholder_id": stakeholder["id"]}
    )

    assert response.status_code == 413
    assert response.json()["type"] == "urn:reqtrack:problem:payload-too-large"
