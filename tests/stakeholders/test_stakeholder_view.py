"""GET /stakeholders/{id}/requests: what did we tell them?"""

from tests import factories


def test_each_request_shows_its_answer(client):
    dana = factories.stakeholder(client)
    need = factories.need(client)
    item = factories.roadmap_item(client)
    answered = factories.request(client, stakeholder_id=dana["id"], need_id=need["id"])
    open_question = factories.request(client, stakeholder_id=dana["id"])
    factories.request(client)  # someone else's
    factories.created(
        client,
        f"/needs/{need['id']}/decisions",
        {
            "outcome": "accepted",
            "roadmap_item_id": item["id"],
            "why": "Enterprise deals depend on it",
            "stakeholder_message": "Coming next quarter",
        },
    )

    response = client.get(f"/api/v1/stakeholders/{dana['id']}/requests")

    assert response.status_code == 200
    items = response.json()["items"]
    assert [r["id"] for r in items] == [open_question["id"], answered["id"]]
    assert items[0]["decision"] is None
    assert items[1]["status"] == "decided"
    assert items[1]["decision"]["why"] == "Enterprise deals depend on it"
    assert items[1]["decision"]["stakeholder_message"] == "Coming next quarter"


def test_unknown_stakeholder_is_404(client):
    assert client.get("/api/v1/stakeholders/987654/requests").status_code == 404


def test_pages(client):
    dana = factories.stakeholder(client)
    for _ in range(3):
        factories.request(client, stakeholder_id=dana["id"])

    first = client.get(f"/api/v1/stakeholders/{dana['id']}/requests", params={"limit": 2}).json()
    rest = client.get(
        f"/api/v1/stakeholders/{dana['id']}/requests",
        params={"limit": 2, "cursor": first["next_cursor"]},
    ).json()

    assert len(first["items"]) == 2
    assert len(rest["items"]) == 1
    assert rest["next_cursor"] is None
