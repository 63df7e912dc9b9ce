"""/api/v1/requests: CRUD, references, derived status, external references and upsert."""

from decimal import Decimal

import pytest

from app.auth.models import Role
from tests import factories

URL = "/api/v1/requests"


def test_create_keeps_the_words_verbatim_and_applies_defaults(client, users):
    stakeholder = factories.stakeholder(client)
    words = "  We need SSO,\n or the deal is off.  "

    response = client.post(
        URL, json={"title": "SSO", "description": words, "stakeholder_id": stakeholder["id"]}
    )

    assert response.status_code == 201
    body = response.json()
    assert body["description"] == words
    assert body["channel"] == "other"
    assert body["urgency"] == "medium"
    assert body["status"] == "new"
    assert body["decision"] is None
    assert body["need_id"] is None
    assert body["revenue_at_stake"] is None
    assert body["created_by"] == users[Role.admin].id
    assert response.headers["ETag"] == 'W/"1"'


def test_create_with_every_field(client):
    stakeholder = factories.stakeholder(client)
    need = factories.need(client)

    body = factories.request(
        client,
        title="Export to CSV",
        stakeholder_id=stakeholder["id"],
        channel="support_ticket",
        source_system="zendesk",
        external_id="4711",
        customer="Acme",
        revenue_at_stake="125000.50",
        urgency="critical",
        need_id=need["id"],
    )

    assert body["status"] == "triaged"
    assert Decimal(str(body["revenue_at_stake"])) == Decimal("125000.50")
    assert (body["source_system"], body["external_id"]) == ("zendesk", "4711")
    assert client.get(f"{URL}/{body['id']}").json() == body


@pytest.mark.parametrize(
    "channel", ["support_ticket", "sales_call", "rfp", "email", "meeting", "survey", "chat"]
)
def test_every_channel_is_accepted(client, channel):
    assert factories.request(client, channel=channel)["channel"] == channel


@pytest.mark.parametrize("revenue", [0, 1, "0.01", 1_000_000_000_000])
def test_revenue_bounds(client, revenue):
    body = factories.request(client, revenue_at_stake=revenue)

    assert Decimal(str(body["revenue_at_stake"])) == Decimal(str(revenue))


@pytest.mark.parametrize("field", ["stakeholder_id", "need_id"])
def test_a_reference_to_nothing_is_422(client, field):
    stakeholder = factories.stakeholder(client)
    body = {"title": "x", "stakeholder_id": stakeholder["id"], field: 987654321}

    response = client.post(URL, json=body)

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", field]
    assert client.get(URL).json()["items"] == []


def test_triage_moves_status_from_new_to_triaged_and_back(client):
    request = factories.request(client)
    need = factories.need(client)

    triaged = client.patch(f"{URL}/{request['id']}", json={"need_id": need["id"]}).json()
    untriaged = client.patch(f"{URL}/{request['id']}", json={"need_id": None}).json()

    assert triaged["status"] == "triaged"
    assert untriaged["status"] == "new"


def test_patch_to_a_missing_need_is_422_and_changes_nothing(client):
    request = factories.request(client)

    response = client.patch(f"{URL}/{request['id']}", json={"need_id": 987654321})

    assert response.status_code == 422
    assert client.get(f"{URL}/{request['id']}").json()["version"] == 1


def test_duplicate_external_reference_is_409(client):
    factories.request(client, source_system="zendesk", external_id="1")
    stakeholder = factories.stakeholder(client)

    response = client.post(
        URL,
        json={
            "title": "again",
            "stakeholder_id": stakeholder["id"],
            "source_system": "zendesk",
            "external_id": "1",
        },
    )

    assert response.status_code == 409
    assert len(client.get(URL, params={"source_system": "zendesk"}).json()["items"]) == 1


def test_same_external_id_in_another_system_is_fine(client):
    factories.request(client, source_system="zendesk", external_id="1")
    factories.request(client, source_system="salesforce", external_id="1")

    assert len(client.get(URL).json()["items"]) == 2


def test_patch_onto_a_taken_external_reference_is_409(client):
    factories.request(client, source_system="zendesk", external_id="1")
    other = factories.request(client, source_system="zendesk", external_id="2")

    response = client.patch(f"{URL}/{other['id']}", json={"external_id": "1"})

    assert response.status_code == 409
    assert client.get(f"{URL}/{other['id']}").json()["external_id"] == "2"


@pytest.mark.parametrize("reference", [{"source_system": "zendesk"}, {"external_id": "9"}])
def test_half_an_external_reference_is_422(client, reference):
    stakeholder = factories.stakeholder(client)

    response = client.post(
        URL, json={"title": "x", "stakeholder_id": stakeholder["id"], **reference}
    )

    assert response.status_code == 422


def test_patch_cannot_leave_half_an_external_reference(client):
    request = factories.request(client, source_system="zendesk", external_id="1")

    response = client.patch(f"{URL}/{request['id']}", json={"external_id": None})

    assert response.status_code == 422
    assert client.get(f"{URL}/{request['id']}").json()["external_id"] == "1"


def test_upsert_creates_then_updates_never_duplicates(client):
    stakeholder = factories.stakeholder(client)
    path = f"{URL}/external/zendesk/4711"
    body = {"title": "Export", "stakeholder_id": stakeholder["id"], "urgency": "high"}

    first = client.put(path, json=body)
    second = client.put(path, json=body | {"title": "Export all reports"})

    assert first.status_code == 201
    assert first.headers["Location"].endswith(f"{URL}/{first.json()['id']}")
    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]
    assert second.json()["title"] == "Export all reports"
    assert second.json()["version"] == 2
    assert second.headers["ETag"] == 'W/"2"'
    assert (second.json()["source_system"], second.json()["external_id"]) == ("zendesk", "4711")
    assert len(client.get(URL).json()["items"]) == 1


def test_upsert_keeps_triage_done_here(client):
    stakeholder = factories.stakeholder(client)
    need = factories.need(client)
    path = f"{URL}/external/zendesk/77"
    body = {"title": "Export", "stakeholder_id": stakeholder["id"]}
    created = client.put(path, json=body).json()
    client.patch(f"{URL}/{created['id']}", json={"need_id": need["id"]})

    updated = client.put(path, json=body | {"description": "more words"}).json()

    assert updated["need_id"] == need["id"]
    assert updated["status"] == "triaged"
    assert updated["description"] == "more words"


def test_upsert_with_missing_stakeholder_is_422_and_creates_nothing(client):
    response = client.put(f"{URL}/external/zendesk/1", json={"title": "x", "stakeholder_id": 42})

    assert response.status_code == 422
    assert client.get(URL).json()["items"] == []


def test_upsert_reference_with_special_characters(client):
    stakeholder = factories.stakeholder(client)
    body = {"title": "RFP line", "stakeholder_id": stakeholder["id"]}

    response = client.put(f"{URL}/external/ariba/RFP-2026%2F07%20line%203", json=body)

    assert response.status_code == 201
    assert response.json()["external_id"] == "RFP-2026/07 line 3"
    again = client.put(f"{URL}/external/ariba/RFP-2026%2F07%20line%203", json=body)
    assert again.status_code == 200


def test_a_source_system_with_a_slash_is_refused_everywhere(client):
    """It could never be addressed as one path segment: refused, never split."""
    stakeholder = factories.stakeholder(client)
    body = {"title": "Jira", "stakeholder_id": stakeholder["id"]}
    reference = {"source_system": "jira/cloud", "external_id": "X-1"}

    posted = client.post(URL, json=body | reference)
    put = client.put(f"{URL}/external/jira%2Fcloud/X-1", json=body)
    made = client.post(URL, json=body).json()
    patched = client.patch(f"{URL}/{made['id']}", json=reference)

    for response, where in ((posted, "body"), (put, "path"), (patched, "body")):
        assert response.status_code == 422, response.text
        assert [where, "source_system"] in [e["loc"] for e in response.json()["errors"]]
    assert [item["id"] for item in client.get(URL).json()["items"]] == [made["id"]]


def test_list_filters(client):
    ann = factories.stakeholder(client)
    need = factories.need(client)
    sso = factories.request(
        client,
        stakeholder_id=ann["id"],
        title="Single sign-on",
        channel="sales_call",
        urgency="high",
        customer="Acme",
        need_id=need["id"],
    )
    export = factories.request(
        client, title="Export", description="CSV export of all tickets", channel="support_ticket"
    )

    def ids(**params):
        return [item["id"] for item in client.get(URL, params=params).json()["items"]]

    assert ids(stakeholder_id=ann["id"]) == [sso["id"]]
    assert ids(need_id=need["id"]) == [sso["id"]]
    assert ids(status="triaged") == [sso["id"]]
    assert ids(status="new") == [export["id"]]
    assert ids(status="decided") == []
    assert ids(channel="support_ticket") == [export["id"]]
    assert ids(urgency="high") == [sso["id"]]
    assert ids(customer="Acme") == [sso["id"]]
    assert ids(q="SIGN-ON") == [sso["id"]]
    assert ids(q="tickets") == [export["id"]]
    assert ids(q="_") == []


def test_delete_then_404(client):
    request = factories.request(client)

    assert client.delete(f"{URL}/{request['id']}").status_code == 204
    assert client.get(f"{URL}/{request['id']}").status_code == 404


def test_read_only_fields_in_the_body_are_refused_by_name(client, users):
    stakeholder = factories.stakeholder(client)
    body = {"title": "x", "stakeholder_id": stakeholder["id"]}
    sneaky = {"id": 424242, "version": 99, "created_by": 7, "status": "decided", "decision": {}}
    existing = client.post(URL, json=body).json()

    refused = [
        client.post(URL, json=body | sneaky),
        client.patch(f"{URL}/{existing['id']}", json=sneaky),
    ]

    for response in refused:
        assert response.status_code == 422, response.text
        errors = {tuple(e["loc"]): e["msg"] for e in response.json()["errors"]}
        assert set(errors) == {("body", name) for name in sneaky}
        assert all("read-only" in msg for msg in errors.values()), errors
    assert [r["id"] for r in client.get(URL).json()["items"]] == [existing["id"]]
    assert client.get(f"{URL}/{existing['id']}").json() == existing


def test_text_search_ignores_case_beyond_ascii(client):
    found = factories.request(client, title="Übersicht der Anfragen", description="ÇA VA")
    factories.request(client, title="Overview")

    def ids(q):
        return [item["id"] for item in client.get(URL, params={"q": q}).json()["items"]]

    assert ids("übersicht") == [found["id"]]
    assert ids("ÜBERSICHT") == [found["id"]]
    assert ids("ça va") == [found["id"]]


def test_filter_by_full_external_reference(client):
    wanted = factories.request(client, source_system="zendesk", external_id="4711")
    factories.request(client, source_system="zendesk", external_id="4712")

    response = client.get(URL, params={"source_system": "zendesk", "external_id": "4711"})

    assert [item["id"] for item in response.json()["items"]] == [wanted["id"]]


@pytest.mark.parametrize("path", ["%FF/abc", "zendesk/%FE%FF", "%C3%28/1"])
def test_upsert_path_that_is_not_utf8_is_refused(client, path):
    stakeholder = factories.stakeholder(client)

    response = client.put(
        f"{URL}/external/{path}", json={"title": "x", "stakeholder_id": stakeholder["id"]}
    )

    assert response.status_code == 422
    assert client.get(URL).json()["items"] == []
