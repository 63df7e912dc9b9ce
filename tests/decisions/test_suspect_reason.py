"""Why a decision is suspect: the item's fields as they were when decided and as they are
now, when the item last changed and by whom; everywhere a suspect decision shows."""

from app.auth.models import Role
from tests import factories
from tests.decisions.helpers import accept, change_item, decision, make_subject

API = "/api/v1"


def test_a_suspect_decision_says_what_changed_since_when_and_by_whom(
    client, accepted_request, users
):
    item, _request_id, accepted = accepted_request
    assert decision(client, accepted["id"])["suspect_reason"] is None

    change_item(client, item["id"], target_date="2027-03-31")
    change_item(client, item["id"], target_date="2027-06-30", horizon="next")
    change_item(client, item["id"], status="in_progress")

    reason = decision(client, accepted["id"])["suspect_reason"]
    item_now = client.get(f"{API}/roadmap-items/{item['id']}").json()
    assert reason["roadmap_item_id"] == item["id"]
    assert reason["changes"] == {
        "horizon": ["later", "next"],
        "status": [item["status"], "in_progress"],
        "target_date": [item["target_date"], "2027-06-30"],
    }
    assert reason["changed_by"] == f"user:{users[Role.admin].id}"
    assert reason["changed_at"] <= item_now["updated_at"]
    assert reason["changed_at"] > accepted["decided_at"]


def test_the_reason_shows_in_the_lists_the_request_the_trace_and_the_untold(
    client, accepted_request
):
    item, request_id, _accepted = accepted_request
    change_item(client, item["id"], title="SSO, SAML only")
    expected = {"title": ["SSO", "SSO, SAML only"]}

    listed = client.get(f"{API}/decisions", params={"suspect": "true"}).json()["items"]
    request = client.get(f"{API}/requests/{request_id}").json()
    in_list = client.get(f"{API}/requests", params={"limit": 200}).json()["items"]
    trace = client.get(f"{API}/roadmap-items/{item['id']}/trace").json()
    untold = client.get(f"{API}/reports/untold").json()["items"]

    assert [d["suspect_reason"]["changes"] for d in listed] == [expected]
    assert request["decision"]["suspect_reason"]["changes"] == expected
    (listed_request,) = [r for r in in_list if r["id"] == request_id]
    assert listed_request["decision"]["suspect_reason"]["changes"] == expected
    traced = [entry["request"]["decision"] for entry in trace["requests"]]
    assert [d["suspect_reason"]["changes"] for d in traced] == [expected]
    (told,) = [u for u in untold if u["request_id"] == request_id]
    assert told["suspect_reason"]["changes"] == expected
    assert told["roadmap_item_id"] == item["id"]


def test_the_suspect_event_carries_the_reason(client, accepted_request):
    item, _request_id, accepted = accepted_request

    change_item(client, item["id"], theme="security")

    events = client.get(f"{API}/events", params={"type": "decision.suspect"}).json()["items"]
    (event,) = [e for e in events if e["data"]["id"] == accepted["id"]]
    assert event["data"]["suspect_reason"]["changes"] == {"theme": ["enterprise", "security"]}


def test_a_trusted_decision_and_a_later_one_carry_no_reason(client, accepted_request):
    item, _request_id, accepted = accepted_request
    change_item(client, item["id"], horizon="now")

    later_item = factories.roadmap_item(client, title="Later")
    again = accept(client, "requests", make_subject(client, "requests"), item["id"])

    assert decision(client, again["id"])["suspect"] is False
    assert decision(client, again["id"])["suspect_reason"] is None
    assert decision(client, accepted["id"])["suspect_reason"]["changes"] == {
        "horizon": ["later", "now"]
    }
    assert later_item["id"] != item["id"]


def test_a_field_changed_back_is_no_change_and_a_long_text_is_cut(client, accepted_request):
    item, _request_id, accepted = accepted_request

    change_item(client, item["id"], horizon="now")
    change_item(client, item["id"], horizon="later")  # back where it was when decided
    change_item(client, item["id"], description="x" * 2000)

    reason = decision(client, accepted["id"])["suspect_reason"]
    assert reason["changes"] == {"description": ["SAML", "x" * 500 + "…"]}
