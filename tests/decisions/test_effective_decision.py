"""The decision a request shows (its own, else its need's) and the status derived from it."""

import pytest

from tests import factories
from tests.decisions.helpers import (
    API,
    accept,
    decide,
    decide_need,
    history,
    make_subject,
    request_as_shown,
)

# --- the effective decision a request shows ------------------------------------------


def test_a_request_without_need_or_decision_is_new(client):
    shown = request_as_shown(client, make_subject(client, "requests"))

    assert shown["status"] == "new"
    assert shown["decision"] is None


def test_a_request_under_an_undecided_need_is_triaged(client):
    need_id = make_subject(client, "needs")

    shown = request_as_shown(client, factories.request(client, need_id=need_id)["id"])

    assert shown["status"] == "triaged"
    assert shown["decision"] is None


def test_a_request_with_its_own_decision_is_decided_and_embeds_it(client):
    request_id = make_subject(client, "requests")
    own = decide(client, request_id, outcome="needs_info", why="Which format?")

    shown = request_as_shown(client, request_id)

    assert shown["status"] == "decided"
    assert shown["decision"] == own


def test_a_request_answered_by_its_needs_decision_is_decided_and_embeds_it(client):
    need_id = make_subject(client, "needs")
    request_id = factories.request(client, need_id=need_id)["id"]
    for_the_need = accept(client, "needs", need_id, factories.roadmap_item(client)["id"])

    shown = request_as_shown(client, request_id)

    assert shown["status"] == "decided"
    assert shown["decision"] == for_the_need
    assert history(client, "requests", request_id) == []


def test_every_request_of_a_decided_need_shares_its_answer(client):
    need_id = make_subject(client, "needs")
    requests = [factories.request(client, need_id=need_id)["id"] for _ in range(2)]
    for_the_need = decide_need(client, need_id, outcome="deferred", why="After the rewrite.")

    listed = client.get(f"{API}/requests", params={"need_id": need_id}).json()["items"]

    assert sorted(r["id"] for r in listed) == sorted(requests)
    assert all(r["decision"] == for_the_need and r["status"] == "decided" for r in listed)


@pytest.mark.parametrize("own_first", [True, False], ids=["own-first", "need-first"])
def test_a_requests_own_decision_overrides_its_needs(client, own_first):
    need_id = make_subject(client, "needs")
    request_id = factories.request(client, need_id=need_id)["id"]
    item_id = factories.roadmap_item(client)["id"]

    def decide_both():
        if own_first:
            own = decide(client, request_id, outcome="declined", why="Not for this customer.")
            accept(client, "needs", need_id, item_id)
            return own
        accept(client, "needs", need_id, item_id)
        return decide(client, request_id, outcome="declined", why="Not for this customer.")

    own = decide_both()

    assert request_as_shown(client, request_id)["decision"] == own
    listed = client.get(f"{API}/requests", params={"need_id": need_id}).json()["items"]
    assert [r["decision"]["id"] for r in listed] == [own["id"]]


def test_the_embedded_decision_follows_supersession(client):
    request_id = make_subject(client, "requests")
    decide(client, request_id, outcome="needs_info")
    latest = decide(client, request_id, outcome="declined")

    assert request_as_shown(client, request_id)["decision"] == latest


def test_moving_a_request_to_an_undecided_need_leaves_it_triaged(client):
    decided_need, open_need = make_subject(client, "needs"), make_subject(client, "needs")
    decide_need(client, decided_need)
    request_id = factories.request(client, need_id=decided_need)["id"]

    response = client.patch(f"{API}/requests/{request_id}", json={"need_id": open_need})

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "triaged"
    assert response.json()["decision"] is None


def test_the_status_filter_agrees_with_the_embedded_status(client):
    decided_need, open_need = make_subject(client, "needs"), make_subject(client, "needs")
    decide_need(client, decided_need)
    expected = {
        "new": {make_subject(client, "requests")},
        "triaged": {factories.request(client, need_id=open_need)["id"]},
        "decided": {factories.request(client, need_id=decided_need)["id"]},
    }
    own_decision = make_subject(client, "requests")
    decide(client, own_decision)
    expected["decided"].add(own_decision)
    own_decision_under_open_need = factories.request(client, need_id=open_need)["id"]
    decide(client, own_decision_under_open_need)
    expected["decided"].add(own_decision_under_open_need)

    for status, ids in expected.items():
        listed = client.get(f"{API}/requests", params={"status": status}).json()["items"]
        assert {r["id"] for r in listed} == ids, status
        assert {r["status"] for r in listed} == {status}
