"""A cursor belongs to the list and the filters that issued it: anywhere else it is a 422,
not a page of some other list starting at a meaningless position."""

import base64
import json

import pytest

from app.requests.models import RequestSort
from bench.run import deep_cursors, scenarios
from bench.seed import Seeded
from tests import factories
from tests.core.helpers import API, assert_validation_problem


def next_cursor(client, path, **params):
    response = client.get(f"{API}{path}", params={"limit": 1} | params)
    assert response.status_code == 200, response.text
    cursor = response.json()["next_cursor"]
    assert cursor is not None, "the list needs a second page for this test"
    return cursor


def refused(client, path, cursor, **params):
    response = client.get(f"{API}{path}", params={"cursor": cursor} | params)
    return assert_validation_problem(response, ["query", "cursor"])["errors"][0]["msg"]


@pytest.fixture
def two_of_everything(client):
    stakeholder = factories.stakeholder(client)
    for channel in ("email", "email", "sales_call", "sales_call"):
        factories.request(client, stakeholder_id=stakeholder["id"], channel=channel)
    factories.need(client)
    factories.need(client)
    return stakeholder


def test_a_cursor_from_one_list_is_refused_by_another(client, two_of_everything):
    cursor = next_cursor(client, "/requests")

    message = refused(client, "/needs", cursor)

    assert "issued by /requests, not /needs" in message


def test_a_cursor_is_refused_under_other_filters(client, two_of_everything):
    cursor = next_cursor(client, "/requests", channel="email")

    assert "other filters" in refused(client, "/requests", cursor, channel="sales_call")
    assert "other filters" in refused(client, "/requests", cursor)


def test_the_page_size_may_change_between_pages(client, two_of_everything):
    cursor = next_cursor(client, "/requests", channel="email")

    response = client.get(
        f"{API}/requests", params={"cursor": cursor, "channel": "email", "limit": 50}
    )

    assert response.status_code == 200, response.text
    assert [item["channel"] for item in response.json()["items"]] == ["email"]


def test_a_search_cursor_is_bound_to_its_words(client, two_of_everything):
    cursor = next_cursor(client, "/requests", q="Request")

    assert "other filters" in refused(client, "/requests", cursor, q="Stakeholder")
    assert "other filters" in refused(client, "/requests", cursor)


def test_a_subresource_cursor_belongs_to_its_parent(client):
    first, second = factories.request(client), factories.request(client)
    for outcome in ("declined", "deferred"):
        factories.created(
            client, f"/requests/{first['id']}/decisions", {"outcome": outcome, "why": "Because"}
        )
    cursor = next_cursor(client, f"/requests/{first['id']}/decisions")

    message = refused(client, f"/requests/{second['id']}/decisions", cursor)

    assert f"issued by /requests/{first['id']}/decisions" in message


def test_a_stakeholders_requests_cursor_is_not_the_whole_lists(client, two_of_everything):
    stakeholder_id = two_of_everything["id"]
    cursor = next_cursor(client, f"/stakeholders/{stakeholder_id}/requests")

    refused(client, "/requests", cursor, stakeholder_id=stakeholder_id)


def test_a_forged_list_name_is_not_repeated_back(client, two_of_everything):
    forged = {"id": 3, "list": "<script>alert(1)</script>", "filters": "0"}
    cursor = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode()

    message = refused(client, "/requests", cursor)

    assert "another list" in message
    assert "<script>" not in message


def test_an_events_cursor_is_bound_to_its_type(client, two_of_everything):
    body = client.get(f"{API}/events", params={"type": "request.*", "limit": 1}).json()

    response = client.get(f"{API}/events", params={"type": "need.*", "after": body["next_cursor"]})

    assert_validation_problem(response, ["query", "after"])
    following = client.get(
        f"{API}/events", params={"type": "request.*", "after": body["next_cursor"]}
    )
    assert following.status_code == 200, following.text


def test_the_benchmarks_deep_pages_are_pages_the_list_accepts(client, engine):
    older, middle, _newer = (factories.request(client) for _ in range(3))
    seeded = Seeded(
        requests=10 * middle["id"], stakeholders=1, needs=2, roadmap_items=0, decisions=0,
        traced_item_id=1, search_word="request",
    )  # fmt: skip
    deep = [s for s in scenarios(seeded, deep=deep_cursors(engine, seeded)) if "deep" in s.name]

    pages = {s.name: client.get(s.path.strip('"')) for s in deep}

    assert len(pages) == len(RequestSort)
    for name, page in pages.items():
        assert page.status_code == 200, (name, page.text)
    assert [item["id"] for item in pages["list deep page"].json()["items"]] == [older["id"]]


def test_every_event_and_no_type_are_one_feed(client, two_of_everything):
    body = client.get(f"{API}/events", params={"limit": 1}).json()

    following = client.get(f"{API}/events", params={"type": "*", "after": body["next_cursor"]})

    assert following.status_code == 200, following.text
