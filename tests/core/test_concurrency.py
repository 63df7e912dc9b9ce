"""ETag on every single resource; If-Match refuses stale writes with 412, writing nothing."""

import pytest

from tests import factories


def test_get_carries_the_version_as_weak_etag(client):
    need = factories.need(client)

    response = client.get(f"/api/v1/needs/{need['id']}")

    assert response.headers["ETag"] == 'W/"1"'
    assert response.json()["version"] == 1


@pytest.mark.parametrize(
    ("path", "make", "change"),
    [
        ("/api/v1/stakeholders", factories.stakeholder, {"name": "New name"}),
        ("/api/v1/requests", factories.request, {"title": "New title"}),
        ("/api/v1/needs", factories.need, {"statement": "New statement"}),
        ("/api/v1/roadmap-items", factories.roadmap_item, {"title": "New title"}),
    ],
)
def test_patch_with_stale_if_match_is_412_and_writes_nothing(client, path, make, change):
    made = make(client)
    url = f"{path}/{made['id']}"
    assert client.patch(url, json=change, headers={"If-Match": 'W/"1"'}).status_code == 200

    stale = client.patch(
        url, json={k: v + " again" for k, v in change.items()}, headers={"If-Match": 'W/"1"'}
    )

    assert stale.status_code == 412
    assert stale.headers["content-type"] == "application/problem+json"
    current = client.get(url).json()
    assert current["version"] == 2
    assert all(current[k] == v for k, v in change.items())


@pytest.mark.parametrize(
    ("path", "make"),
    [
        ("/api/v1/stakeholders", factories.stakeholder),
        ("/api/v1/requests", factories.request),
        ("/api/v1/needs", factories.need),
        ("/api/v1/roadmap-items", factories.roadmap_item),
    ],
)
def test_delete_with_stale_if_match_is_412_and_keeps_the_resource(client, path, make):
    made = make(client)
    url = f"{path}/{made['id']}"

    assert client.delete(url, headers={"If-Match": 'W/"7"'}).status_code == 412
    assert client.get(url).status_code == 200
    assert client.delete(url, headers={"If-Match": 'W/"1"'}).status_code == 204


@pytest.mark.parametrize("header", ['W/"1"', '"1"', "*", 'W/"9", W/"1"'])
def test_matching_if_match_forms_are_accepted(client, header):
    need = factories.need(client)

    response = client.patch(
        f"/api/v1/needs/{need['id']}", json={"theme": "t"}, headers={"If-Match": header}
    )

    assert response.status_code == 200


def test_upsert_with_stale_if_match_is_412(client):
    stakeholder = factories.stakeholder(client)
    url = "/api/v1/requests/external/crm/1"
    body = {"title": "Deal blocker", "stakeholder_id": stakeholder["id"]}
    client.put(url, json=body)
    client.put(url, json=body | {"title": "Deal blocker, v2"})

    stale = client.put(url, json=body | {"title": "v3"}, headers={"If-Match": 'W/"1"'})
    fresh = client.put(url, json=body | {"title": "v3"}, headers={"If-Match": 'W/"2"'})

    assert stale.status_code == 412
    assert fresh.status_code == 200
    assert fresh.json()["title"] == "v3"


def test_upsert_with_if_match_on_a_missing_reference_is_412_and_creates_nothing(client):
    stakeholder = factories.stakeholder(client)

    response = client.put(
        "/api/v1/requests/external/crm/404",
        json={"title": "x", "stakeholder_id": stakeholder["id"]},
        headers={"If-Match": 'W/"1"'},
    )

    assert response.status_code == 412
    assert client.get("/api/v1/requests").json()["items"] == []


def test_without_if_match_last_write_wins(client):
    need = factories.need(client)
    url = f"/api/v1/needs/{need['id']}"

    client.patch(url, json={"theme": "first"})
    client.patch(url, json={"theme": "second"})

    assert client.get(url).json()["theme"] == "second"
