"""What the bad-input tests share: valid bodies, stored resources and problem checks.

Each write test reads back what the write could have touched (the collection is still
empty, the resource is still at its old version and values), so a write that is refused
after half-happening is caught too. Server exceptions propagate: a 500 fails the test.
"""

from contextlib import contextmanager

from tests import factories

API = "/api/v1"
COLLECTIONS = ["stakeholders", "requests", "needs", "roadmap-items"]
OUT_OF_RANGE_IDS = [0, -1, 2**63, 2**64]
NUL = "a\u0000b"


def assert_problem(response, status=None):
    """An RFC 9457 problem: exactly `status`, or any 4xx when none is given."""
    if status is None:
        assert 400 <= response.status_code < 500, (response.status_code, response.text)
    else:
        assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == response.status_code
    for key in ("type", "title", "detail"):
        assert isinstance(body[key], str), body
        assert body[key], body
    return body


def assert_validation_problem(response, loc):
    """A 422 whose `errors` is a list of {loc, msg} that names `loc`."""
    body = assert_problem(response, 422)
    errors = body["errors"]
    assert errors, body
    for error in errors:
        assert error.keys() == {"loc", "msg"}, error
        assert isinstance(error["loc"], list), error
        assert isinstance(error["msg"], str), error
        assert error["msg"], error
    assert loc in [error["loc"] for error in errors], errors
    return body


def listed(client, collection):
    response = client.get(f"{API}/{collection}", params={"limit": 200})
    assert response.status_code == 200, response.text
    return response.json()["items"]


@contextmanager
def nothing_changes(client, *collections):
    """The block may send anything; afterwards the collections (default: all four) are as before."""
    watched = collections or COLLECTIONS
    before = {collection: listed(client, collection) for collection in watched}
    yield
    after = {collection: listed(client, collection) for collection in watched}
    assert after == before, "a refused write changed stored data"


def valid_body(client, collection):
    """A body that POST /{collection} accepts; the resources it refers to are created first."""
    if collection == "stakeholders":
        return {
            "name": "Ada Lovelace",
            "email": "ada@example.com",
            "group": "engineering",
            "organization": "Analytical Engines",
            "weight": 2.5,
        }
    if collection == "requests":
        return {
            "title": "Export the backlog to CSV",
            "description": "We need it for the board meeting.",
            "stakeholder_id": factories.stakeholder(client)["id"],
            "need_id": factories.need(client)["id"],
            "channel": "email",
            "customer": "Acme",
            "revenue_at_stake": 1200.5,
            "urgency": "high",
        }
    if collection == "needs":
        return {"statement": "Finance cannot reconcile", "description": "", "theme": "reporting"}
    assert collection == "roadmap-items"
    return {
        "title": "CSV export",
        "status": "planned",
        "horizon": "next",
        "target_date": "2026-09-30",
        "theme": "reporting",
    }


def stored(client, collection):
    """A stored resource with every field set (a request without an external reference)."""
    return factories.created(client, f"/{collection}", valid_body(client, collection))


# A PATCH body each collection accepts: the control for the non-JSON body tests.
VALID_CHANGE = {
    "stakeholders": {"name": "Renamed"},
    "requests": {"title": "Renamed"},
    "needs": {"statement": "Renamed"},
    "roadmap-items": {"title": "Renamed"},
}


def upsert_url(source_system="zendesk", external_id="4711"):
    return f"{API}/requests/external/{source_system}/{external_id}"
