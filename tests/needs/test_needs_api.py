"""/api/v1/needs: CRUD, demand derived from requests, and the delete rule."""

import pytest

from tests import factories

URL = "/api/v1/needs"


def test_a_new_need_has_no_demand(client):
    response = client.post(URL, json={"statement": "Customers cannot get their data out"})

    assert response.status_code == 201
    body = response.json()
    assert body["request_count"] == 0
    assert body["stakeholder_count"] == 0
    assert body["groups"] == {}
    assert body["revenue_at_stake"] == 0
    assert body["weighted_demand"] == 0
    assert body["theme"] is None
    assert body["description"] == ""


def test_demand_rolls_up_the_requests_behind_the_need(client):
    need = factories.need(client)
    ann = factories.stakeholder(client, group="sales", weight=2)
    bob = factories.stakeholder(client, group="support", weight=1)
    cy = factories.stakeholder(client, group="support", weight=0.5)
    for stakeholder, urgency, revenue in [
        (ann, "critical", "1000.50"),  # 2 x 5 = 10
        (ann, "low", None),  # 2 x 1 = 2
        (bob, "high", "250"),  # 1 x 3 = 3
        (cy, "medium", None),  # 0.5 x 2 = 1
    ]:
        factories.request(
            client,
            stakeholder_id=stakeholder["id"],
            need_id=need["id"],
            urgency=urgency,
            revenue_at_stake=revenue,
        )
    factories.request(client, stakeholder_id=ann["id"], revenue_at_stake=99999)  # not triaged

    body = client.get(f"{URL}/{need['id']}").json()

    assert body["request_count"] == 4
    assert body["stakeholder_count"] == 3
    assert body["groups"] == {"sales": 2, "support": 2}
    assert body["revenue_at_stake"] == pytest.approx(1250.50)
    assert body["weighted_demand"] == pytest.approx(16)
    listed = client.get(URL).json()["items"]
    assert next(n for n in listed if n["id"] == need["id"]) == body


def test_demand_follows_a_request_moved_to_another_need(client):
    first, second = factories.need(client), factories.need(client)
    request = factories.request(client, need_id=first["id"])

    client.patch(f"/api/v1/requests/{request['id']}", json={"need_id": second["id"]})

    assert client.get(f"{URL}/{first['id']}").json()["request_count"] == 0
    assert client.get(f"{URL}/{second['id']}").json()["request_count"] == 1


def test_patch_statement_and_theme(client):
    need = factories.need(client)

    body = client.patch(
        f"{URL}/{need['id']}", json={"statement": "Own their data", "theme": "trust"}
    ).json()

    assert (body["statement"], body["theme"], body["version"]) == ("Own their data", "trust", 2)


def test_delete_refuses_while_requests_point_at_it(client):
    need = factories.need(client)
    request = factories.request(client, need_id=need["id"])

    response = client.delete(f"{URL}/{need['id']}")

    assert response.status_code == 409
    assert client.get(f"{URL}/{need['id']}").status_code == 200
    client.patch(f"/api/v1/requests/{request['id']}", json={"need_id": None})
    assert client.delete(f"{URL}/{need['id']}").status_code == 204
    assert client.get(f"{URL}/{need['id']}").status_code == 404


def test_list_filters_by_theme_and_text(client):
    data = factories.need(client, statement="Get data out", description="exports", theme="data")
    factories.need(client, statement="Log in once", theme="identity")

    def ids(**params):
        return [item["id"] for item in client.get(URL, params=params).json()["items"]]

    assert ids(theme="data") == [data["id"]]
    assert ids(q="EXPORTS") == [data["id"]]
    assert ids(q="data out") == [data["id"]]


def test_demand_may_exceed_what_a_single_request_can_carry(client):
    need = factories.need(client)
    for _ in range(3):
        factories.request(client, need_id=need["id"], revenue_at_stake=1_000_000_000_000)

    response = client.get(f"{URL}/{need['id']}")

    assert response.status_code == 200
    assert response.json()["revenue_at_stake"] == 3_000_000_000_000
    assert client.get(URL).status_code == 200
    assert client.patch(f"{URL}/{need['id']}", json={"theme": "big"}).status_code == 200
