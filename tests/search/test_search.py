"""GET /search: one query across requests, needs, roadmap items and stakeholders, English
words stemmed on both databases, ranked, with an escaped, highlighted snippet."""

import pytest

from app.core.fulltext import words_of
from tests import factories

API = "/api/v1"


def search(client, **params):
    response = client.get(f"{API}/search", params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]


@pytest.fixture
def a_little_of_everything(client):
    dana = factories.stakeholder(client, name="Dana Whitfield", organization="Exporters Ltd")
    need = factories.need(
        client, statement="Finance exports invoices monthly", description="CSV for the ledger"
    )
    item = factories.roadmap_item(client, title="Scheduled exports", description="Nightly files")
    request = factories.request(
        client,
        stakeholder_id=dana["id"],
        title="Export the pipeline to CSV",
        description="Sales ops exported by hand every Friday.",
    )
    factories.request(client, title="Dark mode", description="Nothing to do with the others")
    return {"stakeholder": dana, "need": need, "roadmap_item": item, "request": request}


def test_one_word_finds_each_type_by_its_stem(client, a_little_of_everything):
    found = search(client, q="exports")

    assert {(hit["type"], hit["id"]) for hit in found} == {
        (kind, made["id"]) for kind, made in a_little_of_everything.items()
    }
    assert [hit["score"] for hit in found] == sorted((hit["score"] for hit in found), reverse=True)
    titles = {hit["type"]: hit["title"] for hit in found}
    assert titles == {
        "stakeholder": "Dana Whitfield",
        "need": "Finance exports invoices monthly",
        "roadmap_item": "Scheduled exports",
        "request": "Export the pipeline to CSV",
    }


def test_types_narrow_the_search_and_limit_caps_it(client, a_little_of_everything):
    needs_and_items = search(client, q="export", types="need,roadmap_item")
    one = search(client, q="export", limit=1)

    assert {hit["type"] for hit in needs_and_items} == {"need", "roadmap_item"}
    assert len(one) == 1


def test_the_snippet_marks_each_match_and_escapes_the_text(client):
    factories.request(
        client,
        title="Reports & <script>alert(1)</script>",
        description="The quarterly reporting export & more.",
    )

    (hit,) = search(client, q="reporting", types="request")

    snippet = hit["snippet"]
    assert "<mark>" in snippet
    assert "</mark>" in snippet
    assert "<" not in snippet.replace("<mark>", "").replace("</mark>", "")  # no other markup
    assert "&amp;" in snippet


def test_every_word_must_match_and_stop_words_ask_nothing(client, a_little_of_everything):
    both = search(client, q="the exports of the finance team", types="need")
    neither = search(client, q="export nightly ledger")

    assert [hit["title"] for hit in both] == []  # "team" is nowhere
    assert neither == []
    assert search(client, q="finance exports", types="need")[0]["title"] == (
        "Finance exports invoices monthly"
    )


@pytest.mark.parametrize(
    "q",
    [
        "the and of",
        "!!! ???",
        '"',
        "*",
        "NEAR(export csv)",
        "-export",
        "title:export",
        "export OR",
        "AND",
        "^export",
        "export:*",
        "(export",
        "{title}: export",
        "export\\",
        "' OR 1=1 --",
    ],
)
def test_query_syntax_is_never_syntax(client, a_little_of_everything, q):
    """Each word is a word: what is found holds the first of them (or nothing is)."""
    response = client.get(f"{API}/search", params={"q": q})

    assert response.status_code == 200, response.text
    found = {(hit["type"], hit["id"]) for hit in response.json()["items"]}
    words = words_of(q)
    if not words:
        assert found == set()
    else:
        assert found <= {(hit["type"], hit["id"]) for hit in search(client, q=words[0])}


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"q": ""},
        {"q": "export", "types": "requests"},
        {"q": "export", "types": "request,"},
        {"q": "export", "limit": 0},
        {"q": "export", "limit": 51},
        {"q": "export", "sort": "score"},
        {"q": " ".join(f"word{n}" for n in range(17))},
    ],
)
def test_bad_parameters_are_a_422(client, params):
    response = client.get(f"{API}/search", params=params)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
