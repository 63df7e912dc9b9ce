"""Every error is RFC 9457 problem+json, and nothing leaks a traceback."""

from fastapi.testclient import TestClient

from app.core.config import Settings
from app.main import create_app


def assert_problem(response, status):
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail"} <= body.keys()
    return body


def test_unknown_route_is_a_404_problem(client):
    assert_problem(client.get("/api/v1/nothing-here"), 404)


def test_unsupported_method_is_a_405_problem(client):
    response = client.put("/api/v1/stakeholders", json={})

    assert_problem(response, 405)
    assert "GET" in response.headers["allow"]


def test_validation_error_lists_loc_and_msg_without_echoing_input(client):
    body = assert_problem(client.post("/api/v1/stakeholders", json={"weight": "secret"}), 422)

    locs = [error["loc"] for error in body["errors"]]
    assert ["body", "name"] in locs
    assert ["body", "weight"] in locs
    assert all(error.keys() == {"loc", "msg"} for error in body["errors"])
    assert "secret" not in str(body)


def test_unexpected_errors_are_a_500_problem_without_traceback(tmp_path):
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", data_dir=tmp_path))

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("internal detail: password=hunter2")

    response = TestClient(app, raise_server_exceptions=False).get("/boom")

    body = assert_problem(response, 500)
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text
    assert body["type"].endswith("internal-error")


def test_a_body_over_the_limit_is_refused_with_413_and_writes_nothing(client):
    huge = b'{"name": "' + b"x" * (11 * 1024 * 1024) + b'"}'

    response = client.post(
        "/api/v1/stakeholders", content=huge, headers={"Content-Type": "application/json"}
    )

    assert_problem(response, 413)
    assert client.get("/api/v1/stakeholders").json()["items"] == []


def test_a_chunked_body_over_the_limit_is_refused_with_413(client):
    def chunks():
        for _ in range(11):
            yield b"x" * (1024 * 1024)

    response = client.post(
        "/api/v1/stakeholders", content=chunks(), headers={"Content-Type": "application/json"}
    )

    assert_problem(response, 413)
