"""What the decision tests share: subjects to decide on, recording and reading decisions.

Decisions: yes, no or not now, always with the why; never edited, only superseded.
"""

from typing import Any

from fastapi.testclient import TestClient

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
    "notify",
    "suspect",
    "suspect_reason",
}
SUBJECTS = ["requests", "needs"]


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


def fill_in(body: Any, placeholders: dict[str, Any]) -> Any:
    if not isinstance(body, dict):
        return body
    return {key: placeholders.get(value, value) for key, value in body.items()}
