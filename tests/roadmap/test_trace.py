"""GET /roadmap-items/{id}/trace: why is this on the roadmap?"""

import pytest

from tests import factories
from tests.queries import counting_queries


def decide(client, subject, subject_id, **fields):
    body = {"outcome": "accepted", "why": "Because customers need it"} | fields
    return factories.created(client, f"/{subject}/{subject_id}/decisions", body)


def trace(client, item_id):
    response = client.get(f"/api/v1/roadmap-items/{item_id}/trace")
    assert response.status_code == 200, response.text
    return response.json()


def test_trace_shows_needs_and_requests_accepted_into_the_item(client):
    item = factories.roadmap_item(client, title="SSO")
    other_item = factories.roadmap_item(client)
    sales = factories.stakeholder(client, group="sales", weight=2)
    support = factories.stakeholder(client, group="support")
    need = factories.need(client)
    via_need = factories.request(
        client,
        stakeholder_id=sales["id"],
        need_id=need["id"],
        urgency="critical",
        revenue_at_stake=1000,
    )
    direct = factories.request(client, stakeholder_id=support["id"], urgency="low")
    overridden = factories.request(client, stakeholder_id=support["id"], need_id=need["id"])
    elsewhere = factories.request(client, stakeholder_id=support["id"])
    decide(client, "needs", need["id"], roadmap_item_id=item["id"])
    decide(client, "requests", direct["id"], roadmap_item_id=item["id"])
    decide(client, "requests", overridden["id"], outcome="declined")
    decide(client, "requests", elsewhere["id"], roadmap_item_id=other_item["id"])

    body = trace(client, item["id"])

    assert body["roadmap_item"]["id"] == item["id"]
    assert [n["need"]["id"] for n in body["needs"]] == [need["id"]]
    assert body["needs"][0]["decision"]["outcome"] == "accepted"
    traced = {r["request"]["id"]: r for r in body["requests"]}
    assert set(traced) == {via_need["id"], direct["id"]}
    assert traced[via_need["id"]]["stakeholder"]["id"] == sales["id"]
    assert traced[via_need["id"]]["request"]["decision"]["need_id"] == need["id"]
    assert traced[direct["id"]]["request"]["decision"]["request_id"] == direct["id"]
    demand = body["demand"]
    assert demand["request_count"] == 2
    assert demand["stakeholder_count"] == 2
    assert demand["groups"] == {"sales": 1, "support": 1}
    assert demand["revenue_at_stake"] == 1000
    assert demand["weighted_demand"] == pytest.approx(2 * 5 + 1 * 1)
    assert demand["weighted_demand_by_group"] == {"sales": 10, "support": 1}


def test_an_item_nothing_leads_to_has_an_empty_trace(client):
    item = factories.roadmap_item(client)

    body = trace(client, item["id"])

    assert (body["needs"], body["requests"]) == ([], [])
    assert body["demand"]["request_count"] == 0


def test_trace_of_a_missing_item_is_404(client):
    assert client.get("/api/v1/roadmap-items/999999/trace").status_code == 404


def test_trace_issues_the_same_few_queries_for_3_or_30_requests(client, engine):
    def traced_queries(count):
        item = factories.roadmap_item(client)
        need = factories.need(client)
        decide(client, "needs", need["id"], roadmap_item_id=item["id"])
        stakeholder = factories.stakeholder(client)
        for _ in range(count):
            request = factories.request(
                client, stakeholder_id=factories.stakeholder(client)["id"], need_id=need["id"]
            )
            decide(client, "requests", request["id"], roadmap_item_id=item["id"])
        factories.request(client, stakeholder_id=stakeholder["id"], need_id=need["id"])
        with counting_queries(engine) as statements:
            body = trace(client, item["id"])
        assert len(body["requests"]) == count + 1
        return len(statements)

    few, many = traced_queries(3), traced_queries(30)

    assert few == many
    assert many <= 15
