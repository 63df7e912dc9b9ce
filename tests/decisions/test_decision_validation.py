"""A decision with a bad body or an unknown subject is refused and records nothing."""

from datetime import timedelta

import pytest

from app.core.types import utcnow
from tests import factories
from tests.decisions.helpers import (
    API,
    MISSING_ID,
    SUBJECTS,
    decide,
    decide_need,
    fill_in,
    history,
    is_problem,
    listed_decision_ids,
    make_subject,
    post_decision,
)

# --- refusals ----------------------------------------------------------------------

# Bodies refused on a request; "ITEM", "SELF" and "OTHER_REQUEST" are filled in.
REFUSED_ON_A_REQUEST = {
    "why-missing": {"outcome": "declined"},
    "why-null": {"outcome": "declined", "why": None},
    "why-empty": {"outcome": "declined", "why": ""},
    "why-blank": {"outcome": "declined", "why": "   "},
    "why-too-long": {"outcome": "declined", "why": "x" * 5001},
    "why-with-nul": {"outcome": "declined", "why": "no\x00way"},
    "why-not-text": {"outcome": "declined", "why": 42},
    "outcome-missing": {"why": "Because."},
    "outcome-unknown": {"outcome": "maybe", "why": "Because."},
    "accepted-without-item": {"outcome": "accepted", "why": "Yes."},
    "accepted-with-null-item": {"outcome": "accepted", "why": "Yes.", "roadmap_item_id": None},
    "accepted-into-missing-item": {
        "outcome": "accepted",
        "why": "Yes.",
        "roadmap_item_id": MISSING_ID,
    },
    "deferred-into-missing-item": {
        "outcome": "deferred",
        "why": "Later.",
        "roadmap_item_id": MISSING_ID,
    },
    "item-id-as-text": {"outcome": "accepted", "why": "Yes.", "roadmap_item_id": "ITEM_TEXT"},
    "declined-with-item": {"outcome": "declined", "why": "No.", "roadmap_item_id": "ITEM"},
    "needs-info-with-item": {"outcome": "needs_info", "why": "?", "roadmap_item_id": "ITEM"},
    "duplicate-with-item": {
        "outcome": "duplicate",
        "why": "Same.",
        "duplicate_of_request_id": "OTHER_REQUEST",
        "roadmap_item_id": "ITEM",
    },
    "duplicate-without-original": {"outcome": "duplicate", "why": "Same."},
    "duplicate-of-itself": {
        "outcome": "duplicate",
        "why": "Same.",
        "duplicate_of_request_id": "SELF",
    },
    "duplicate-of-missing-request": {
        "outcome": "duplicate",
        "why": "Same.",
        "duplicate_of_request_id": MISSING_ID,
    },
    "revisit-at-words": {"outcome": "deferred", "why": "Later.", "revisit_at": "next week"},
    "revisit-at-impossible-day": {
        "outcome": "deferred",
        "why": "Later.",
        "revisit_at": "2030-02-30",
    },
    "revisit-at-timestamp": {
        "outcome": "deferred",
        "why": "Later.",
        "revisit_at": "2030-01-01T00:00:00Z",
    },
    "revisit-at-number": {"outcome": "deferred", "why": "Later.", "revisit_at": 20300101},
    "message-too-long": {"outcome": "declined", "why": "No.", "stakeholder_message": "x" * 5001},
    "message-with-nul": {"outcome": "declined", "why": "No.", "stakeholder_message": "a\x00"},
    "body-not-an-object": ["declined"],
}


@pytest.mark.parametrize("body", REFUSED_ON_A_REQUEST.values(), ids=REFUSED_ON_A_REQUEST.keys())
def test_a_refused_decision_is_422_and_records_nothing(client, body):
    request_id = make_subject(client, "requests")
    item_id = factories.roadmap_item(client)["id"]
    placeholders = {
        "ITEM": item_id,
        "ITEM_TEXT": str(item_id),
        "SELF": request_id,
        "OTHER_REQUEST": make_subject(client, "requests"),
    }
    earlier = decide(client, request_id)

    response = post_decision(client, "requests", request_id, fill_in(body, placeholders))

    assert is_problem(response, 422), response.text
    assert response.json()["errors"]
    assert history(client, "requests", request_id) == [earlier]
    assert listed_decision_ids(client) == {earlier["id"]}


REFUSED_ON_A_NEED = {
    "duplicate": {"outcome": "duplicate", "why": "Same.", "duplicate_of_request_id": "REQUEST"},
    "why-blank": {"outcome": "declined", "why": "   "},
    "accepted-without-item": {"outcome": "accepted", "why": "Yes."},
    "accepted-into-missing-item": {
        "outcome": "accepted",
        "why": "Yes.",
        "roadmap_item_id": MISSING_ID,
    },
}


@pytest.mark.parametrize("body", REFUSED_ON_A_NEED.values(), ids=REFUSED_ON_A_NEED.keys())
def test_a_refused_need_decision_is_422_and_records_nothing(client, body):
    need_id = make_subject(client, "needs")
    earlier = decide_need(client, need_id)

    response = post_decision(
        client, "needs", need_id, fill_in(body, {"REQUEST": make_subject(client, "requests")})
    )

    assert is_problem(response, 422), response.text
    assert history(client, "needs", need_id) == [earlier]


@pytest.mark.parametrize("kind", SUBJECTS)
def test_deciding_on_an_unknown_subject_is_404(client, kind):
    response = post_decision(client, kind, MISSING_ID, {"outcome": "declined", "why": "No."})

    assert is_problem(response, 404), response.text
    assert client.get(f"{API}/{kind}/{MISSING_ID}/decisions").status_code == 404
    assert listed_decision_ids(client) == set()


def test_a_revisit_date_in_the_past_is_refused_today_is_not(client):
    request = factories.request(client)
    yesterday = str(utcnow().date() - timedelta(days=1))
    body = {"outcome": "deferred", "why": "Later."}
    url = f"{API}/requests/{request['id']}/decisions"

    refused = client.post(url, json=body | {"revisit_at": yesterday})

    assert refused.status_code == 422, refused.text
    [error] = refused.json()["errors"]
    assert error["loc"] == ["body", "revisit_at"]
    assert error["msg"] == "revisit_at is in the past: give today or a later date"
    assert client.post(url, json=body | {"revisit_at": str(utcnow().date())}).status_code == 201
