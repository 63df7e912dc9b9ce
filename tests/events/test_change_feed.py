"""GET /events: every write appears once, in commit order, with the resource after it."""

import base64
import json
import threading

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select
from sqlalchemy.exc import DBAPIError

from app.core.pagination import encode_cursor
from app.events.feed import FeedParams
from app.events.models import Event
from tests import factories
from tests.transfer.helpers import CSV, IMPORT_URL, csv_file

FEED = "/api/v1/events"


def read_all(client, after=None, **params):
    """Follow the feed to its end; return the events and the cursor to continue from."""
    events = []
    while True:
        query = params | ({"after": after} if after else {})
        body = client.get(FEED, params=query).json()
        events += body["items"]
        assert body["next_cursor"] is not None
        if body["next_cursor"] == after or not body["items"]:
            return events, body["next_cursor"]
        after = body["next_cursor"]


def test_writes_append_events_with_the_resource_after_the_change(client):
    need = factories.need(client, statement="Before")
    client.patch(f"/api/v1/needs/{need['id']}", json={"statement": "After"})
    request = factories.request(client, need_id=need["id"])
    decision = factories.created(
        client, f"/needs/{need['id']}/decisions", {"outcome": "declined", "why": "Not now"}
    )
    events, _ = read_all(client)

    types = [e["type"] for e in events]
    assert types[:2] == ["need.created", "need.updated"]
    assert events[1]["data"]["statement"] == "After"
    created = next(e for e in events if e["type"] == "request.created")
    assert created["data"]["id"] == request["id"]
    assert created["data"]["status"] == "triaged"
    recorded = next(e for e in events if e["type"] == "decision.recorded")
    assert recorded["data"]["id"] == decision["id"]
    assert [e["id"] for e in events] == sorted(e["id"] for e in events)


def test_deletions_carry_the_last_state(client):
    item = factories.roadmap_item(client, title="Dropped")

    client.delete(f"/api/v1/roadmap-items/{item['id']}")

    events, _ = read_all(client, type="roadmap_item.deleted")
    assert [e["data"]["title"] for e in events] == ["Dropped"]


def test_type_takes_the_patterns_of_webhook_subscriptions(client):
    need = factories.need(client)
    factories.request(client, need_id=need["id"])
    factories.created(
        client, f"/needs/{need['id']}/decisions", {"outcome": "declined", "why": "Not now"}
    )

    def types(pattern):
        return {event["type"] for event in read_all(client, type=pattern)[0]}

    assert types("need.*") == {"need.created"}
    assert types("decision.*") == {"decision.recorded"}
    assert types("request.created") == {"request.created"}
    assert {"stakeholder.created", "need.created", "decision.recorded"} <= types("*")


@pytest.mark.parametrize("pattern", ["decision.recordd", "decisions.*", "request", "*.created"])
def test_an_unknown_type_is_422_listing_the_known_ones(client, pattern):
    response = client.get(FEED, params={"type": pattern})

    assert response.status_code == 422, response.text
    error = response.json()["errors"][0]
    assert error["loc"] == ["query", "type"]
    assert "decision.recorded, decision.suspect" in error["msg"]


def test_a_webhook_cannot_subscribe_to_an_event_that_does_not_exist(client):
    response = client.post(
        "/api/v1/webhooks",
        json={"url": "https://hooks.example.com/in", "events": ["decision.recordd"]},
    )

    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"] == ["body", "events", 0]
    assert "decision.recorded" in response.json()["errors"][0]["msg"]


def test_refused_writes_append_nothing(client):
    factories.stakeholder(client, email="taken@example.com")
    _, cursor = read_all(client)

    client.post("/api/v1/stakeholders", json={"name": "Dup", "email": "taken@example.com"})

    assert client.get(FEED, params={"after": cursor}).json()["items"] == []


def test_the_cursor_is_never_null_and_waits_where_nothing_is_new(client):
    empty = client.get(FEED).json()
    assert empty["items"] == []
    again = client.get(FEED, params={"after": empty["next_cursor"]}).json()
    assert again["next_cursor"] == empty["next_cursor"]

    factories.need(client)

    later = client.get(FEED, params={"after": empty["next_cursor"]}).json()
    assert [e["type"] for e in later["items"]] == ["need.created"]
    assert later["next_cursor"] != empty["next_cursor"]


def test_paging_with_limit_loses_and_repeats_nothing(client):
    for _ in range(7):
        factories.need(client)

    seen, after = [], None
    for _ in range(10):
        body = client.get(FEED, params={"limit": 3} | ({"after": after} if after else {})).json()
        seen += [e["id"] for e in body["items"]]
        after = body["next_cursor"]

    assert len(seen) == len(set(seen)) == 7


def test_a_malformed_cursor_is_422(client):
    response = client.get(FEED, params={"after": "garbage"})

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "after"]


def test_a_poller_sees_every_event_exactly_once_while_writers_write(app, client):
    stakeholder = factories.stakeholder(client)
    _, cursor = read_all(client)
    writers, per_writer = 6, 15
    imports, per_import = 3, 30  # an import's events go into the feed at once (bulk.py)
    done = threading.Event()
    seen: list[int] = []

    def poll():
        nonlocal cursor
        poller = TestClient(app, headers=dict(client.headers))
        while True:
            finished = done.is_set()
            body = poller.get(FEED, params={"after": cursor, "limit": 7}).json()
            seen.extend(e["data"]["id"] for e in body["items"] if e["type"] == "request.created")
            cursor = body["next_cursor"]
            if finished and not body["items"]:
                return

    def write():
        writer = TestClient(app, headers=dict(client.headers))
        for _ in range(per_writer):
            writer.post(
                "/api/v1/requests", json={"title": "t", "stakeholder_id": stakeholder["id"]}
            )

    def import_():
        importer = TestClient(app, headers=dict(client.headers))
        file = csv_file(["title", "stakeholder_id"], *[["i", stakeholder["id"]]] * per_import)
        for _ in range(imports):
            response = importer.post(IMPORT_URL, content=file, headers={"Content-Type": CSV})
            assert response.status_code == 201, response.text

    poller = threading.Thread(target=poll)
    poller.start()
    threads = [threading.Thread(target=write) for _ in range(writers)]
    threads.append(threading.Thread(target=import_))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    poller.join(timeout=60)

    created = {
        r["id"] for r in client.get("/api/v1/requests", params={"limit": 200}).json()["items"]
    }
    assert len(seen) == len(set(seen)) == writers * per_writer + imports * per_import
    assert set(seen) == created


def test_a_slipping_item_announces_its_suspect_promises(client):
    item = factories.roadmap_item(client)
    request = factories.request(client)
    decision = factories.created(
        client,
        f"/requests/{request['id']}/decisions",
        {"outcome": "accepted", "roadmap_item_id": item["id"], "why": "Yes"},
    )
    _, cursor = read_all(client)

    client.patch(f"/api/v1/roadmap-items/{item['id']}", json={"horizon": "now"})

    events, _ = read_all(client, after=cursor)
    assert [e["type"] for e in events] == ["decision.suspect", "roadmap_item.updated"]
    assert events[0]["data"]["id"] == decision["id"]
    assert events[0]["data"]["suspect"] is True


def test_a_merge_is_announced(client):
    target, source = factories.need(client), factories.need(client)
    factories.request(client, need_id=source["id"], revenue_at_stake="1250.50")
    _, cursor = read_all(client)

    client.post(f"/api/v1/needs/{target['id']}/merge", json={"source_ids": [source["id"]]})

    events, _ = read_all(client, after=cursor)
    merged = [e for e in events if e["type"] == "need.merged"]
    assert len(merged) == 1
    assert merged[0]["data"]["id"] == target["id"]
    assert merged[0]["data"]["merged_need_ids"] == [source["id"]]
    # The need as GET /needs/{id} answers it, numbers as numbers.
    assert merged[0]["data"]["revenue_at_stake"] == 1250.5
    assert any(e["type"] == "need.deleted" and e["data"]["id"] == source["id"] for e in events)


def test_an_event_restored_with_its_own_id_keeps_it(client, engine):
    # As a data-only restore writes them: the id is final, nothing renumbers it.
    restored = 10**12
    with engine.begin() as connection:
        connection.execute(
            insert(Event).values(
                id=restored, type="stakeholder.created", entity="stakeholder", entity_id=1, data={}
            )
        )
    later = factories.stakeholder(client)  # and later writes still commit their events

    events = read_all(client)[0]
    assert restored in [event["id"] for event in events]
    assert any(event["data"].get("id") == later["id"] for event in events)
    assert all(event["id"] > 0 for event in events)


@pytest.mark.parametrize("how_many", [0, -1000])
def test_event_ids_are_never_reserved_backwards(engine, how_many):
    # event_ids_reserved runs as its owner (bulk.py): no caller may move the sequence back.
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL gives event ids at COMMIT; SQLite's follow commit order")
    with pytest.raises(DBAPIError, match="must be 1 or more"), engine.begin() as connection:
        connection.execute(select(func.event_ids_reserved(how_many)))


def test_a_cursor_past_the_newest_event_is_422_cursor_ahead(client):
    factories.stakeholder(client)
    newest = client.get(FEED).json()["items"][-1]["id"]

    def cursor(position):
        return encode_cursor(position, list_name="/events", params=FeedParams())

    at_the_end = client.get(FEED, params={"after": cursor(newest)})
    ahead = client.get(FEED, params={"after": cursor(newest + 100)})

    assert (at_the_end.status_code, at_the_end.json()["items"]) == (200, [])
    assert ahead.status_code == 422, ahead.text
    assert ahead.json()["type"] == "urn:reqtrack:problem:cursor-ahead"
    assert ahead.json()["errors"][0]["loc"] == ["query", "after"]


def test_a_position_saved_before_cursors_named_their_list_still_works(client):
    first, second = factories.need(client), factories.need(client)
    events, _ = read_all(client)
    first_event = next(e for e in events if e["data"]["id"] == first["id"])
    # How the feed wrote a cursor before: base64 of {"id": <event id>}.
    saved = base64.urlsafe_b64encode(json.dumps({"id": first_event["id"]}).encode()).decode()

    body = client.get(FEED, params={"after": saved}).json()

    assert [e["data"]["id"] for e in body["items"]] == [second["id"]]
