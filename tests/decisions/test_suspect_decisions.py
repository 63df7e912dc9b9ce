"""An acceptance turns suspect when the roadmap item it promised changes, and only then."""

import pytest

from tests import factories
from tests.decisions.helpers import (
    accept,
    change_item,
    decide,
    decision,
    fill_in,
    listed_decision_ids,
    make_subject,
    request_as_shown,
)

PROMISE_CHANGES = {
    "title": {"title": "SSO, SAML only"},
    "description": {"description": "SAML and OIDC"},
    "horizon": {"horizon": "next"},
    "target_date": {"target_date": "2030-09-30"},
    "theme": {"theme": "security"},
    "theme-cleared": {"theme": None},
    "status-cancelled": {"status": "cancelled"},
}


@pytest.mark.parametrize("change", PROMISE_CHANGES.values(), ids=PROMISE_CHANGES.keys())
def test_a_change_to_the_promise_makes_the_acceptance_suspect(client, accepted_request, change):
    item, request_id, accepted = accepted_request

    change_item(client, item["id"], **change)

    assert decision(client, accepted["id"])["suspect"] is True
    assert listed_decision_ids(client, suspect="true") == {accepted["id"]}
    assert listed_decision_ids(client, suspect="false") == set()
    embedded = request_as_shown(client, request_id)["decision"]
    assert (embedded["id"], embedded["suspect"]) == (accepted["id"], True)


OTHER_CHANGES = {
    "status-planned": {"status": "planned"},
    "status-in-progress": {"status": "in_progress"},
    "status-shipped": {"status": "shipped"},
    "same-title-again": {"title": "SSO"},
    "same-horizon-again": {"horizon": "later"},
}


@pytest.mark.parametrize("change", OTHER_CHANGES.values(), ids=OTHER_CHANGES.keys())
def test_other_changes_leave_the_acceptance_trusted(client, accepted_request, change):
    item, request_id, accepted = accepted_request

    change_item(client, item["id"], **change)

    assert decision(client, accepted["id"])["suspect"] is False
    assert listed_decision_ids(client, suspect="true") == set()
    assert request_as_shown(client, request_id)["decision"]["suspect"] is False


def test_a_need_acceptance_turns_suspect_for_every_request_under_it(client):
    item_id = factories.roadmap_item(client)["id"]
    need_id = make_subject(client, "needs")
    request_id = factories.request(client, need_id=need_id)["id"]
    accepted = accept(client, "needs", need_id, item_id)

    change_item(client, item_id, horizon="now")

    assert decision(client, accepted["id"])["suspect"] is True
    embedded = request_as_shown(client, request_id)["decision"]
    assert (embedded["id"], embedded["suspect"]) == (accepted["id"], True)


def test_an_acceptance_made_after_the_change_is_not_suspect(client, accepted_request):
    item, _, _ = accepted_request
    change_item(client, item["id"], horizon="now")

    later = accept(client, "requests", make_subject(client, "requests"), item["id"])

    assert later["suspect"] is False
    assert decision(client, later["id"])["suspect"] is False


@pytest.mark.parametrize(
    "next_decision",
    [{"outcome": "accepted", "roadmap_item_id": "ITEM"}, {"outcome": "declined"}],
    ids=["re-accepted", "declined"],
)
def test_a_new_decision_on_the_subject_clears_suspect(client, accepted_request, next_decision):
    item, request_id, accepted = accepted_request
    change_item(client, item["id"], title="SSO v2")

    newer = decide(client, request_id, **fill_in(next_decision, {"ITEM": item["id"]}))

    assert newer["suspect"] is False
    assert decision(client, accepted["id"])["suspect"] is False
    assert listed_decision_ids(client, suspect="true") == set()
    assert request_as_shown(client, request_id)["decision"]["suspect"] is False


def test_only_accepted_decisions_turn_suspect(client):
    item_id = factories.roadmap_item(client)["id"]
    declined = decide(client, make_subject(client, "requests"), outcome="declined")
    deferred = decide(
        client, make_subject(client, "requests"), outcome="deferred", roadmap_item_id=item_id
    )
    request_id = make_subject(client, "requests")
    superseded_acceptance = accept(client, "requests", request_id, item_id)
    declined_after = decide(client, request_id, outcome="declined")

    change_item(client, item_id, status="cancelled")

    for made in (declined, deferred, superseded_acceptance, declined_after):
        assert decision(client, made["id"])["suspect"] is False
    assert listed_decision_ids(client, suspect="true") == set()
