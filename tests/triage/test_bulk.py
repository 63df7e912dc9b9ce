"""POST /requests/triage: many requests filed under needs at once, all or nothing."""

import pytest

from app.auth.models import Role
from tests import factories

API = "/api/v1"
TRIAGE = f"{API}/requests/triage"


def test_a_batch_files_every_request_as_a_patch_would(client):
    sso, exports = factories.need(client), factories.need(client)
    factories.created(
        client, f"/needs/{exports['id']}/decisions", {"outcome": "declined", "why": "Not now"}
    )
    asked = [factories.request(client) for _ in range(20)]
    items = [
        {"request_id": r["id"], "need_id": (sso if i % 2 else exports)["id"]}
        for i, r in enumerate(asked)
    ]
    items[0]["if_match"] = 'W/"1"'

    filed = client.post(TRIAGE, json={"items": items})

    assert filed.status_code == 200, filed.text
    answered = filed.json()["items"]
    assert [r["id"] for r in answered] == [r["id"] for r in asked]
    assert [r["need_id"] for r in answered] == [item["need_id"] for item in items]
    assert {r["version"] for r in answered} == {2}
    assert [r["status"] for r in answered[:2]] == ["decided", "triaged"]  # exports is decided
    events = client.get(f"{API}/events", params={"type": "request.updated"}).json()["items"]
    assert sorted(e["data"]["id"] for e in events) == sorted(r["id"] for r in asked)
    audit = client.get(f"{API}/audit", params={"entity": "request", "action": "update"})
    changes = {e["entity_id"]: e["after"]["need_id"] for e in audit.json()["items"]}
    assert changes == {item["request_id"]: item["need_id"] for item in items}
    sso_after = client.get(f"{API}/needs/{sso['id']}").json()
    assert sso_after["request_count"] == 10


def test_any_bad_item_refuses_the_batch_naming_each_by_index(client):
    need = factories.need(client)
    gone, into = factories.need(client), factories.need(client)
    client.post(f"{API}/needs/{into['id']}/merge", json={"source_ids": [gone["id"]]})
    asked = [factories.request(client) for _ in range(5)]
    items = [{"request_id": r["id"], "need_id": need["id"]} for r in asked]
    items[1]["need_id"] = 999_999
    items[2]["request_id"] = 999_999
    items[3]["if_match"] = 'W/"7"'
    items.append({"request_id": asked[0]["id"], "need_id": need["id"]})
    items[4]["need_id"] = gone["id"]

    refused = client.post(TRIAGE, json={"items": items})

    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["type"] == "urn:reqtrack:problem:rule-violation"
    assert [(e["loc"][2:], e["msg"]) for e in problem["errors"]] == [
        ([1, "need_id"], "need 999999 does not exist"),
        ([2, "request_id"], "request 999999 does not exist"),
        ([3, "if_match"], 'If-Match does not match the current version (W/"1"); '
         "fetch the resource again and reapply your change."),
        ([4, "need_id"], f"need {gone['id']} was merged into need {into['id']}"),
        ([5, "request_id"], f"request {asked[0]['id']} is already item 0"),
    ]  # fmt: skip
    for request in asked:
        after = client.get(f"{API}/requests/{request['id']}").json()
        assert (after["need_id"], after["version"]) == (None, 1)
    assert client.get(f"{API}/events", params={"type": "request.updated"}).json()["items"] == []


@pytest.mark.parametrize("count", [0, 501])
def test_a_batch_holds_one_to_500_items(client, count):
    items = [{"request_id": i + 1, "need_id": 1} for i in range(count)]

    refused = client.post(TRIAGE, json={"items": items})

    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"] == ["body", "items"]


def test_only_managers_triage(client_as):
    need = factories.need(client_as(Role.admin))
    request = factories.request(client_as(Role.admin))
    body = {"items": [{"request_id": request["id"], "need_id": need["id"]}]}

    assert client_as(Role.contributor).post(TRIAGE, json=body).status_code == 403
    assert client_as(Role.manager).post(TRIAGE, json=body).status_code == 200
