"""GET /decisions: filters, newest first with pagination, and bad filters refused."""

import pytest

from app.auth.models import Role
from tests import factories
from tests.decisions.helpers import (
    API,
    accept,
    change_item,
    decide,
    is_problem,
    listed_decision_ids,
    make_subject,
)


@pytest.fixture
def decisions_to_filter(client, client_as, users):
    """A mix of decisions, named by what the filters should find."""
    manager = client_as(Role.manager)
    sso, exports, audit_log = (factories.roadmap_item(client) for _ in range(3))
    request_a = make_subject(client, "requests")
    superseded = decide(client, request_a, outcome="declined")
    accepted_a = accept(client, "requests", request_a, sso["id"])
    deferred_b = decide(
        client, make_subject(client, "requests"), outcome="deferred", roadmap_item_id=exports["id"]
    )
    accepted_need = accept(manager, "needs", make_subject(client, "needs"), sso["id"])
    suspect_c = accept(client, "requests", make_subject(client, "requests"), audit_log["id"])
    change_item(client, audit_log["id"], horizon="now")
    ids = {
        "superseded": superseded["id"],
        "accepted_a": accepted_a["id"],
        "deferred_b": deferred_b["id"],
        "accepted_need": accepted_need["id"],
        "suspect_c": suspect_c["id"],
    }
    return ids, {"sso": sso["id"], "exports": exports["id"], "manager": users[Role.manager].id}


FILTER_CASES = [
    ({}, {"superseded", "accepted_a", "deferred_b", "accepted_need", "suspect_c"}),
    ({"outcome": "accepted"}, {"accepted_a", "accepted_need", "suspect_c"}),
    ({"outcome": "deferred"}, {"deferred_b"}),
    ({"outcome": "declined"}, {"superseded"}),
    ({"outcome": "duplicate"}, set()),
    ({"roadmap_item_id": "sso"}, {"accepted_a", "accepted_need"}),
    ({"roadmap_item_id": "exports"}, {"deferred_b"}),
    ({"decided_by": "manager"}, {"accepted_need"}),
    ({"current": "true"}, {"accepted_a", "deferred_b", "accepted_need", "suspect_c"}),
    ({"current": "false"}, {"superseded"}),
    ({"suspect": "true"}, {"suspect_c"}),
    ({"suspect": "false"}, {"superseded", "accepted_a", "deferred_b", "accepted_need"}),
    ({"outcome": "accepted", "suspect": "false"}, {"accepted_a", "accepted_need"}),
]


def query_id(params: dict[str, str]) -> str:
    return "&".join(f"{key}={value}" for key, value in params.items()) or "no-filter"


@pytest.mark.parametrize(
    ("params", "expected"), FILTER_CASES, ids=[query_id(params) for params, _ in FILTER_CASES]
)
def test_list_filters(client, decisions_to_filter, params, expected):
    ids, references = decisions_to_filter
    query = {key: references.get(value, value) for key, value in params.items()}

    assert listed_decision_ids(client, **query) == {ids[name] for name in expected}


def test_list_is_newest_first_and_paginates(client):
    request_id = make_subject(client, "requests")
    made = [decide(client, request_id)["id"] for _ in range(3)]

    first = client.get(f"{API}/decisions", params={"limit": 2}).json()
    rest = client.get(f"{API}/decisions", params={"limit": 2, "cursor": first["next_cursor"]})

    assert [d["id"] for d in first["items"]] == made[:0:-1]
    assert [d["id"] for d in rest.json()["items"]] == made[:1]
    assert rest.json()["next_cursor"] is None


@pytest.mark.parametrize(
    "params",
    [
        {"outcome": "maybe"},
        {"current": "perhaps"},
        {"suspect": "perhaps"},
        {"decided_by": "someone"},
        {"roadmap_item_id": "0"},
        {"colour": "red"},
    ],
    ids=query_id,
)
def test_bad_list_filters_are_422(client, params):
    assert is_problem(client.get(f"{API}/decisions", params=params), 422)
