"""Files to upload and ways to read what the import and export answer."""

import csv
import io
import json
from typing import Any

from fastapi.testclient import TestClient

API = "/api/v1"
IMPORT_URL = f"{API}/imports/requests"
CSV = "text/csv"
NDJSON = "application/x-ndjson"


# What a client may write to a request: what an import takes and an export gives back.
WRITABLE = [
    "title",
    "description",
    "stakeholder_id",
    "channel",
    "source_system",
    "external_id",
    "customer",
    "revenue_at_stake",
    "urgency",
    "need_id",
]


def csv_file(header: list[str], *rows: list[Any]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def json_lines(*rows: dict[str, Any]) -> bytes:
    return "".join(json.dumps(row) + "\n" for row in rows).encode()


def upload(client: TestClient, content: Any, content_type: str | None = CSV) -> Any:
    headers = {"Content-Type": content_type} if content_type else {}
    return client.post(IMPORT_URL, content=content, headers=headers)


def all_requests(client: TestClient) -> list[dict[str, Any]]:
    """Every request, oldest first, through the list's pages."""
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 200}
    while True:
        page = client.get(f"{API}/requests", params=params).json()
        items += page["items"]
        if page["next_cursor"] is None:
            return items[::-1]
        params["cursor"] = page["next_cursor"]


def request_count(client: TestClient) -> int:
    return len(all_requests(client))


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def import_errors(response: Any) -> list[dict[str, Any]]:
    """The 422's errors, each checked to be {loc, msg}."""
    errors: list[dict[str, Any]] = problem(response, 422)["errors"]
    for error in errors:
        assert error.keys() == {"loc", "msg"}, error
        assert error["msg"], error
    return errors


def bad_lines(response: Any) -> list[int]:
    """The line numbers the 422 names, in order, each once."""
    lines = [error["loc"][2] for error in import_errors(response)]
    return sorted(set(lines))


def parse_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))
