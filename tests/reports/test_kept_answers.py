"""Reports and traces are kept between calls, never past a change to the data."""

from concurrent.futures import ThreadPoolExecutor

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.core.config import Settings
from tests import factories
from tests.conftest import app_on

SUMMARY = "/api/v1/reports/summary"


def new_requests(client: TestClient) -> int:
    response = client.get(SUMMARY)
    assert response.status_code == 200, response.text
    count: int = response.json()["requests_by_status"]["new"]
    return count


def test_a_report_shows_the_write_made_just_before_it(client):
    factories.request(client)
    assert new_requests(client) == 1

    factories.request(client)
    assert new_requests(client) == 2
    assert new_requests(client) == 2  # and again, unchanged


def test_a_trace_shows_the_decision_made_just_before_it(client):
    item = factories.roadmap_item(client)
    request = factories.request(client)
    trace = f"/api/v1/roadmap-items/{item['id']}/trace"
    assert client.get(trace).json()["requests"] == []

    body = {"outcome": "accepted", "why": "Fits", "roadmap_item_id": item["id"]}
    factories.created(client, f"/requests/{request['id']}/decisions", body)

    traced = client.get(trace).json()["requests"]
    assert [t["request"]["id"] for t in traced] == [request["id"]]


def test_a_write_through_another_server_process_shows_in_the_next_report(
    client: TestClient, app: FastAPI, settings: Settings, engine: Engine
):
    factories.request(client)
    assert new_requests(client) == 1
    other_server = app_on(engine, settings)  # its own caches, the same database
    other = TestClient(other_server, headers=dict(client.headers))

    factories.request(other)

    assert new_requests(client) == 2


def test_readers_arriving_together_all_get_the_current_answer(client):
    for _ in range(3):
        factories.request(client)

    with ThreadPoolExecutor(max_workers=8) as pool:
        counts = list(pool.map(lambda _: new_requests(client), range(16)))

    assert counts == [3] * 16
