"""Request ids, log lines and /metrics, as an operator sees them."""

import io
import json
import re

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from app.core.config import Settings
from app.main import create_app
from app.ops.logs import configure_logging
from tests import factories
from tests.conftest import TEST_PASSWORD, app_on
from tests.webhooks.helpers import subscribe


@pytest.fixture
def log_lines(settings: Settings):
    """The JSON lines the app logs during the test."""
    stream = io.StringIO()
    configure_logging(json_lines=True, stream=stream)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    configure_logging(json_lines=settings.json_logs)


def test_every_answer_carries_a_request_id(anonymous: TestClient):
    made = anonymous.get("/healthz").headers["X-Request-ID"]
    echoed = anonymous.get("/healthz", headers={"X-Request-ID": "lb-7f3a.42"})
    replaced = anonymous.get("/healthz", headers={"X-Request-ID": "two words\tand a tab"})

    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert echoed.headers["X-Request-ID"] == "lb-7f3a.42"
    assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["X-Request-ID"])


def test_each_request_logs_one_json_line_with_its_id_and_route(client: TestClient, log_lines):
    created = factories.request(client)
    response = client.get(f"/api/v1/requests/{created['id']}", headers={"X-Request-ID": "abc-1"})

    line = next(line for line in log_lines() if line.get("request_id") == "abc-1")
    assert response.status_code == 200
    assert line["logger"] == "reqtrack.access"
    assert (line["method"], line["route"], line["status"]) == (
        "GET",
        "/api/v1/requests/{request_id}",
        200,
    )
    assert line["duration_ms"] >= 0


def test_no_log_line_shows_a_password_or_a_token(anonymous: TestClient, users, log_lines):
    login = anonymous.post(
        "/api/v1/auth/token", data={"username": "admin@example.com", "password": TEST_PASSWORD}
    )
    token = login.json()["access_token"]
    anonymous.get("/api/v1/requests", headers={"Authorization": f"Bearer {token}"})
    anonymous.post("/api/v1/auth/token", data={"username": "x@example.com", "password": "wrong!"})

    logged = json.dumps(log_lines())
    assert login.status_code == 200
    assert TEST_PASSWORD not in logged
    assert token not in logged
    assert "wrong!" not in logged


def metric(client: TestClient, sample: str) -> float:
    """The value of one sample of /metrics (0 when it is not there yet)."""
    for line in client.get("/metrics").text.splitlines():
        name, _, value = line.rpartition(" ")
        if name == sample:
            return float(value)
    return 0.0


def test_metrics_count_requests_by_route_template_and_status(client: TestClient):
    route = 'method="GET",route="/api/v1/requests/{request_id}"'
    found, missing = (
        f"reqtrack_http_requests_total{{{route},status={status}}}" for status in ('"200"', '"404"')
    )
    timed = f"reqtrack_http_request_duration_seconds_count{{{route}}}"
    before = {sample: metric(client, sample) for sample in (found, missing, timed)}
    created = factories.request(client)

    for request_id in (created["id"], created["id"], 999_999):
        client.get(f"/api/v1/requests/{request_id}")

    assert metric(client, found) - before[found] == 2
    assert metric(client, missing) - before[missing] == 1
    assert metric(client, timed) - before[timed] == 3
    routes = set(re.findall(r'route="([^"]*)"', client.get("/metrics").text))
    assert not any("999999" in route for route in routes)  # templates, not raw paths


def test_metrics_show_the_pool_and_the_webhook_backlog(client: TestClient):
    subscribe(client, "http://127.0.0.1:9/hooks")
    behind = metric(client, "reqtrack_webhook_events_behind")
    for _ in range(3):
        factories.stakeholder(client)  # three events no dispatcher has queued yet

    response = client.get("/metrics")

    assert response.headers["content-type"].startswith("text/plain")
    assert metric(client, "reqtrack_webhook_events_behind") - behind == 3
    assert 'reqtrack_webhook_deliveries{status="pending"} 0.0' in response.text
    assert 'reqtrack_db_pool_connections{state="in_use"}' in response.text


def test_metrics_with_a_token_set_answer_only_to_it(settings: Settings, engine):
    protected = app_on(
        engine, settings.model_copy(update={"metrics_token": SecretStr("scrape-me-42")})
    )
    scraper = TestClient(protected)

    anonymous = scraper.get("/metrics")
    wrong = scraper.get("/metrics", headers={"Authorization": "Bearer scrape-me-43"})
    right = scraper.get("/metrics", headers={"Authorization": "Bearer scrape-me-42"})

    assert anonymous.status_code == wrong.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"
    assert right.status_code == 200
    assert "reqtrack_http_requests_total" in right.text


@pytest.mark.parametrize(
    "path", ["/healthz", "/api/v1/requests", "/api/v1/requests/1", "/api/v1/nothing"]
)
def test_every_answer_says_its_type_is_not_to_be_sniffed(client: TestClient, path: str):
    factories.request(client)

    assert client.get(path).headers["x-content-type-options"] == "nosniff"


def test_an_unexpected_error_is_a_500_problem_with_the_request_id_on_it_and_its_log_line(
    settings: Settings, request
):
    app = create_app(settings)  # (it sets up logging: capture the lines after it)
    log_lines = request.getfixturevalue("log_lines")

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("a bug")

    response = TestClient(app, raise_server_exceptions=False).get(
        "/boom", headers={"X-Request-ID": "bug-42"}
    )

    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["X-Request-ID"] == "bug-42"
    errors = [line for line in log_lines() if line["level"] == "error"]
    assert [line["request_id"] for line in errors] == ["bug-42"]
    assert "RuntimeError: a bug" in errors[0]["exception"]
