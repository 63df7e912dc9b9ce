"""Build resources through the API, as a client would; each returns the JSON body."""

import itertools
from typing import Any

from fastapi.testclient import TestClient

API = "/api/v1"
_sequence = itertools.count(1)


def created(client: TestClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"{API}{path}", json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def stakeholder(client: TestClient, **fields: Any) -> dict[str, Any]:
    n = next(_sequence)
    body = {"name": f"Stakeholder {n}", "email": f"person{n}@example.com", "group": "sales"}
    return created(client, "/stakeholders", body | fields)


def need(client: TestClient, **fields: Any) -> dict[str, Any]:
    return created(client, "/needs", {"statement": f"Need {next(_sequence)}"} | fields)


def roadmap_item(client: TestClient, **fields: Any) -> dict[str, Any]:
    return created(client, "/roadmap-items", {"title": f"Item {next(_sequence)}"} | fields)


def request(client: TestClient, **fields: Any) -> dict[str, Any]:
    if "stakeholder_id" not in fields:
        fields["stakeholder_id"] = stakeholder(client)["id"]
    return created(client, "/requests", {"title": f"Request {next(_sequence)}"} | fields)
