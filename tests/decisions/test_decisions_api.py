"""Decisions: yes, no or not now, always with the why; never edited, only superseded.

Covers recording (on a request or a need), every refusal, supersession and history,
append-only, one current decision per subject under concurrent posts, the effective
decision a request shows, suspect links and confirmation, deletion guards and audit.
"""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from threading import Barrier
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.auth.models import Role
from tests import factories

API = "/api/v1"
MISSING_ID = 987_654_321
DECISION_FIELDS = {
    "id",
    "request_id",
    "need_id",
    "outcome",
    "roadmap_item_id",
    "why",
    "stakeholder_message",
    "duplicate_of_request_id",
    "decided_by",
    "decided_at",
    "revisit_at",
    "supersedes_id",
    "is_current",
    "suspect",
}
SUBJECTS = ["requests", "needs"]


# --- helpers -----------------------------------------------------------------------


def make_subject(client: TestClient, kind: str) -> int:
    """A fresh request or need (kind is the path segment), by id."""
    made = factories.request(client) if kind == "requests" else factories.need(client)
    return int(made["id"])


def post_decision(client: TestClient, kind: str, subject_id: int, body: Any) -> Any:
    return client.post(f"{API}/{kind}/{subject_id}/decisions", json=body)


def decide_on(client: TestClient, kind: str, subject_id: int, **fields: Any) -> dict[str, Any]:
    """Record a decision (declined, with a why, unless told otherwise); 201 or fail."""
    body = {"outcome": "declined", "why": "Not for our market."} | fields
    response = post_decision(client, kind, subject_id, body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def decide(client: TestClient, request_id: int, **fields: Any) -> dict[str, Any]:
    return decide_on(client, "requests", request_id, **fields)


def decide_need(client: TestClient, need_id: int, **fields: Any) -> dict[str, Any]:
    return decide_on(client, "needs", need_id, **fields)


def accept(client: TestClient, kind: str, subject_id: int, item_id: int) -> dict[str, Any]:
    return decide_on(
        client, kind, subject_id, outcome="accepted", roadmap_item_id=item_id, why="Fits Q3."
    )


def history(client: TestClient, kind: str, subject_id: int) -> list[dict[str, Any]]:
    response = client.get(f"{API}/{kind}/{subject_id}/decisions", params={"limit": 200})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def history_ids(client: TestClient, kind: str, subject_id: int) -> list[int]:
    return [d["id"] for d in history(client, kind, subject_id)]


def decision(client: TestClient, decision_id: int) -> dict[str, Any]:
    response = client.get(f"{API}/decisions/{decision_id}")
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def listed_decision_ids(client: TestClient, **params: Any) -> set[int]:
    response = client.get(f"{API}/decisions", params={"limit": 200} | params)
    assert response.status_code == 200, response.text
    return {d["id"] for d in response.json()["items"]}


def request_as_shown(client: TestClient, request_id: int) -> dict[str, Any]:
    response = client.get(f"{API}/requests/{request_id}")
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def change_item(client: TestClient, item_id: int, **fields: Any) -> None:
    response = client.patch(f"{API}/roadmap-items/{item_id}", json=fields)
    assert response.status_code == 200, response.text


def is_problem(response: Any, status: int) -> bool:
    return response.status_code == status and response.headers["content-type"].startswith(
        "application/problem+json"
    )


def race(app: Any, client: TestClient, call: Any, count: int = 8) -> list[Any]:
    """call(a client with `client`'s headers) from `count` threads released together."""
    barrier = Barrier(count)

    def one(_: int) -> Any:
        own_client = TestClient(app, headers=dict(client.headers))
        barrier.wait()
        return call(own_client)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


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


def fill_in(body: Any, placeholders: dict[str, Any]) -> Any:
    if not isinstance(body, dict):
        return body
    return {key: placeholders.get(value, value) for key, value in body.items()}


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


@pytest.mark.parametrize("kind", SUBJECTS)
@pytest.mark.parametrize("role", [Role.contributor, Role.viewer])
def test_only_managers_and_admins_decide(client, client_as, kind, role):
    subject_id = make_subject(client, kind)
    earlier = decide_on(client, kind, subject_id)

    response = post_decision(
        client_as(role), kind, subject_id, {"outcome": "declined", "why": "No."}
    )

    assert is_problem(response, 403), response.text
    assert history(client, kind, subject_id) == [earlier]


@pytest.mark.parametrize("kind", SUBJECTS)
def test_anonymous_callers_cannot_decide(client, anonymous, kind):
    subject_id = make_subject(client, kind)

    response = post_decision(anonymous, kind, subject_id, {"outcome": "declined", "why": "No."})

    assert is_problem(response, 401), response.text
    assert history(client, kind, subject_id) == []


def test_everyone_signed_in_reads_decisions(client, client_as):
    request_id = make_subject(client, "requests")
    made = decide(client, request_id)
    viewer = client_as(Role.viewer)

    assert viewer.get(f"{API}/decisions/{made['id']}").json() == made
    assert viewer.get(f"{API}/requests/{request_id}/decisions").json()["items"] == [made]


# --- supersession and history ------------------------------------------------------


@pytest.mark.parametrize("kind", SUBJECTS)
def test_a_new_decision_supersedes_the_current_one(client, kind):
    subject_id = make_subject(client, kind)
    first = decide_on(client, kind, subject_id, outcome="needs_info", why="Which browsers?")

    second = decide_on(client, kind, subject_id, outcome="declined", why="Only IE6.")

    assert second["supersedes_id"] == first["id"]
    assert second["is_current"] is True
    superseded = decision(client, first["id"])
    assert superseded["is_current"] is False
    assert superseded | {"is_current": True} == first
    assert listed_decision_ids(client, current=True) == {second["id"]}


def test_decisions_on_different_subjects_do_not_supersede_each_other(client):
    one = decide(client, make_subject(client, "requests"))
    other = decide(client, make_subject(client, "requests"))
    on_a_need = decide_need(client, make_subject(client, "needs"))

    assert other["supersedes_id"] is None
    assert on_a_need["supersedes_id"] is None
    assert listed_decision_ids(client, current=True) == {one["id"], other["id"], on_a_need["id"]}


@pytest.mark.parametrize("kind", SUBJECTS)
def test_history_is_newest_first_and_paginates(client, kind):
    subject_id = make_subject(client, kind)
    made = [decide_on(client, kind, subject_id, why=f"Reason {n}")["id"] for n in range(5)]
    url = f"{API}/{kind}/{subject_id}/decisions"

    pages, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = client.get(url, params=params).json()
        pages.append([d["id"] for d in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert pages == [made[4:2:-1], made[2:0:-1], made[:1]]
    assert history_ids(client, kind, subject_id) == made[::-1]


def test_history_lists_only_the_subjects_own_decisions(client):
    request_id = make_subject(client, "requests")
    own = decide(client, request_id)
    decide(client, make_subject(client, "requests"))

    assert history_ids(client, "requests", request_id) == [own["id"]]


def test_get_one_decision_and_404_for_an_unknown_id(client):
    made = decide(client, make_subject(client, "requests"))

    response = client.get(f"{API}/decisions/{made['id']}")

    assert response.status_code == 200
    assert response.json() == made
    assert is_problem(client.get(f"{API}/decisions/{MISSING_ID}"), 404)


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


# --- append-only -------------------------------------------------------------------


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_decisions_are_never_edited_or_deleted(client, method):
    made = decide(client, make_subject(client, "requests"))

    response = client.request(
        method, f"{API}/decisions/{made['id']}", json={"outcome": "accepted", "why": "Changed."}
    )

    assert is_problem(response, 405), response.text
    assert decision(client, made["id"]) == made


# --- one current decision per subject, even under concurrent posts ------------------


@pytest.mark.parametrize("kind", SUBJECTS)
def test_concurrent_decisions_leave_exactly_one_current_and_an_unbroken_chain(app, client, kind):
    subject_id = make_subject(client, kind)
    url = f"{API}/{kind}/{subject_id}/decisions"

    responses = race(app, client, lambda c: c.post(url, json={"outcome": "declined", "why": "No."}))

    assert [r.status_code for r in responses] == [201] * 8, [r.text for r in responses]
    recorded = history(client, kind, subject_id)
    assert {d["id"] for d in recorded} == {r.json()["id"] for r in responses}
    current = [d for d in recorded if d["is_current"]]
    assert len(current) == 1
    superseded_ids = [d["supersedes_id"] for d in recorded]
    assert superseded_ids.count(None) == 1
    linked = [s for s in superseded_ids if s is not None]
    assert len(set(linked)) == len(linked) == 7
    by_id = {d["id"]: d for d in recorded}
    chain, link = [], current[0]["id"]
    while link is not None:
        chain.append(link)
        link = by_id[link]["supersedes_id"]
    assert sorted(chain) == sorted(by_id)


# --- the effective decision a request shows ------------------------------------------


def test_a_request_without_need_or_decision_is_new(client):
    shown = request_as_shown(client, make_subject(client, "requests"))

    assert shown["status"] == "new"
    assert shown["decision"] is None


def test_a_request_under_an_undecided_need_is_triaged(client):
    need_id = make_subject(client, "needs")

    shown = request_as_shown(client, factories.request(client, need_id=need_id)["id"])

    assert shown["status"] == "triaged"
    assert shown["decision"] is None


def test_a_request_with_its_own_decision_is_decided_and_embeds_it(client):
    request_id = make_subject(client, "requests")
    own = decide(client, request_id, outcome="needs_info", why="Which format?")

    shown = request_as_shown(client, request_id)

    assert shown["status"] == "decided"
    assert shown["decision"] == own


def test_a_request_answered_by_its_needs_decision_is_decided_and_embeds_it(client):
    need_id = make_subject(client, "needs")
    request_id = factories.request(client, need_id=need_id)["id"]
    for_the_need = accept(client, "needs", need_id, factories.roadmap_item(client)["id"])

    shown = request_as_shown(client, request_id)

    assert shown["status"] == "decided"
    assert shown["decision"] == for_the_need
    assert history(client, "requests", request_id) == []


def test_every_request_of_a_decided_need_shares_its_answer(client):
    need_id = make_subject(client, "needs")
    requests = [factories.request(client, need_id=need_id)["id"] for _ in range(2)]
    for_the_need = decide_need(client, need_id, outcome="deferred", why="After the rewrite.")

    listed = client.get(f"{API}/requests", params={"need_id": need_id}).json()["items"]

    assert sorted(r["id"] for r in listed) == sorted(requests)
    assert all(r["decision"] == for_the_need and r["status"] == "decided" for r in listed)


@pytest.mark.parametrize("own_first", [True, False], ids=["own-first", "need-first"])
def test_a_requests_own_decision_overrides_its_needs(client, own_first):
    need_id = make_subject(client, "needs")
    request_id = factories.request(client, need_id=need_id)["id"]
    item_id = factories.roadmap_item(client)["id"]

    def decide_both():
        if own_first:
            own = decide(client, request_id, outcome="declined", why="Not for this customer.")
            accept(client, "needs", need_id, item_id)
            return own
        accept(client, "needs", need_id, item_id)
        return decide(client, request_id, outcome="declined", why="Not for this customer.")

    own = decide_both()

    assert request_as_shown(client, request_id)["decision"] == own
    listed = client.get(f"{API}/requests", params={"need_id": need_id}).json()["items"]
    assert [r["decision"]["id"] for r in listed] == [own["id"]]


def test_the_embedded_decision_follows_supersession(client):
    request_id = make_subject(client, "requests")
    decide(client, request_id, outcome="needs_info")
    latest = decide(client, request_id, outcome="declined")

    assert request_as_shown(client, request_id)["decision"] == latest


def test_moving_a_request_to_an_undecided_need_leaves_it_triaged(client):
    decided_need, open_need = make_subject(client, "needs"), make_subject(client, "needs")
    decide_need(client, decided_need)
    request_id = factories.request(client, need_id=decided_need)["id"]

    response = client.patch(f"{API}/requests/{request_id}", json={"need_id": open_need})

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "triaged"
    assert response.json()["decision"] is None


def test_the_status_filter_agrees_with_the_embedded_status(client):
    decided_need, open_need = make_subject(client, "needs"), make_subject(client, "needs")
    decide_need(client, decided_need)
    expected = {
        "new": {make_subject(client, "requests")},
        "triaged": {factories.request(client, need_id=open_need)["id"]},
        "decided": {factories.request(client, need_id=decided_need)["id"]},
    }
    own_decision = make_subject(client, "requests")
    decide(client, own_decision)
    expected["decided"].add(own_decision)
    own_decision_under_open_need = factories.request(client, need_id=open_need)["id"]
    decide(client, own_decision_under_open_need)
    expected["decided"].add(own_decision_under_open_need)

    for status, ids in expected.items():
        listed = client.get(f"{API}/requests", params={"status": status}).json()["items"]
        assert {r["id"] for r in listed} == ids, status
        assert {r["status"] for r in listed} == {status}


# --- suspect links -----------------------------------------------------------------


@pytest.fixture
def accepted_request(client):
    """A request accepted into a roadmap item: (item, request id, decision)."""
    item = factories.roadmap_item(
        client, title="SSO", description="SAML", horizon="later", theme="enterprise"
    )
    request_id = make_subject(client, "requests")
    return item, request_id, accept(client, "requests", request_id, item["id"])


PROMISE_CHANGES = {
    "title": {"title": "SSO, SAML only"},
    "description": {"description": "SAML and OIDC"},
    "horizon": {"horizon": "next"},
    "target_date": {"target_date": "2030-09-30"},
    "theme": {"theme": "security"},
    "theme-cleared": {"theme": None},
    "status-cancelled": {"status": "cancelled"},
}


@pytest.mark.parametrize("change", PROMISE_CHANGES.values(), ids=PROMISE_CHANGES.keys())
def test_a_change_to_the_promise_makes_the_acceptance_suspect(client, accepted_request, change):
    item, request_id, accepted = accepted_request

    change_item(client, item["id"], **change)

    assert decision(client, accepted["id"])["suspect"] is True
    assert listed_decision_ids(client, suspect="true") == {accepted["id"]}
    assert listed_decision_ids(client, suspect="false") == set()
    embedded = request_as_shown(client, request_id)["decision"]
    assert (embedded["id"], embedded["suspect"]) == (accepted["id"], True)


OTHER_CHANGES = {
    "status-planned": {"status": "planned"},
    "status-in-progress": {"status": "in_progress"},
    "status-shipped": {"status": "shipped"},
    "same-title-again": {"title": "SSO"},
    "same-horizon-again": {"horizon": "later"},
}


@pytest.mark.parametrize("change", OTHER_CHANGES.values(), ids=OTHER_CHANGES.keys())
def test_other_changes_leave_the_acceptance_trusted(client, accepted_request, change):
    item, request_id, accepted = accepted_request

    change_item(client, item["id"], **change)

    assert decision(client, accepted["id"])["suspect"] is False
    assert listed_decision_ids(client, suspect="true") == set()
    assert request_as_shown(client, request_id)["decision"]["suspect"] is False


def test_a_need_acceptance_turns_suspect_for_every_request_under_it(client):
    item_id = factories.roadmap_item(client)["id"]
    need_id = make_subject(client, "needs")
    request_id = factories.request(client, need_id=need_id)["id"]
    accepted = accept(client, "needs", need_id, item_id)

    change_item(client, item_id, horizon="now")

    assert decision(client, accepted["id"])["suspect"] is True
    embedded = request_as_shown(client, request_id)["decision"]
    assert (embedded["id"], embedded["suspect"]) == (accepted["id"], True)


def test_an_acceptance_made_after_the_change_is_not_suspect(client, accepted_request):
    item, _, _ = accepted_request
    change_item(client, item["id"], horizon="now")

    later = accept(client, "requests", make_subject(client, "requests"), item["id"])

    assert later["suspect"] is False
    assert decision(client, later["id"])["suspect"] is False


@pytest.mark.parametrize(
    "next_decision",
    [{"outcome": "accepted", "roadmap_item_id": "ITEM"}, {"outcome": "declined"}],
    ids=["re-accepted", "declined"],
)
def test_a_new_decision_on_the_subject_clears_suspect(client, accepted_request, next_decision):
    item, request_id, accepted = accepted_request
    change_item(client, item["id"], title="SSO v2")

    newer = decide(client, request_id, **fill_in(next_decision, {"ITEM": item["id"]}))

    assert newer["suspect"] is False
    assert decision(client, accepted["id"])["suspect"] is False
    assert listed_decision_ids(client, suspect="true") == set()
    assert request_as_shown(client, request_id)["decision"]["suspect"] is False


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


def test_only_accepted_decisions_turn_suspect(client):
    item_id = factories.roadmap_item(client)["id"]
    declined = decide(client, make_subject(client, "requests"), outcome="declined")
    deferred = decide(
        client, make_subject(client, "requests"), outcome="deferred", roadmap_item_id=item_id
    )
    request_id = make_subject(client, "requests")
    superseded_acceptance = accept(client, "requests", request_id, item_id)
    declined_after = decide(client, request_id, outcome="declined")

    change_item(client, item_id, status="cancelled")

    for made in (declined, deferred, superseded_acceptance, declined_after):
        assert decision(client, made["id"])["suspect"] is False
    assert listed_decision_ids(client, suspect="true") == set()


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
