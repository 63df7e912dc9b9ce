"""Confirming a suspect decision records a trusted copy; only the current one, only once."""

import pytest

from app.auth.models import Role
from tests import factories
from tests.decisions.helpers import (
    API,
    DECISION_FIELDS,
    MISSING_ID,
    change_item,
    decide,
    decision,
    history_ids,
    is_problem,
    request_as_shown,
)


def test_confirming_a_suspect_decision_records_a_trusted_copy(client, users, accepted_request):
    item, request_id, accepted = accepted_request
    change_item(client, item["id"], horizon="next")

    response = client.post(
        f"{API}/decisions/{accepted['id']}/confirm", json={"why": "Slips a quarter; still on."}
    )

    assert response.status_code == 201, response.text
    confirmed = response.json()
    assert set(confirmed) == DECISION_FIELDS
    assert response.headers["Location"].endswith(f"{API}/decisions/{confirmed['id']}")
    assert confirmed["request_id"] == request_id
    assert confirmed["outcome"] == "accepted"
    assert confirmed["roadmap_item_id"] == item["id"]
    assert confirmed["why"] == "Slips a quarter; still on."
    assert confirmed["supersedes_id"] == accepted["id"]
    assert confirmed["decided_by"] == users[Role.admin].id
    assert (confirmed["is_current"], confirmed["suspect"]) == (True, False)
    superseded = decision(client, accepted["id"])
    assert (superseded["is_current"], superseded["suspect"]) == (False, False)
    assert request_as_shown(client, request_id)["decision"] == confirmed
    assert history_ids(client, "requests", request_id) == [confirmed["id"], accepted["id"]]


def test_confirming_a_superseded_decision_is_409(client, accepted_request):
    _, request_id, accepted = accepted_request
    newer = decide(client, request_id)

    response = client.post(f"{API}/decisions/{accepted['id']}/confirm", json={"why": "Still on."})

    assert is_problem(response, 409), response.text
    assert history_ids(client, "requests", request_id) == [newer["id"], accepted["id"]]


@pytest.mark.parametrize(
    "body",
    [{}, {"why": "   "}, {"why": "x" * 5001}, {"why": None}],
    ids=["none", "blank", "long", "null"],
)
def test_confirming_without_a_why_is_422(client, accepted_request, body):
    _, request_id, accepted = accepted_request

    response = client.post(f"{API}/decisions/{accepted['id']}/confirm", json=body)

    assert is_problem(response, 422), response.text
    assert history_ids(client, "requests", request_id) == [accepted["id"]]


def test_confirming_an_unknown_decision_is_404(client):
    response = client.post(f"{API}/decisions/{MISSING_ID}/confirm", json={"why": "Still on."})

    assert is_problem(response, 404), response.text


@pytest.mark.parametrize("role", [Role.contributor, Role.viewer])
def test_only_managers_and_admins_confirm(client_as, client, accepted_request, role):
    _, request_id, accepted = accepted_request

    response = client_as(role).post(
        f"{API}/decisions/{accepted['id']}/confirm", json={"why": "Still on."}
    )

    assert is_problem(response, 403), response.text
    assert history_ids(client, "requests", request_id) == [accepted["id"]]


def test_concurrent_confirmations_of_one_decision_let_exactly_one_through(app, client):
    from tests.requests.test_concurrent_writes import run_together

    item = factories.roadmap_item(client)
    request = factories.request(client)
    accepted = factories.created(
        client,
        f"/requests/{request['id']}/decisions",
        {"outcome": "accepted", "roadmap_item_id": item["id"], "why": "Yes"},
    )

    responses = run_together(
        app,
        client,
        lambda c: c.post(f"/api/v1/decisions/{accepted['id']}/confirm", json={"why": "Still yes"}),
        count=4,
    )

    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409]
    current = client.get("/api/v1/decisions", params={"current": "true"}).json()["items"]
    assert len(current) == 1


def test_confirming_a_superseded_decision_names_the_current_one(client, accepted_request):
    _, request_id, accepted = accepted_request
    newer = decide(client, request_id)

    response = client.post(f"{API}/decisions/{accepted['id']}/confirm", json={"why": "Still on."})

    assert is_problem(response, 409), response.text
    assert f"decision {newer['id']} is the current one" in response.json()["detail"]


def test_only_an_acceptance_is_confirmed(client):
    request = factories.request(client)
    declined = decide(client, request["id"], outcome="declined", why="Not for us.")

    response = client.post(f"{API}/decisions/{declined['id']}/confirm", json={"why": "Still no."})

    assert is_problem(response, 409), response.text
    assert "declined, not an acceptance" in response.json()["detail"]
    assert history_ids(client, "requests", request["id"]) == [declined["id"]]
