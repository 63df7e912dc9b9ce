"""The demo's week reads as a week: asks arrive on different days, answers come hours to
days later, and the summary's waits are ones a product team would believe."""

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.cli import cli
from app.core.config import get_settings
from tests.demo.helpers import api_as_first_admin

API = "/api/v1"
HOUR = 1.0
WEEK_HOURS = 7 * 24.0


@pytest.fixture
def demo(client: TestClient, settings, monkeypatch) -> TestClient:
    """The demo, loaded by the command line into the suite's own database (both
    backends), read back by an admin's client."""
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    loaded = CliRunner().invoke(cli, ["demo"])
    get_settings.cache_clear()
    assert loaded.exit_code == 0, loaded.output
    return client


def listed(api: TestClient, collection: str) -> list[dict]:
    return api.get(f"{API}/{collection}", params={"limit": 100}).json()["items"]


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_the_demos_requests_arrive_over_several_days_and_none_in_the_future(demo):
    now = datetime.now(UTC)

    arrivals = [moment(r["created_at"]) for r in listed(demo, "requests")]

    assert len({arrival.date() for arrival in arrivals}) >= 4
    assert max(arrivals) <= now
    assert min(arrivals) >= now - timedelta(days=14)


def test_every_demo_decision_comes_after_the_requests_it_answers(demo):
    now = datetime.now(UTC)
    requests = listed(demo, "requests")

    for decision in listed(demo, "decisions"):
        decided = moment(decision["decided_at"])
        answered = [
            r
            for r in requests
            if r["id"] == decision["request_id"]
            or (decision["need_id"] is not None and r["need_id"] == decision["need_id"])
        ]
        assert answered, decision
        assert decided <= now
        for request in answered:
            assert decided - moment(request["created_at"]) >= timedelta(hours=1), request
            assert moment(request["first_answered_at"]) <= decided


def test_what_the_demo_decides_on_existed_before_its_requests(demo):
    first_request = min(moment(r["created_at"]) for r in listed(demo, "requests"))

    for collection in ("stakeholders", "needs", "roadmap-items"):
        for row in listed(demo, collection):
            assert moment(row["created_at"]) <= first_request, (collection, row)


def assert_believable_waits(summary: dict) -> None:
    overall = summary["time_to_first_decision"]
    assert overall["decided_requests"] == 10
    for percentiles in [overall, *summary["time_to_first_decision_by_group"].values()]:
        for hours in (percentiles["p50_hours"], percentiles["p90_hours"]):
            assert HOUR <= hours <= WEEK_HOURS, overall


def test_the_summary_of_the_demo_shows_believable_waits_for_a_first_decision(demo):
    assert_believable_waits(demo.get(f"{API}/reports/summary").json())


@pytest.mark.parametrize("weekday", range(7))
def test_the_waits_stay_believable_whatever_day_the_demo_is_loaded(
    weekday, cli_database, monkeypatch
):
    """Weekends fall elsewhere in the demo's week each day: the waits hold on every one."""
    now = datetime.now(UTC)
    a_past_sunday = now - timedelta(days=now.weekday() + 8)
    loaded_on = a_past_sunday + timedelta(days=1 + weekday)
    monkeypatch.setattr("app.demo.dataset.utcnow", lambda: loaded_on)
    assert CliRunner().invoke(cli, ["demo"]).exit_code == 0
    api = api_as_first_admin(monkeypatch, cli_database)

    assert_believable_waits(api.get(f"{API}/reports/summary").json())
    asked = [moment(r["created_at"]) for r in listed(api, "requests")]
    decided = [moment(d["decided_at"]) for d in listed(api, "decisions")]
    assert [when for when in asked + decided if when.weekday() >= 5] == []  # no weekend work
