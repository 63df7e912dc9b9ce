"""`q` on requests: words or their beginnings, best matches first, index kept in step."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.core.direct import sqlite as direct
from app.requests.search import MAX_SEARCH_WORDS
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


def test_english_words_are_stemmed_and_stop_words_ask_nothing(client: TestClient) -> None:
    factories.request(client, title="Export invoices to CSV", description="Exported nightly.")
    factories.request(client, title="The dashboard", description="Dashboards for the board.")

    assert _titles(client, "exports") == ["Export invoices to CSV"]
    assert _titles(client, "exporting invoice") == ["Export invoices to CSV"]
    assert _titles(client, "the exports for the CRM") == []  # crm is nowhere
    assert _titles(client, "dashboards of the") == ["The dashboard"]
    for nothing_to_ask in ("the", "the and of", "!!! ???", "- : *", 'NEAR("the")'):
        assert _titles(client, nothing_to_ask) == [], nothing_to_ask


@pytest.mark.parametrize("q", ['"export', "export*", "NEAR(export csv)", "-export", "title:export"])
def test_query_operators_are_words_never_syntax(client: TestClient, q: str) -> None:
    factories.request(client, title="Export invoices to CSV")

    assert _titles(client, q) in (["Export invoices to CSV"], [])


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


def test_a_repeated_word_is_searched_once(client: TestClient) -> None:
    stakeholder = factories.stakeholder(client)["id"]
    factories.request(client, title="Export to Excel", stakeholder_id=stakeholder)
    factories.request(client, title="Dark mode", stakeholder_id=stakeholder)

    assert _titles(client, " ".join(["export"] * 70)) == ["Export to Excel"]


def test_a_search_for_too_many_different_words_is_refused(client: TestClient) -> None:
    words = " ".join(f"word{n}" for n in range(MAX_SEARCH_WORDS + 1))

    response = client.get(URL, params={"q": words})

    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["loc"] == ["query", "q"]
    assert f"at most {MAX_SEARCH_WORDS} different words" in error["msg"]
    assert client.get(URL, params={"q": words.rsplit(" ", 1)[0]}).status_code == 200


def test_searches_that_take_every_search_thread_leave_plain_lists_answering(
    client: TestClient, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite reads lists in a few threads: searches wait for a thread of their own."""
    if backend != "sqlite":
        pytest.skip("PostgreSQL runs lists and searches on connections, not threads")
    factories.request(client, title="Export", stakeholder_id=factories.stakeholder(client)["id"])
    released, searching = threading.Event(), threading.Semaphore(0)
    fetch = direct._fetch

    def held_while_searching(connection: Any, compiled: Any, parameters: Any) -> Any:
        if "MATCH" in compiled.sql:  # an expensive search, as long as the test wants
            searching.release()
            released.wait(timeout=30)
        return fetch(connection, compiled, parameters)

    monkeypatch.setattr(direct, "_fetch", held_while_searching)
    with ThreadPoolExecutor(4) as searchers:
        searches = [searchers.submit(_search, client, "export") for _ in range(4)]
        try:
            assert searching.acquire(timeout=10)  # searches are in the database...
            time.sleep(0.2)  # ...and the others queued for a thread
            with ThreadPoolExecutor(1) as lister:
                plain = lister.submit(client.get, URL).result(timeout=10)
        finally:
            released.set()
        assert all(len(search.result()["items"]) == 1 for search in searches)

    assert plain.status_code == 200
