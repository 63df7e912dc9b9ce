"""Concurrent writers: the upsert never duplicates, and SQLite never says "locked"."""

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

from fastapi.testclient import TestClient

from tests import factories

WRITERS = 8


def run_together(app, client, call, count=WRITERS):
    """Run call(a client like `client`) from `count` threads released at the same moment."""
    barrier = Barrier(count)

    def one(_):
        own_client = TestClient(app, headers=dict(client.headers))
        barrier.wait()
        return call(own_client)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def test_concurrent_upserts_of_one_reference_create_exactly_one_request(app, client):
    stakeholder = factories.stakeholder(client)
    body = {"title": "Ticket 9", "stakeholder_id": stakeholder["id"]}

    responses = run_together(
        app, client, lambda c: c.put("/api/v1/requests/external/zendesk/9", json=body)
    )

    codes = sorted(response.status_code for response in responses)
    assert codes.count(201) == 1
    assert set(codes) <= {200, 201}
    assert len({response.json()["id"] for response in responses}) == 1
    assert len(client.get("/api/v1/requests").json()["items"]) == 1


def test_concurrent_creates_all_succeed(app, client):
    stakeholder = factories.stakeholder(client)

    def create_five(c):
        return [
            c.post("/api/v1/requests", json={"title": "t", "stakeholder_id": stakeholder["id"]})
            for _ in range(5)
        ]

    results = run_together(app, client, create_five)

    codes = [response.status_code for batch in results for response in batch]
    assert codes == [201] * (WRITERS * 5)
    listed = client.get("/api/v1/requests", params={"limit": 200}).json()["items"]
    assert len(listed) == WRITERS * 5
