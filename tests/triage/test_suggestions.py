"""Suggestions: the needs a request likely belongs to, and the untriaged requests that
look like a need, ranked by the words they share and explained by them."""

import pytest

from app.triage import suggestions
from tests import factories

API = "/api/v1"


@pytest.fixture
def needs(client):
    sso = factories.need(
        client,
        statement="Enterprise customers sign in with their identity provider",
        description="Security reviews block deals without single sign-on.",
    )
    exports = factories.need(
        client,
        statement="Customers need their data outside the product",
        description="Support sends spreadsheets by hand every week.",
    )
    # Worded unlike any request: its requests speak for it.
    offline = factories.need(client, statement="Field staff keep working underground")
    for title in ("Offline mode for the tablet app", "Tablet app offline in the plant"):
        factories.request(client, title=title, need_id=offline["id"])
    return {"sso": sso, "exports": exports, "offline": offline}


def suggested_needs(client, request_id, **params):
    response = client.get(f"{API}/requests/{request_id}/suggested-needs", params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_the_need_sharing_the_requests_words_comes_first(client, needs):
    request = factories.request(
        client, title="Okta sign-in for Acme", description="Their security review needs it."
    )

    suggested = suggested_needs(client, request["id"])

    assert suggested[0]["need"]["id"] == needs["sso"]["id"]
    assert suggested[0]["need"]["statement"] == needs["sso"]["statement"]
    assert suggested[0]["matched"] == ["sign", "security", "review"]
    scores = [item["score"] for item in suggested]
    assert scores == sorted(scores, reverse=True)
    assert needs["offline"]["id"] not in [item["need"]["id"] for item in suggested]


def test_a_need_is_found_through_the_requests_filed_under_it(client, needs):
    request = factories.request(client, title="The tablets must work offline")

    (first, *_) = suggested_needs(client, request["id"])

    assert first["need"]["id"] == needs["offline"]["id"]
    # "work" is in its statement (as "working"); the others only in its requests.
    assert first["matched"] == ["tablets", "work", "offline"]


def test_limit_caps_the_suggestions_and_a_request_without_words_gets_none(client, needs):
    request = factories.request(
        client, title="Export data for the security review", description="Offline tablets too."
    )
    wordless = factories.request(client, title="?!", description="The of and")

    assert len(suggested_needs(client, request["id"], limit=2)) == 2
    assert suggested_needs(client, wordless["id"]) == []


def test_a_merged_need_is_never_suggested_but_its_target_is(client, needs):
    merged = client.post(
        f"{API}/needs/{needs['exports']['id']}/merge",
        json={"source_ids": [needs["offline"]["id"]]},
    )
    assert merged.status_code == 200, merged.text
    request = factories.request(client, title="Offline mode for tablets")

    suggested = [item["need"]["id"] for item in suggested_needs(client, request["id"])]

    assert needs["offline"]["id"] not in suggested
    assert suggested[0] == needs["exports"]["id"]  # the offline requests moved there


def test_the_untriaged_requests_that_look_like_a_need(client, needs):
    alike = factories.request(client, title="Single sign-on with our identity provider")
    weaker = factories.request(client, title="Security questionnaire", description="Sign it.")
    filed = factories.request(client, title="Identity provider login", need_id=needs["sso"]["id"])
    unrelated = factories.request(client, title="Dark mode")
    decided = factories.request(client, title="Sign in with the identity provider please")
    answered = client.post(
        f"{API}/requests/{decided['id']}/decisions", json={"outcome": "declined", "why": "No"}
    )
    assert answered.status_code == 201, answered.text

    response = client.get(f"{API}/needs/{needs['sso']['id']}/suggested-requests")

    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [item["request"]["id"] for item in items] == [alike["id"], weaker["id"]]
    assert items[0]["request"]["status"] == "new"
    assert items[0]["matched"] == ["sign", "identity", "provider", "single"]
    assert {filed["id"], unrelated["id"], decided["id"]}.isdisjoint(
        item["request"]["id"] for item in items
    )


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/requests/999999/suggested-needs", 404),
        ("/needs/999999/suggested-requests", 404),
        ("/requests/abc/suggested-needs", 422),
        ("/requests/{request}/suggested-needs?limit=0", 422),
        ("/requests/{request}/suggested-needs?limit=51", 422),
        ("/needs/{need}/suggested-requests?limit=201", 422),
    ],
)
def test_unknown_subjects_and_bad_limits(client, needs, path, status):
    request = factories.request(client, title="Anything")
    path = path.format(request=request["id"], need=needs["sso"]["id"])

    response = client.get(f"{API}{path}")

    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_a_merged_needs_suggested_requests_are_gone_with_where_it_went(client, needs):
    merged = client.post(
        f"{API}/needs/{needs['sso']['id']}/merge",
        json={"source_ids": [needs["exports"]["id"]]},
    )
    assert merged.status_code == 200, merged.text

    response = client.get(f"{API}/needs/{needs['exports']['id']}/suggested-requests")

    assert response.status_code == 410, response.text
    assert response.json()["merged_into"] == needs["sso"]["id"]


def test_only_the_newest_requests_are_looked_through(client, needs, monkeypatch):
    """The requests read for evidence are the newest (NEWEST_REQUESTS): an old request
    filed under a need no longer speaks for it."""
    old = factories.request(
        client, title="Quarterly zeppelin forecast", need_id=needs["exports"]["id"]
    )
    factories.request(client, title="Something else")
    factories.request(client, title="And another")
    request = factories.request(client, title="Zeppelin forecast please")

    seen = suggested_needs(client, request["id"])
    monkeypatch.setattr(suggestions, "NEWEST_REQUESTS", 3)
    unseen = suggested_needs(client, request["id"])

    assert [item["need"]["id"] for item in seen][:1] == [needs["exports"]["id"]]
    assert needs["exports"]["id"] not in [item["need"]["id"] for item in unseen]
    assert old["need_id"] == needs["exports"]["id"]
