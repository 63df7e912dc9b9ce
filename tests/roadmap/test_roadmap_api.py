"""/api/v1/roadmap-items: CRUD with the contract's enums, defaults and filters."""

import pytest

from tests import factories

URL = "/api/v1/roadmap-items"


def test_create_uses_contract_defaults(client):
    response = client.post(URL, json={"title": "Single sign-on"})

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "proposed"
    assert body["horizon"] == "later"
    assert body["description"] == ""
    assert body["target_date"] is None
    assert body["theme"] is None
    assert response.headers["ETag"] == 'W/"1"'


def test_create_with_every_field(client):
    body = factories.roadmap_item(
        client,
        title="SSO",
        description="SAML and OIDC",
        status="planned",
        horizon="now",
        target_date="2027-03-31",
        theme="enterprise",
    )

    got = client.get(f"{URL}/{body['id']}").json()

    assert got["target_date"] == "2027-03-31"
    assert (got["status"], got["horizon"], got["theme"]) == ("planned", "now", "enterprise")


@pytest.mark.parametrize("status", ["proposed", "planned", "in_progress", "shipped", "cancelled"])
def test_every_status_is_accepted(client, status):
    assert factories.roadmap_item(client, status=status)["status"] == status


@pytest.mark.parametrize(
    "target_date", ["2027-02-30", "soon", 0, "2027-01-01T00:00:00Z", "20270101", True]
)
def test_anything_but_an_iso_date_is_refused(client, target_date):
    response = client.post(URL, json={"title": "x", "target_date": target_date})

    assert response.status_code == 422
    assert client.get(URL).json()["items"] == []


def test_patch_moves_the_item_and_clears_the_date(client):
    item = factories.roadmap_item(client, horizon="later", target_date="2027-01-01")

    body = client.patch(f"{URL}/{item['id']}", json={"horizon": "next", "target_date": None}).json()

    assert body["horizon"] == "next"
    assert body["target_date"] is None
    assert body["version"] == 2


def test_delete_then_404(client):
    item = factories.roadmap_item(client)

    assert client.delete(f"{URL}/{item['id']}").status_code == 204
    assert client.get(f"{URL}/{item['id']}").status_code == 404


def test_list_filters(client):
    sso = factories.roadmap_item(client, title="SSO login", status="planned", horizon="now")
    factories.roadmap_item(client, title="Exports", status="proposed", horizon="now", theme="data")

    def ids(**params):
        return [item["id"] for item in client.get(URL, params=params).json()["items"]]

    assert ids(status="planned") == [sso["id"]]
    assert len(ids(horizon="now")) == 2
    assert ids(theme="data") != []
    assert ids(q="sso") == [sso["id"]]
