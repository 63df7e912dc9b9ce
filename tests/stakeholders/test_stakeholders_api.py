"""/api/v1/stakeholders: CRUD, e-mail uniqueness, filters, and the delete rule."""

import pytest

from tests import factories

URL = "/api/v1/stakeholders"


def test_create_returns_the_stakeholder_with_defaults_location_and_etag(client):
    response = client.post(URL, json={"name": "  Ann Sales  "})

    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "Ann Sales"
    assert body["group"] == "other"
    assert body["weight"] == 1
    assert body["email"] is None
    assert body["organization"] is None
    assert body["version"] == 1
    assert body["created_at"].endswith("Z") or body["created_at"].endswith("+00:00")
    assert response.headers["ETag"] == 'W/"1"'
    assert response.headers["Location"].endswith(f"{URL}/{body['id']}")
    assert client.get(response.headers["Location"]).json() == body


def test_create_accepts_every_group(client):
    groups = ["sales", "marketing", "finance", "support", "engineering", "product"]
    groups += ["executive", "account_management", "customer", "partner", "other"]
    for group in groups:
        assert factories.stakeholder(client, group=group)["group"] == group


@pytest.mark.parametrize("weight", [0, 0.5, 10])
def test_weight_bounds_are_inclusive(client, weight):
    assert factories.stakeholder(client, weight=weight)["weight"] == weight


def test_name_of_200_characters_is_accepted(client):
    assert factories.stakeholder(client, name="n" * 200)["name"] == "n" * 200


def test_email_is_unique_regardless_of_case(client):
    factories.stakeholder(client, email="Ann@Example.com")

    response = client.post(URL, json={"name": "Other Ann", "email": "ann@EXAMPLE.com"})

    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert len(client.get(URL).json()["items"]) == 1


def test_email_is_stored_in_one_spelling(client):
    assert factories.stakeholder(client, email="Ann@Example.COM")["email"] == "ann@example.com"


def test_patch_to_a_taken_email_is_a_conflict_and_changes_nothing(client):
    factories.stakeholder(client, email="taken@example.com")
    other = factories.stakeholder(client, email="free@example.com")

    response = client.patch(f"{URL}/{other['id']}", json={"email": "TAKEN@example.com"})

    assert response.status_code == 409
    assert client.get(f"{URL}/{other['id']}").json()["email"] == "free@example.com"


def test_patch_changes_only_given_fields_and_bumps_version(client):
    made = factories.stakeholder(client, name="Ann", organization="Acme", weight=2)

    response = client.patch(f"{URL}/{made['id']}", json={"group": "finance"})

    assert response.status_code == 200
    body = response.json()
    assert body["group"] == "finance"
    assert (body["name"], body["organization"], body["weight"]) == ("Ann", "Acme", 2)
    assert body["version"] == 2
    assert response.headers["ETag"] == 'W/"2"'
    assert body["updated_at"] >= made["updated_at"]


def test_patch_can_clear_optional_fields(client):
    made = factories.stakeholder(client, organization="Acme", email="ann@example.com")

    body = client.patch(f"{URL}/{made['id']}", json={"organization": None, "email": None}).json()

    assert body["organization"] is None
    assert body["email"] is None


def test_patch_with_same_values_does_not_bump_version(client):
    made = factories.stakeholder(client, name="Ann")

    body = client.patch(f"{URL}/{made['id']}", json={"name": "Ann"}).json()

    assert body["version"] == 1


def test_unknown_stakeholder_is_404_problem(client):
    for response in (
        client.get(f"{URL}/999999"),
        client.patch(f"{URL}/999999", json={"name": "x"}),
        client.delete(f"{URL}/999999"),
    ):
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == 404


def test_delete_removes_the_stakeholder(client):
    made = factories.stakeholder(client)

    assert client.delete(f"{URL}/{made['id']}").status_code == 204
    assert client.get(f"{URL}/{made['id']}").status_code == 404


def test_delete_refuses_while_requests_remain(client):
    made = factories.stakeholder(client)
    request = factories.request(client, stakeholder_id=made["id"])

    response = client.delete(f"{URL}/{made['id']}")

    assert response.status_code == 409
    assert "requests" in response.json()["detail"]
    assert client.get(f"{URL}/{made['id']}").status_code == 200
    client.delete(f"/api/v1/requests/{request['id']}")
    assert client.delete(f"{URL}/{made['id']}").status_code == 204


def test_list_filters_by_group_organization_email_and_text(client):
    ann = factories.stakeholder(client, name="Ann Lee", group="sales", organization="Acme")
    bob = factories.stakeholder(client, name="Bob Ray", group="support", organization="Acme")
    factories.stakeholder(client, name="Cy Fox", group="sales", organization="Globex")

    def ids(**params):
        return [item["id"] for item in client.get(URL, params=params).json()["items"]]

    assert ids(group="support") == [bob["id"]]
    assert set(ids(organization="Acme")) == {ann["id"], bob["id"]}
    assert ids(group="sales", organization="Acme") == [ann["id"]]
    assert ids(email=ann["email"].upper()) == [ann["id"]]
    assert ids(q="lee") == [ann["id"]]
    assert ids(q="%") == []


def test_list_is_newest_first(client):
    first = factories.stakeholder(client)
    second = factories.stakeholder(client)

    items = client.get(URL).json()["items"]

    assert [item["id"] for item in items] == [second["id"], first["id"]]


def test_location_names_the_host_and_scheme_the_client_used(client):
    seen = []
    for host in ("reqtrack.example", "10.0.0.7:8080", "reqtrack.example"):
        response = client.post(URL, json={"name": f"Via {host}"}, headers={"Host": host})
        seen.append(response.headers["Location"])

    ids = [location.rsplit("/", 1)[1] for location in seen]
    assert seen == [
        f"http://reqtrack.example{URL}/{ids[0]}",
        f"http://10.0.0.7:8080{URL}/{ids[1]}",
        f"http://reqtrack.example{URL}/{ids[2]}",
    ]
