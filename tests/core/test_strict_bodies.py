"""Bodies are strict: a field a body does not take is refused by name, never ignored."""

import pytest

from tests import factories
from tests.auth.helpers import database_rows
from tests.auth.route_table import BODY_ROUTES, Targets, Upload, call

API = "/api/v1"
JSON_BODY_ROUTES = [route for route in BODY_ROUTES if route.name not in {"import_requests"}]


def errors_of(response) -> dict[tuple[str | int, ...], str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return {tuple(error["loc"]): error["msg"] for error in response.json()["errors"]}


@pytest.mark.parametrize("route", JSON_BODY_ROUTES, ids=str)
def test_every_body_refuses_a_field_it_does_not_know_and_changes_nothing(route, client, engine):
    targets = Targets(client)
    url, body = targets.url(route), targets.body(route)
    assert not isinstance(body, Upload)
    before = database_rows(engine)

    response = call(client, route, url, (body or {}) | {"colour": "blue"})

    assert errors_of(response) == {
        ("body", "colour"): "colour is not a field of this body; check its spelling."
    }
    assert database_rows(engine) == before


def test_a_misspelt_urgency_or_revenue_never_becomes_the_default(client):
    stakeholder = factories.stakeholder(client)
    body = {"title": "SSO", "stakeholder_id": stakeholder["id"]}

    response = client.post(
        f"{API}/requests", json=body | {"urgancy": "critical", "revenu_at_stake": 50000}
    )

    assert set(errors_of(response)) == {("body", "urgancy"), ("body", "revenu_at_stake")}
    assert client.get(f"{API}/requests").json()["items"] == []


def test_a_misspelt_group_makes_no_stakeholder(client):
    response = client.post(f"{API}/stakeholders", json={"name": "Ann", "goup": "sales"})

    assert set(errors_of(response)) == {("body", "goup")}
    assert client.get(f"{API}/stakeholders").json()["items"] == []


def test_a_read_only_field_sent_back_is_refused_as_read_only(client):
    request = factories.request(client)

    response = client.patch(f"{API}/requests/{request['id']}", json={"status": "new"})

    assert errors_of(response) == {
        ("body", "status"): "status is read-only: the server sets it; leave it out."
    }


def test_messages_carry_no_library_prefix(client):
    request = factories.request(client)

    response = client.post(
        f"{API}/requests/{request['id']}/decisions", json={"outcome": "accepted", "why": "Yes"}
    )

    (message,) = errors_of(response).values()
    assert message == "roadmap_item_id is required when the outcome is accepted"
