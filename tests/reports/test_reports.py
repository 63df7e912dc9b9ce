"""/reports: summary, demand ranking, coverage, computed in the database."""

from datetime import timedelta

import pytest
from sqlalchemy import update

from app.core.types import utcnow
from app.decisions.models import Decision
from app.requests.models import Request
from tests import factories
from tests.queries import counting_queries


def decide(client, subject, subject_id, **fields):
    body = {"outcome": "declined", "why": "Not now"} | fields
    return factories.created(client, f"/{subject}/{subject_id}/decisions", body)


def came_due(engine, decision_id):
    """A revisit date of today, a day later: it has passed (no client may give one)."""
    with engine.begin() as connection:
        connection.execute(
            update(Decision)
            .where(Decision.id == decision_id)
            .values(revisit_at=utcnow().date() - timedelta(days=1))
        )


def filed_ago(engine, request_id, hours):
    """Backdate a request, as if it had been filed `hours` ago."""
    with engine.begin() as connection:
        connection.execute(
            update(Request)
            .where(Request.id == request_id)
            .values(created_at=utcnow() - timedelta(hours=hours))
        )


def report(client, name, **params):
    response = client.get(f"/api/v1/reports/{name}", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_summary_counts_and_waiting_times(client, engine):
    sales = factories.stakeholder(client, group="sales")
    support = factories.stakeholder(client, group="support")
    need = factories.need(client)
    waits = {10: sales, 20: sales, 30: sales, 40: support}
    decided = []
    for hours, who in waits.items():
        request = factories.request(client, stakeholder_id=who["id"])
        filed_ago(engine, request["id"], hours)
        decide(client, "requests", request["id"])
        decided.append(request)
    factories.request(client, stakeholder_id=support["id"], need_id=need["id"])  # triaged
    factories.request(client, stakeholder_id=support["id"])  # new, fresh
    old = factories.request(client, stakeholder_id=support["id"])
    filed_ago(engine, old["id"], 24 * 45)

    body = report(client, "summary")

    assert body["requests_by_status"] == {"new": 2, "triaged": 1, "decided": 4}
    assert body["requests_by_group"] == {"sales": 3, "support": 4}
    assert body["decisions_by_outcome"]["declined"] == 4
    overall = body["time_to_first_decision"]
    assert overall["decided_requests"] == 4
    assert overall["p50_hours"] == pytest.approx(20, abs=0.1)
    assert overall["p90_hours"] == pytest.approx(40, abs=0.1)
    per_group = body["time_to_first_decision_by_group"]
    assert per_group["sales"]["p50_hours"] == pytest.approx(20, abs=0.1)
    assert per_group["support"]["p90_hours"] == pytest.approx(40, abs=0.1)
    assert body["undecided_by_age"] == {"0-7d": 2, "8-30d": 0, "31-90d": 1, ">90d": 0}


def test_a_need_decision_answers_its_requests_in_the_summary(client, engine):
    need = factories.need(client)
    request = factories.request(client, need_id=need["id"])
    filed_ago(engine, request["id"], 5)
    decide(client, "needs", need["id"])

    body = report(client, "summary")

    assert body["requests_by_status"]["decided"] == 1
    assert body["time_to_first_decision"]["p50_hours"] == pytest.approx(5, abs=0.1)


def test_empty_summary(client):
    body = report(client, "summary")

    assert body["requests_by_status"] == {"new": 0, "triaged": 0, "decided": 0}
    assert body["time_to_first_decision"]["p50_hours"] is None


def test_demand_ranks_needs_and_explains_the_rank(client):
    small, big = factories.need(client, statement="Small"), factories.need(client, statement="Big")
    exec_ = factories.stakeholder(client, group="executive", weight=3)
    sales = factories.stakeholder(client, group="sales")
    factories.request(client, stakeholder_id=sales["id"], need_id=small["id"], urgency="low")
    factories.request(client, stakeholder_id=exec_["id"], need_id=big["id"], urgency="critical")
    factories.request(client, stakeholder_id=sales["id"], need_id=big["id"], urgency="medium")

    body = report(client, "demand", by="need", limit=10)

    assert [(i["rank"], i["label"]) for i in body["items"]] == [(1, "Big"), (2, "Small")]
    top = body["items"][0]
    assert top["weighted_demand"] == pytest.approx(17)
    assert top["weighted_demand_by_group"] == {"executive": 15, "sales": 2}
    assert top["groups"] == {"executive": 1, "sales": 1}
    assert len(report(client, "demand", by="need", limit=1)["items"]) == 1


def test_demand_by_roadmap_item_follows_effective_acceptances(client):
    item = factories.roadmap_item(client, title="SSO")
    need = factories.need(client)
    for _ in range(2):
        factories.request(client, need_id=need["id"])
    decide(client, "needs", need["id"], outcome="accepted", roadmap_item_id=item["id"])

    body = report(client, "demand", by="roadmap_item")

    assert [(i["label"], i["request_count"]) for i in body["items"]] == [("SSO", 2)]


def test_demand_by_group_stakeholder_and_customer_explains_each_rank(client):
    exec_ = factories.stakeholder(client, name="Eve Exec", group="executive", weight=3)
    sales = factories.stakeholder(client, name="Sam Sales", group="sales")
    support = factories.stakeholder(client, name="Sue Support", group="support")
    for who, customer, urgency in [
        (exec_, "Acme Corp", "critical"),  # 3 x 5 = 15
        (sales, "Acme Corp", "high"),  # 3
        (sales, "Globex", "medium"),  # 2
        (support, None, "low"),  # 1
    ]:
        fields = {"customer": customer} if customer else {}
        factories.request(
            client, stakeholder_id=who["id"], urgency=urgency, revenue_at_stake=1000, **fields
        )

    groups = report(client, "demand", by="group")["items"]
    people = report(client, "demand", by="stakeholder")["items"]
    customers = report(client, "demand", by="customer")["items"]

    assert [(g["rank"], g["id"], g["label"], g["weighted_demand"]) for g in groups] == [
        (1, None, "executive", 15), (2, None, "sales", 5), (3, None, "support", 1),
    ]  # fmt: skip
    assert [(p["id"], p["label"], p["request_count"]) for p in people] == [
        (exec_["id"], "Eve Exec", 1), (sales["id"], "Sam Sales", 2),
        (support["id"], "Sue Support", 1),
    ]  # fmt: skip
    acme = customers[0]
    assert [(c["id"], c["label"]) for c in customers] == [(None, "Acme Corp"), (None, "Globex")]
    assert acme["weighted_demand_by_group"] == {"executive": 15, "sales": 3}
    assert acme["groups"] == {"executive": 1, "sales": 1}
    assert acme["stakeholder_count"] == 2
    assert acme["revenue_at_stake"] == 2000
    assert len(report(client, "demand", by="customer", limit=1)["items"]) == 1


@pytest.mark.parametrize(
    "params", [{"by": "team"}, {"limit": 0}, {"limit": 201}, {"older_than_days": -1}]
)
def test_bad_report_parameters_are_422(client, params):
    name = "coverage" if "older_than_days" in params else "demand"

    assert client.get(f"/api/v1/reports/{name}", params=params).status_code == 422


def test_coverage_lists_what_slipped_through(client, engine):
    accepted_need, open_need = factories.need(client), factories.need(client)
    used, unused = factories.roadmap_item(client), factories.roadmap_item(client)
    need_promise = decide(
        client, "needs", accepted_need["id"], outcome="accepted", roadmap_item_id=used["id"]
    )
    stale = factories.request(client)
    filed_ago(engine, stale["id"], 24 * 40)
    factories.request(client)  # recent: not yet a problem
    due = factories.request(client)
    revisit = decide(
        client,
        "requests",
        due["id"],
        outcome="deferred",
        revisit_at=str(utcnow().date()),
    )
    came_due(engine, revisit["id"])
    promised = factories.request(client)
    promise = decide(
        client, "requests", promised["id"], outcome="accepted", roadmap_item_id=used["id"]
    )
    client.patch(f"/api/v1/roadmap-items/{used['id']}", json={"horizon": "now"})

    body = report(client, "coverage")

    assert [n["id"] for n in body["needs_without_accepted_item"]] == [open_need["id"]]
    assert [i["id"] for i in body["roadmap_items_without_demand"]] == [unused["id"]]
    assert [r["id"] for r in body["requests_undecided_too_long"]] == [stale["id"]]
    assert [d["id"] for d in body["decisions_past_revisit"]] == [revisit["id"]]
    # The item moved: both promises made into it are now suspect.
    assert [d["id"] for d in body["suspect_decisions"]] == [need_promise["id"], promise["id"]]
    assert body["older_than_days"] == 30
    assert report(client, "coverage", older_than_days=60)["requests_undecided_too_long"] == []


def test_reports_issue_the_same_few_queries_whatever_the_volume(client, engine):
    def queries_for(count):
        need = factories.need(client)
        item = factories.roadmap_item(client)
        decide(client, "needs", need["id"], outcome="accepted", roadmap_item_id=item["id"])
        for _ in range(count):
            request = factories.request(client, need_id=need["id"])
            decide(client, "requests", request["id"])
        counts = []
        for name, params in (
            ("summary", {}),
            ("demand", {"by": "roadmap_item"}),
            ("demand", {"by": "need"}),
            ("coverage", {}),
        ):
            with counting_queries(engine) as statements:
                report(client, name, **params)
            counts.append(len(statements))
        return counts

    few, many = queries_for(2), queries_for(20)

    assert few == many
    assert max(many) <= 12


def test_reports_are_for_every_signed_in_role(client_as):
    from app.auth.models import Role

    assert client_as(Role.viewer).get("/api/v1/reports/summary").status_code == 200


def test_a_request_filed_under_an_old_decision_waited_from_filing_to_triage(client, engine):
    need = factories.need(client)
    decide(client, "needs", need["id"])  # decided long before the request existed
    request = factories.request(client)
    filed_ago(engine, request["id"], 100)

    client.patch(f"/api/v1/requests/{request['id']}", json={"need_id": need["id"]})

    body = report(client, "summary")
    assert body["time_to_first_decision"]["p50_hours"] == pytest.approx(100, abs=0.1)
    answered = client.get(f"/api/v1/requests/{request['id']}").json()
    assert answered["first_answered_at"] is not None


def test_a_merge_into_a_decided_need_answers_the_moved_requests_then(client, engine):
    target, source = factories.need(client), factories.need(client)
    decide(client, "needs", target["id"])
    request = factories.request(client, need_id=source["id"])
    filed_ago(engine, request["id"], 30)

    client.post(f"/api/v1/needs/{target['id']}/merge", json={"source_ids": [source["id"]]})

    body = report(client, "summary")
    assert body["time_to_first_decision"]["p50_hours"] == pytest.approx(30, abs=0.1)


def test_the_first_answer_is_kept_when_decisions_change(client, engine):
    request = factories.request(client)
    filed_ago(engine, request["id"], 10)
    decide(client, "requests", request["id"])
    first = client.get(f"/api/v1/requests/{request['id']}").json()["first_answered_at"]

    decide(client, "requests", request["id"], why="Changed our mind")

    assert client.get(f"/api/v1/requests/{request['id']}").json()["first_answered_at"] == first
