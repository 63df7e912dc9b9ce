"""Recording and superseding decisions are audited: who, what, before and after."""

from typing import Any

from fastapi.testclient import TestClient

from app.auth.models import Role
from tests.decisions.helpers import API, decide, make_subject

# --- audit -------------------------------------------------------------------------


def audit_of(client: TestClient, decision_id: int) -> list[dict[str, Any]]:
    response = client.get(f"{API}/audit", params={"entity": "decision", "entity_id": decision_id})
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["items"]
    return entries


def test_recording_a_decision_is_audited_with_who_and_what(client, users):
    made = decide(client, make_subject(client, "requests"), why="Too niche.")

    entries = audit_of(client, made["id"])

    assert [e["action"] for e in entries] == ["create"]
    entry = entries[0]
    assert entry["actor_id"] == users[Role.admin].id
    assert entry["before"] is None
    assert entry["after"]["why"] == "Too niche."
    assert entry["after"]["outcome"] == "declined"


def test_superseding_is_audited_on_the_old_decision(client):
    request_id = make_subject(client, "requests")
    first = decide(client, request_id)
    second = decide(client, request_id)

    entries = audit_of(client, first["id"])

    assert [e["action"] for e in entries] == ["update", "create"]
    assert entries[0]["before"]["is_current"] is True
    assert entries[0]["after"]["is_current"] is False
    assert [e["action"] for e in audit_of(client, second["id"])] == ["create"]
