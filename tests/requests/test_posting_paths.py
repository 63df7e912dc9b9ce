"""POST /requests is written one of two ways: a plain request goes through the driver on
the event loop (service.create_and_commit), anything else through the session. Clients,
the audit log and the change feed cannot tell which."""

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.events import journal
from app.requests import service
from tests import factories

API = "/api/v1"
MOMENTS = ("id", "created_at", "updated_at")


def _without_moments(value: dict[str, Any]) -> dict[str, Any]:
    return {key: item for key, item in value.items() if key not in MOMENTS}


def _trail(client: TestClient, request_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The request's audit entry and its `request.created` event."""
    params = {"entity": "request", "entity_id": request_id}
    (entry,) = client.get(f"{API}/audit", params=params).json()["items"]
    events = client.get(f"{API}/events", params={"type": "request.created", "limit": 200})
    (event,) = [e for e in events.json()["items"] if e["data"]["id"] == request_id]
    return entry, event


@pytest.fixture
def through_the_session(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each request the service wrote through the session (write_and_commit)."""
    written: list[str] = []
    write_and_commit = service.write_and_commit

    async def recorded(session: Any, write: Callable[[], Any], **options: Any) -> Any:
        written.append("session")
        return await write_and_commit(session, write, **options)

    monkeypatch.setattr(service, "write_and_commit", recorded)
    return written


def test_a_plain_request_and_one_written_through_the_session_leave_the_same_trail(
    client: TestClient, through_the_session: list[str]
):
    stakeholder = factories.stakeholder(client)
    body = {"title": "Export to CSV", "stakeholder_id": stakeholder["id"], "customer": "Acme"}

    plain = client.post(f"{API}/requests", json=body)
    # An Idempotency-Key's claim is pending in the session: this one is written through it.
    keyed = client.post(f"{API}/requests", json=body, headers={"Idempotency-Key": "k-1"})

    assert plain.status_code == keyed.status_code == 201
    # The plain one went through the driver on the event loop.
    assert through_the_session == ["session"]
    assert _without_moments(plain.json()) == _without_moments(keyed.json())
    assert client.get(plain.headers["Location"]).json() == plain.json()
    (plain_entry, plain_event), (keyed_entry, keyed_event) = (
        _trail(client, response.json()["id"]) for response in (plain, keyed)
    )
    assert _without_moments(plain_entry["after"]) == _without_moments(keyed_entry["after"])
    assert plain_entry["after"]["id"] == plain.json()["id"]
    assert (plain_entry["action"], plain_entry["actor_id"]) == ("create", keyed_entry["actor_id"])
    assert plain_event["data"] == plain.json()
    assert _without_moments(plain_event["data"]) == _without_moments(keyed_event["data"])


def test_a_plain_request_for_no_stakeholder_is_refused_and_leaves_nothing(client: TestClient):
    before = client.get(f"{API}/events").json()["items"]

    response = client.post(f"{API}/requests", json={"title": "Orphan", "stakeholder_id": 999_999})

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "stakeholder_id"]
    assert client.get(f"{API}/requests").json()["items"] == []
    assert client.get(f"{API}/events").json()["items"] == before


def test_a_request_whose_event_cannot_be_written_is_not_written_at_all(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
):
    stakeholder = factories.stakeholder(client)
    journal_of = journal.journal_of

    def without_event_type(*args: Any) -> journal.Journal:
        made = journal_of(*args)
        made.events[0]["type"] = None  # NOT NULL: the transaction's last insert fails
        return made

    for module in (journal, service):  # either way of writing it
        monkeypatch.setattr(module, "journal_of", without_event_type)

    response = client.post(
        f"{API}/requests", json={"title": "Half", "stakeholder_id": stakeholder["id"]}
    )

    assert response.status_code == 409
    assert client.get(f"{API}/requests").json()["items"] == []
    entries = client.get(f"{API}/audit", params={"entity": "request"}).json()["items"]
    assert entries == []
