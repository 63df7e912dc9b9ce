"""`q` on requests: words or their beginnings, best matches first, index kept in step."""

from typing import Any

from fastapi.testclient import TestClient

from tests import factories
from tests.factories import API

URL = f"{API}/requests"


def _search(client: TestClient, q: str, **params: Any) -> dict[str, Any]:
    response = client.get(URL, params={"q": q, **params})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _titles(client: TestClient, q: str) -> list[str]:
    return [item["title"] for item in _search(client, q)["items"]]


def test_the_best_match_comes_first_whatever_its_age(client: TestClient) -> None:
    stakeholder = factories.stakeholder(client)["id"]
    factories.request(
        client,
        title="Okta login",
        description="okta okta, SSO through Okta",
        stakeholder_id=stakeholder,
    )
    factories.request(
        client,
        title="Quarterly billing report",
        description="Finance wants it; okta was mentioned once in passing among many other words "
        "about invoices, currencies, exports, taxes and the general ledger.",
        stakeholder_id=stakeholder,
    )
    factories.request(client, title="Dark mode", stakeholder_id=stakeholder)

    assert _titles(client, "okta") == ["Okta login", "Quarterly billing report"]


def test_words_match_at_their_start_and_all_are_required(client: TestClient) -> None:
    factories.request(client, title="Export invoices to CSV")
    factories.request(client, title="Export dashboards as PDF")

    assert _titles(client, "expor") == ["Export dashboards as PDF", "Export invoices to CSV"]
    assert _titles(client, "export csv") == ["Export invoices to CSV"]
    assert _titles(client, 'csv" OR "pdf') == []  # query syntax is never interpreted
    assert _titles(client, "*") == []


def test_ranked_pages_list_each_match_once(client: TestClient) -> None:
    stakeholder = factories.stakeholder(client)["id"]
    made = {
        factories.request(client, title=f"Webhook {n}", stakeholder_id=stakeholder)["id"]
        for n in range(7)
    }
    seen: list[int] = []
    cursor = None
    while True:
        page = _search(client, "webhook", limit=3, **({"cursor": cursor} if cursor else {}))
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert sorted(seen) == sorted(made)
    assert len(seen) == len(made)


def test_edits_and_deletes_reach_the_search(client: TestClient) -> None:
    request = factories.request(client, title="Slack alerts")
    kept = factories.request(client, title="Slack digest")

    client.patch(f"{URL}/{request['id']}", json={"title": "Teams alerts"})
    assert _titles(client, "slack") == ["Slack digest"]
    assert _titles(client, "teams") == ["Teams alerts"]

    client.delete(f"{URL}/{kept['id']}")
    assert _titles(client, "slack") == []


def test_a_cursor_of_another_listing_is_refused(client: TestClient) -> None:
    factories.request(client, title="Audit trail")
    factories.request(client, title="Audit export")
    plain = client.get(URL, params={"limit": 1}).json()
    assert plain["next_cursor"] is not None

    response = client.get(URL, params={"q": "audit", "cursor": plain["next_cursor"]})

    assert response.status_code == 422


def test_an_empty_search_box_lists_everything(client: TestClient) -> None:
    for _ in range(2):
        factories.request(client)

    assert len(_search(client, "")["items"]) == 2
