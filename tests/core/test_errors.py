"""Every error is RFC 9457 problem+json, and nothing leaks a traceback."""

import asyncio

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


def _post_raw(app, headers, receive):
    """POST /api/v1/requests straight through the ASGI app: what it reads is what it asked."""
    sent = []

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/api/v1/requests",
        "raw_path": b"/api/v1/requests",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json"), *headers],
        "scheme": "http",
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 1),
        "http_version": "1.1",
        "app": app,
    }
    asyncio.run(app.middleware_stack(scope, receive, send))
    return sent[0]["status"]


def test_a_100_mb_upload_is_refused_early_without_being_read(app):
    read = 0

    async def hundred_megabytes():
        nonlocal read
        read += 1024 * 1024
        return {
            "type": "http.request",
            "body": b"x" * (1024 * 1024),
            "more_body": read < 100 * 2**20,
        }

    status = _post_raw(app, [], hundred_megabytes)

    assert status == 413
    # Refused once past the 10 MiB limit: the rest was never asked for.
    assert read <= 11 * 1024 * 1024


def test_a_declared_100_mb_body_is_refused_before_a_byte_is_read(app):
    read = []

    async def receive():
        read.append(1)
        return {"type": "http.request", "body": b"", "more_body": True}

    status = _post_raw(app, [(b"content-length", str(100 * 1024 * 1024).encode())], receive)

    assert status == 413
    assert read == []
