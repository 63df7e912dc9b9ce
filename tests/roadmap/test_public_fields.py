"""What stakeholders may see of a roadmap item: public_title, public_description and
visibility, stored, filtered, audited and announced like every other field."""

import pytest

from tests import factories

URL = "/api/v1/roadmap-items"


def test_an_item_is_internal_with_no_public_text_unless_told(client):
    item = factories.roadmap_item(client, title="SAML single sign-on")

    assert item["visibility"] == "internal"
    assert (item["public_title"], item["public_description"]) == (None, None)


def test_public_fields_are_stored_and_answered(client):
    item = factories.roadmap_item(
        client,
        title="SAML SSO via Okta connector",
        public_title="  Sign in with your company account  ",
        public_description="One login for every tool you use.",
        visibility="portal",
    )

    got = client.get(f"{URL}/{item['id']}").json()

    assert got["public_title"] == "Sign in with your company account"
    assert got["public_description"] == "One login for every tool you use."
    assert got["visibility"] == "portal"


def test_the_list_filters_by_visibility(client):
    shown = factories.roadmap_item(client, title="Shown", visibility="portal")
    factories.roadmap_item(client, title="Hidden")

    listed = client.get(URL, params={"visibility": "portal"}).json()["items"]

    assert [item["id"] for item in listed] == [shown["id"]]


@pytest.mark.parametrize(
    "body",
    [
        {"visibility": "public"},
        {"visibility": None},
        {"public_title": ""},
        {"public_title": "x" * 301},
        {"public_description": "x" * 20_001},
    ],
)
def test_bad_public_fields_are_refused_and_change_nothing(client, body):
    item = factories.roadmap_item(client, title="SSO")

    response = client.patch(f"{URL}/{item['id']}", json=body)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert client.get(f"{URL}/{item['id']}").json() == item


def test_showing_an_item_on_the_portal_is_audited_and_announced(client):
    item = factories.roadmap_item(client, title="SSO")

    client.patch(f"{URL}/{item['id']}", json={"visibility": "portal", "public_title": "SSO"})

    entries = client.get(
        "/api/v1/audit", params={"entity": "roadmap_item", "entity_id": item["id"]}
    ).json()["items"]
    update = next(entry for entry in entries if entry["action"] == "update")
    assert (update["before"]["visibility"], update["after"]["visibility"]) == ("internal", "portal")
    assert (update["before"]["public_title"], update["after"]["public_title"]) == (None, "SSO")
    events = client.get("/api/v1/events", params={"type": "roadmap_item.updated"}).json()
    (event,) = events["items"]
    assert (event["data"]["visibility"], event["data"]["public_title"]) == ("portal", "SSO")
