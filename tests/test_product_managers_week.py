"""A product manager's week, end to end, as the people involved would see it."""

from datetime import timedelta

import pytest
from sqlalchemy import update

from app.auth.models import Role
from app.core.types import utcnow
from app.requests.models import Request

API = "/api/v1"


def ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json()


def test_a_product_managers_week(client_as, engine):
    manager = client_as(Role.manager)
    contributor = client_as(Role.contributor)
    viewer = client_as(Role.viewer)

    # Monday: sales and support ask for the same thing, in their own words.
    dana = ok(
        contributor.post(
            f"{API}/stakeholders",
            json={"name": "Dana Reyes", "group": "sales", "organization": "Acme", "weight": 2},
        ),
        201,
    )
    sam = ok(
        contributor.post(f"{API}/stakeholders", json={"name": "Sam Ortiz", "group": "support"}), 201
    )
    deal = ok(
        contributor.post(
            f"{API}/requests",
            json={
                "title": "SSO or we lose Acme",
                "stakeholder_id": dana["id"],
                "channel": "sales_call",
                "customer": "Acme",
                "revenue_at_stake": 120000,
                "urgency": "critical",
                "description": "Acme security will not sign without SAML.",
            },
        ),
        201,
    )
    ticket = ok(
        contributor.put(
            f"{API}/requests/external/zendesk/4711",
            json={
                "title": "Customers want to log in with Okta",
                "stakeholder_id": sam["id"],
                "channel": "support_ticket",
                "urgency": "high",
            },
        ),
        201,
    )
    with engine.begin() as connection:  # they asked three days before the answer
        connection.execute(
            update(Request)
            .where(Request.id.in_([deal["id"], ticket["id"]]))
            .values(created_at=utcnow() - timedelta(hours=72))
        )
    assert {r["status"] for r in ok(viewer.get(f"{API}/requests"))["items"]} == {"new"}

    # Tuesday: triage finds the one need behind both.
    need = ok(
        manager.post(
            f"{API}/needs",
            json={"statement": "Sign in with the company identity provider", "theme": "enterprise"},
        ),
        201,
    )
    for request in (deal, ticket):
        ok(manager.patch(f"{API}/requests/{request['id']}", json={"need_id": need["id"]}))
    assert ok(viewer.get(f"{API}/needs/{need['id']}"))["groups"] == {"sales": 1, "support": 1}

    # Wednesday: the manager accepts the need into a roadmap item, with a why.
    sso = ok(
        manager.post(
            f"{API}/roadmap-items",
            json={
                "title": "Single sign-on",
                "status": "planned",
                "horizon": "next",
                "target_date": "2027-03-31",
            },
        ),
        201,
    )
    accepted = ok(
        manager.post(
            f"{API}/needs/{need['id']}/decisions",
            json={
                "outcome": "accepted",
                "roadmap_item_id": sso["id"],
                "why": "Blocks two enterprise deals and a top support theme",
                "stakeholder_message": "SSO is planned for next quarter.",
            },
        ),
        201,
    )

    # Both requests now show "decided" with the same answer.
    for request in (deal, ticket):
        answered = ok(viewer.get(f"{API}/requests/{request['id']}"))
        assert answered["status"] == "decided"
        assert answered["decision"]["id"] == accepted["id"]
    told = ok(viewer.get(f"{API}/stakeholders/{dana['id']}/requests"))["items"][0]
    assert told["decision"]["stakeholder_message"] == "SSO is planned for next quarter."
    trace = ok(viewer.get(f"{API}/roadmap-items/{sso['id']}/trace"))
    assert {r["request"]["id"] for r in trace["requests"]} == {deal["id"], ticket["id"]}
    assert trace["demand"]["revenue_at_stake"] == 120000

    # Thursday: the item slips a horizon; the promise is now suspect.
    ok(manager.patch(f"{API}/roadmap-items/{sso['id']}", json={"horizon": "later"}))
    suspect = ok(viewer.get(f"{API}/decisions", params={"suspect": "true"}))["items"]
    assert [d["id"] for d in suspect] == [accepted["id"]]
    assert ok(viewer.get(f"{API}/requests/{deal['id']}"))["decision"]["suspect"] is True

    # Friday: the manager confirms with a new why; nothing is suspect any more.
    confirmed = ok(
        manager.post(
            f"{API}/decisions/{accepted['id']}/confirm",
            json={"why": "Still committed; slipped behind the data residency work"},
        ),
        201,
    )
    assert confirmed["supersedes_id"] == accepted["id"]
    assert ok(viewer.get(f"{API}/decisions", params={"suspect": "true"}))["items"] == []
    assert ok(viewer.get(f"{API}/requests/{ticket['id']}"))["decision"]["id"] == confirmed["id"]

    # The summary's time to decision and the coverage report reflect all of it.
    summary = ok(viewer.get(f"{API}/reports/summary"))
    assert summary["requests_by_status"] == {"new": 0, "triaged": 0, "decided": 2}
    assert summary["time_to_first_decision"]["p50_hours"] == pytest.approx(72, abs=0.5)
    assert set(summary["time_to_first_decision_by_group"]) == {"sales", "support"}
    coverage = ok(manager.get(f"{API}/reports/coverage"))
    assert coverage["needs_without_accepted_item"] == []
    assert coverage["roadmap_items_without_demand"] == []
    assert coverage["suspect_decisions"] == []
    history = ok(viewer.get(f"{API}/needs/{need['id']}/decisions"))["items"]
    assert [d["id"] for d in history] == [confirmed["id"], accepted["id"]]
    audit = ok(manager.get(f"{API}/audit", params={"entity": "decision"}))["items"]
    assert {e["entity_id"] for e in audit} == {accepted["id"], confirmed["id"]}
