"""`reqtrack demo`: from an empty database to one worth exploring."""

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.cli import cli
from app.core.config import get_settings
from tests.conftest import TEST_SECRET_KEY, app_on


def api_as_first_admin(monkeypatch, engine) -> TestClient:
    monkeypatch.setenv("REQTRACK_SECRET_KEY", TEST_SECRET_KEY)
    get_settings.cache_clear()
    app = app_on(engine)
    client = TestClient(app)
    client.headers["Authorization"] = "Bearer " + app.state.token_issuer.issue("user:1")
    return client


def test_demo_fills_an_empty_database_with_decided_and_waiting_requests(cli_database, monkeypatch):
    result = CliRunner().invoke(cli, ["demo"])

    assert result.exit_code == 0, result.output
    assert "demo loaded: 8 stakeholders, 13 requests, 5 needs, 3 roadmap items" in result.output
    api = api_as_first_admin(monkeypatch, cli_database)
    summary = api.get("/api/v1/reports/summary").json()
    assert summary["requests_by_status"] == {"new": 2, "triaged": 1, "decided": 10}
    assert set(summary["requests_by_group"]) >= {"sales", "support", "finance", "marketing"}
    sso = api.get("/api/v1/roadmap-items", params={"q": "single sign-on"}).json()["items"][0]
    traced = api.get(f"/api/v1/roadmap-items/{sso['id']}/trace").json()
    assert {t["request"]["customer"] for t in traced["requests"]} >= {"Acme Corp", "Globex"}
    assert float(traced["demand"]["revenue_at_stake"]) == 278_000


def test_demo_refuses_a_database_that_already_holds_data(cli_database):
    runner = CliRunner()
    assert runner.invoke(cli, ["demo"]).exit_code == 0

    again = runner.invoke(cli, ["demo"])

    assert again.exit_code == 1
    assert "--force" in again.output
