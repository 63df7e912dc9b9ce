"""Recording a decision on a request or a need: every field, every outcome, the why."""

from datetime import UTC, datetime

import pytest

from app.auth.models import Role
from tests import factories
from tests.decisions.helpers import (
    API,
    DECISION_FIELDS,
    MISSING_ID,
    SUBJECTS,
    decide,
    decision,
    history_ids,
    make_subject,
    post_decision,
)

# --- recording ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", SUBJECTS)
@pytest.mark.parametrize("role", [Role.manager, Role.admin])
def test_a_recorded_decision_answers_with_every_contract_field(client_as, users, kind, role):
    caller = client_as(role)
    subject_id = make_subject(caller, kind)
    item = factories.roadmap_item(caller)
    before = datetime.now(UTC)

    response = post_decision(
        caller,
        kind,
        subject_id,
        {
            "outcome": "accepted",
            "roadmap_item_id": item["id"],
            "why": "Three enterprise deals depend on it.",
            "stakeholder_message": "Planned for Q3.",
            "revisit_at": "2030-01-15",
        },
    )

    after = datetime.now(UTC)
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == DECISION_FIELDS
    subject_field, other_field = (
        ("request_id", "need_id") if kind == "requests" else ("need_id", "request_id")
    )
    assert body[subject_field] == subject_id
    assert body[other_field] is None
    assert body["outcome"] == "accepted"
    assert body["roadmap_item_id"] == item["id"]
    assert body["why"] == "Three enterprise deals depend on it."
    assert body["stakeholder_message"] == "Planned for Q3."
    assert body["duplicate_of_request_id"] is None
    assert body["decided_by"] == users[role].id
    decided_at = datetime.fromisoformat(body["decided_at"])
    assert decided_at.tzinfo is not None
    assert before <= decided_at <= after
    assert body["revisit_at"] == "2030-01-15"
    assert body["supersedes_id"] is None
    assert body["is_current"] is True
    assert body["suspect"] is False
    assert response.headers["Location"].endswith(f"{API}/decisions/{body['id']}")
    assert caller.get(response.headers["Location"]).json() == body


def test_optional_fields_default_to_null(client):
    request_id = make_subject(client, "requests")

    body = decide(client, request_id, outcome="declined", why="Out of scope.")

    assert body["roadmap_item_id"] is None
    assert body["stakeholder_message"] is None
    assert body["duplicate_of_request_id"] is None
    assert body["revisit_at"] is None


@pytest.mark.parametrize(
    "outcome_fields",
    [
        {"outcome": "declined"},
        {"outcome": "deferred"},
        {"outcome": "deferred", "roadmap_item_id": "ITEM", "revisit_at": "2030-06-01"},
        {"outcome": "needs_info", "revisit_at": "2030-06-01"},
        {"outcome": "duplicate", "duplicate_of_request_id": "OTHER_REQUEST"},
        {"outcome": "accepted", "roadmap_item_id": "ITEM"},
    ],
    ids=["declined", "deferred", "deferred-into-item", "needs-info", "duplicate", "accepted"],
)
def test_every_outcome_with_its_fields_is_recorded(client, outcome_fields):
    request_id = make_subject(client, "requests")
    placeholders = {
        "ITEM": factories.roadmap_item(client)["id"],
        "OTHER_REQUEST": make_subject(client, "requests"),
    }
    fields = {key: placeholders.get(value, value) for key, value in outcome_fields.items()}

    body = decide(client, request_id, **fields)

    for key, value in fields.items():
        assert body[key] == value
    assert history_ids(client, "requests", request_id) == [body["id"]]


def test_a_why_of_5000_characters_is_accepted(client):
    request_id = make_subject(client, "requests")

    assert decide(client, request_id, why="x" * 5000)["why"] == "x" * 5000


def test_why_is_stored_trimmed(client):
    request_id = make_subject(client, "requests")

    assert decide(client, request_id, why="  No budget.  ")["why"] == "No budget."


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", MISSING_ID),
        ("decided_by", "OTHER_USER"),
        ("decided_at", "2001-02-03T04:05:06Z"),
        ("is_current", False),
        ("supersedes_id", "UNRELATED_DECISION"),
        ("suspect", True),
    ],
)
def test_read_only_fields_in_the_body_are_never_applied(client, users, field, value):
    unrelated = decide(client, make_subject(client, "requests"))
    value = {"OTHER_USER": users[Role.viewer].id, "UNRELATED_DECISION": unrelated["id"]}.get(
        value, value
    )
    request_id = make_subject(client, "requests")
    first = decide(client, request_id)

    response = post_decision(
        client, "requests", request_id, {"outcome": "declined", "why": "Again no.", field: value}
    )

    assert response.status_code in (201, 422), response.text
    if response.status_code == 422:
        assert history_ids(client, "requests", request_id) == [first["id"]]
        return
    body = response.json()
    assert body["id"] != MISSING_ID
    assert body["decided_by"] == users[Role.admin].id
    assert not body["decided_at"].startswith("2001")
    assert body["is_current"] is True
    assert body["supersedes_id"] == first["id"]
    assert body["suspect"] is False
    assert decision(client, body["id"]) == body
    assert client.get(f"{API}/decisions/{MISSING_ID}").status_code == 404
