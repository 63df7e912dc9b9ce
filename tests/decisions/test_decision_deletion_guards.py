"""A request, need or roadmap item that a decision refers to cannot be deleted."""

import pytest

from tests import factories
from tests.decisions.helpers import (
    API,
    accept,
    decide,
    decide_need,
    decision,
    history,
    is_problem,
    make_subject,
    request_as_shown,
)

# --- deletion guards ---------------------------------------------------------------


def test_a_request_with_decisions_cannot_be_deleted(client):
    request_id = make_subject(client, "requests")
    made = decide(client, request_id)

    response = client.delete(f"{API}/requests/{request_id}")

    assert is_problem(response, 409), response.text
    assert request_as_shown(client, request_id)["decision"] == made
    assert history(client, "requests", request_id) == [made]


def test_a_request_named_as_the_original_of_a_duplicate_cannot_be_deleted(client):
    original = make_subject(client, "requests")
    duplicate = decide(
        client,
        make_subject(client, "requests"),
        outcome="duplicate",
        duplicate_of_request_id=original,
    )

    response = client.delete(f"{API}/requests/{original}")

    assert is_problem(response, 409), response.text
    assert client.get(f"{API}/requests/{original}").status_code == 200
    assert decision(client, duplicate["id"]) == duplicate


def test_a_need_with_decisions_cannot_be_deleted(client):
    need_id = make_subject(client, "needs")
    made = decide_need(client, need_id)

    response = client.delete(f"{API}/needs/{need_id}")

    assert is_problem(response, 409), response.text
    assert client.get(f"{API}/needs/{need_id}").status_code == 200
    assert history(client, "needs", need_id) == [made]


@pytest.mark.parametrize(
    "how",
    ["accepted-current", "accepted-superseded", "deferred"],
)
def test_a_roadmap_item_a_decision_points_at_cannot_be_deleted(client, how):
    item_id = factories.roadmap_item(client)["id"]
    request_id = make_subject(client, "requests")
    if how == "deferred":
        made = decide(client, request_id, outcome="deferred", roadmap_item_id=item_id)
    else:
        made = accept(client, "requests", request_id, item_id)
    if how == "accepted-superseded":
        decide(client, request_id, outcome="declined")
        made = decision(client, made["id"])

    response = client.delete(f"{API}/roadmap-items/{item_id}")

    assert is_problem(response, 409), response.text
    assert client.get(f"{API}/roadmap-items/{item_id}").status_code == 200
    assert decision(client, made["id"]) == made
