"""created_after / created_before on the requests list and the export: a range of
creation times, keyset-paginated like the rest; a reversed range is a 422."""

from datetime import timedelta

import pytest

from app.core.types import utcnow
from tests import factories
from tests.reports.test_reports import filed_ago

API = "/api/v1"


@pytest.fixture
def a_month_of_requests(client, engine):
    """Requests filed 30, 20, 10 and 0 days ago, by title."""
    made = {}
    for days in (30, 20, 10, 0):
        request = factories.request(client, title=f"{days} days ago")
        filed_ago(engine, request["id"], hours=24 * days)
        made[days] = request
    return made


def titles(response):
    assert response.status_code == 200, response.text
    return [item["title"] for item in response.json()["items"]]


def test_a_range_of_creation_times_lists_what_was_filed_then(client, a_month_of_requests):
    now = utcnow()
    since = (now - timedelta(days=25)).isoformat()
    until = (now - timedelta(days=5)).isoformat()

    ranged = client.get(f"{API}/requests", params={"created_after": since, "created_before": until})
    after = client.get(f"{API}/requests", params={"created_after": since})
    before = client.get(f"{API}/requests", params={"created_before": until})

    assert titles(ranged) == ["10 days ago", "20 days ago"]
    assert titles(after) == ["0 days ago", "10 days ago", "20 days ago"]
    assert titles(before) == ["10 days ago", "20 days ago", "30 days ago"]


def test_a_range_pages_by_cursor_and_a_time_without_offset_is_utc(client, a_month_of_requests):
    since = (utcnow() - timedelta(days=35)).replace(tzinfo=None).isoformat()  # no offset

    first = client.get(f"{API}/requests", params={"created_after": since, "limit": 2})
    cursor = first.json()["next_cursor"]
    second = client.get(
        f"{API}/requests", params={"created_after": since, "limit": 2, "cursor": cursor}
    )
    moved = client.get(
        f"{API}/requests", params={"created_after": utcnow().isoformat(), "cursor": cursor}
    )

    assert titles(first) + titles(second) == [
        "0 days ago", "10 days ago", "20 days ago", "30 days ago",
    ]  # fmt: skip
    assert moved.status_code == 422  # a cursor belongs to the filters it was made with


def test_the_export_takes_the_same_range(client, a_month_of_requests):
    since = (utcnow() - timedelta(days=15)).isoformat()

    exported = client.get(f"{API}/exports/requests.csv", params={"created_after": since})

    assert exported.status_code == 200, exported.text
    assert "10 days ago" in exported.text
    assert "20 days ago" not in exported.text


@pytest.mark.parametrize(
    ("params", "kind"),
    [
        (
            {"created_after": "2026-12-02T00:00:00Z", "created_before": "2026-12-01"},
            "rule-violation",
        ),
        (
            {"created_after": "2026-12-01T00:00:00Z", "created_before": "2026-12-01"},
            "rule-violation",
        ),
        ({"created_after": "yesterday"}, "validation-error"),
        ({"created_before": "2026-13-01"}, "validation-error"),
        ({"created_after": "0001-01-01T00:00:00+05:00"}, "validation-error"),
        ({"created_before": "9999-12-31T23:00:00-05:00"}, "validation-error"),
    ],
)
def test_a_reversed_or_unreadable_range_is_a_422(client, params, kind):
    for path in ("/requests", "/exports/requests.csv"):
        refused = client.get(f"{API}{path}", params=params)
        assert refused.status_code == 422, (path, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["type"] == f"urn:reqtrack:problem:{kind}"
