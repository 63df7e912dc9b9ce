"""Keyset pagination: every row exactly once, even while rows are being added."""

import pytest

from tests import factories

URL = "/api/v1/requests"


def walk(client, url, **params):
    """Follow next_cursor to the end; return every page's ids."""
    pages, cursor = [], None
    while True:
        query = params | ({"cursor": cursor} if cursor else {})
        response = client.get(url, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append([item["id"] for item in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


def test_pages_cover_every_row_once_newest_first(client):
    stakeholder = factories.stakeholder(client)
    made = [factories.request(client, stakeholder_id=stakeholder["id"])["id"] for _ in range(23)]

    pages = walk(client, URL, limit=5)

    assert [len(page) for page in pages] == [5, 5, 5, 5, 3]
    assert [i for page in pages for i in page] == sorted(made, reverse=True)


def test_rows_inserted_between_pages_are_neither_lost_nor_repeated(client):
    stakeholder = factories.stakeholder(client)
    before = [factories.request(client, stakeholder_id=stakeholder["id"])["id"] for _ in range(12)]
    seen, cursor, inserted = [], None, []
    while True:
        params = {"limit": 4} | ({"cursor": cursor} if cursor else {})
        body = client.get(URL, params=params).json()
        seen += [item["id"] for item in body["items"]]
        # Someone adds requests while we page.
        inserted.append(factories.request(client, stakeholder_id=stakeholder["id"])["id"])
        cursor = body["next_cursor"]
        if cursor is None:
            break

    assert sorted(seen, reverse=True) == seen
    assert len(seen) == len(set(seen))
    assert set(seen) == set(before)
    assert not set(inserted) & set(seen)


def test_an_exact_last_page_has_no_next_cursor(client):
    for _ in range(4):
        factories.roadmap_item(client)

    body = client.get("/api/v1/roadmap-items", params={"limit": 4}).json()

    assert len(body["items"]) == 4
    assert body["next_cursor"] is None


def test_an_empty_list(client):
    assert client.get("/api/v1/needs").json() == {"items": [], "next_cursor": None}


def test_default_limit_is_50_and_maximum_200(client):
    stakeholder = factories.stakeholder(client)
    for _ in range(51):
        factories.request(client, stakeholder_id=stakeholder["id"])

    assert len(client.get(URL).json()["items"]) == 50
    assert len(client.get(URL, params={"limit": 200}).json()["items"]) == 51
    assert client.get(URL, params={"limit": 201}).status_code == 422


def test_cursor_works_together_with_filters(client):
    ann, bob = factories.stakeholder(client), factories.stakeholder(client)
    anns = [factories.request(client, stakeholder_id=ann["id"])["id"] for _ in range(5)]
    for _ in range(5):
        factories.request(client, stakeholder_id=bob["id"])

    pages = walk(client, URL, limit=2, stakeholder_id=ann["id"])

    assert [i for page in pages for i in page] == sorted(anns, reverse=True)


@pytest.mark.parametrize(
    ("path", "make"),
    [
        ("/api/v1/stakeholders", factories.stakeholder),
        ("/api/v1/needs", factories.need),
        ("/api/v1/roadmap-items", factories.roadmap_item),
    ],
)
def test_every_list_pages_the_same_way(client, path, make):
    made = [make(client)["id"] for _ in range(7)]

    pages = walk(client, path, limit=3)

    assert [i for page in pages for i in page] == sorted(made, reverse=True)


@pytest.mark.parametrize(
    ("path", "typo"),
    [
        ("/api/v1/requests", "stakholder_id"),
        ("/api/v1/requests", "group"),
        ("/api/v1/stakeholders", "grup"),
        ("/api/v1/needs", "status"),
        ("/api/v1/roadmap-items", "page"),
    ],
)
def test_an_unknown_filter_is_a_422_not_an_unfiltered_list(client, path, typo):
    response = client.get(path, params={typo: "1"})

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    errors = {tuple(error["loc"]): error["msg"] for error in response.json()["errors"]}
    assert errors[("query", typo)] == f"{typo} is not a parameter here; check its spelling."
