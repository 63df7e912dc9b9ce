"""`reqtrack demo`: from an empty database to one worth exploring."""

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from app.cli import cli
from tests.demo.helpers import api_as_first_admin


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


def test_the_demo_as_its_own_process_announces_every_entity_it_audits(tmp_path):
    """As `make demo` runs it: a process of its own, which loads no router."""
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("REQTRACK_")}
    env |= {"DATABASE_URL": url, "REQTRACK_DATA_DIR": str(tmp_path)}
    command = [str(Path(sys.executable).with_name("reqtrack")), "demo"]

    subprocess.run(command, env=env, check=True, capture_output=True, timeout=120)

    engine = create_engine(url)
    with engine.connect() as connection:
        created = dict(
            connection.execute(
                text("SELECT entity, count(*) FROM audit_entry WHERE action = 'create' GROUP BY 1")
            ).all()
        )
        announced = dict(
            connection.execute(text("SELECT type, count(*) FROM event GROUP BY 1")).all()
        )
    engine.dispose()
    verbs = {"decision": "recorded"}
    for entity, count in created.items():
        if entity in {"user"}:
            continue  # accounts are not in the change feed
        assert announced.get(f"{entity}.{verbs.get(entity, 'created')}") == count, entity
    assert set(created) >= {"stakeholder", "request", "need", "roadmap_item", "decision"}
