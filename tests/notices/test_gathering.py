"""A change of a request's answer owes its stakeholder a notice, gathered per
stakeholder: one message, not a storm; never about what they were already told."""

import asyncio
import time

import pytest
from sqlalchemy import update

from app.auth.models import Role
from app.core.db import open_session
from app.core.worker import running
from app.notices.gathering import gather_owed, woken_when_owed
from app.notices.models import Notice, NoticeStatus
from app.notices.sender import NoticeSender
from tests import factories
from tests.notices.helpers import app_settings, gathered, told_everything

API = "/api/v1"


def notices(client, **filters):
    gathered(client)
    response = client.get(f"{API}/notices", params=filters | {"limit": 200})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def decide(client, subject, **fields):
    body = {"outcome": "declined", "why": "Not this year"} | fields
    return factories.created(client, f"/{subject}/decisions", body)


@pytest.fixture
def shared_need(client):
    """A need with 5 requests from 3 stakeholders (one asked three times)."""
    need = factories.need(client)
    people = [factories.stakeholder(client) for _ in range(3)]
    for person in [people[0], people[0], people[0], people[1], people[2]]:
        factories.request(client, stakeholder_id=person["id"], need_id=need["id"])
    return need, people


def test_deciding_a_need_owes_one_notice_per_stakeholder(client, shared_need):
    need, people = shared_need

    decision = decide(client, f"needs/{need['id']}", stakeholder_message="Not in 2027, sorry.")

    owed = notices(client)
    assert sorted(n["stakeholder_id"] for n in owed) == sorted(p["id"] for p in people)
    by_person = {n["stakeholder_id"]: n for n in owed}
    assert len(by_person[people[0]["id"]]["items"]) == 3
    item = by_person[people[1]["id"]]["items"][0]
    assert (item["decision_id"], item["outcome"]) == (decision["id"], "declined")
    assert item["stakeholder_message"] == "Not in 2027, sorry."
    assert {n["status"] for n in owed} == {"pending"}


def test_a_need_gathered_a_few_requests_at_a_time_still_owes_one_notice_each(
    client, app, shared_need
):
    need, people = shared_need
    decide(client, f"needs/{need['id']}")

    rounds = 0
    with open_session(app.state.engine, write=True) as session:
        while gather_owed(session, settings=app.state.settings, limit=2):
            rounds += 1
        session.commit()

    assert rounds == 3  # 5 requests, 2 at a time
    owed = notices(client)
    assert sorted(n["stakeholder_id"] for n in owed) == sorted(p["id"] for p in people)
    assert sorted(len(n["items"]) for n in owed) == [1, 1, 3]


def test_a_request_decided_twice_appears_once_with_the_later_answer(client):
    request = factories.request(client)
    item = factories.roadmap_item(client)

    decide(client, f"requests/{request['id']}")
    later = decide(
        client, f"requests/{request['id']}", outcome="accepted", roadmap_item_id=item["id"]
    )

    [notice] = notices(client)
    assert [(i["request_id"], i["decision_id"]) for i in notice["items"]] == [
        (request["id"], later["id"])
    ]
    assert notice["items"][0]["outcome"] == "accepted"


def test_a_quiet_decision_or_a_stakeholder_who_opted_out_owes_nothing(client):
    quiet = factories.request(client)
    opted_out = factories.stakeholder(client, notify=False)
    unwilling = factories.request(client, stakeholder_id=opted_out["id"])

    decide(client, f"requests/{quiet['id']}", notify=False)
    decide(client, f"requests/{unwilling['id']}")

    assert notices(client) == []


def test_an_answer_back_to_what_was_told_cancels_the_notice(client, engine):
    request = factories.request(client)
    decide(client, f"requests/{request['id']}", stakeholder_message="No.")
    told_everything(client)

    decide(client, f"requests/{request['id']}", outcome="deferred", why="Maybe later")
    assert [n["status"] for n in notices(client, status="pending")] == ["pending"]
    decide(
        client,
        f"requests/{request['id']}",
        why="Said no, and it stays no",
        stakeholder_message="No.",
    )

    assert notices(client, status="pending") == []
    assert len(notices(client, status="cancelled")) == 1


def test_a_confirmation_that_changes_nothing_they_know_owes_nothing(client, engine):
    request = factories.request(client)
    item = factories.roadmap_item(client)
    accepted = decide(
        client, f"requests/{request['id']}", outcome="accepted", roadmap_item_id=item["id"]
    )
    told_everything(client)
    client.patch(f"{API}/roadmap-items/{item['id']}", json={"horizon": "later"})

    confirmed = client.post(f"{API}/decisions/{accepted['id']}/confirm", json={"why": "Still on"})

    assert confirmed.status_code == 201, confirmed.text
    assert notices(client, status="pending") == []


@pytest.mark.parametrize("ending", ["shipped", "cancelled"])
def test_an_item_shipped_or_cancelled_tells_those_promised_it(client, engine, ending):
    request = factories.request(client)
    item = factories.roadmap_item(client)
    decide(client, f"requests/{request['id']}", outcome="accepted", roadmap_item_id=item["id"])
    told_everything(client)

    client.patch(f"{API}/roadmap-items/{item['id']}", json={"status": ending})

    [notice] = notices(client, status="pending")
    assert notice["items"][0]["roadmap_item_status"] == ending


@pytest.mark.parametrize(
    ("first", "then", "told"),
    [("shipped", "in_progress", None), ("shipped", "cancelled", "cancelled")],
)
def test_an_item_reopened_or_ended_otherwise_corrects_what_was_told(
    client, engine, first, then, told
):
    request = factories.request(client)
    item = factories.roadmap_item(client)
    decide(client, f"requests/{request['id']}", outcome="accepted", roadmap_item_id=item["id"])
    client.patch(f"{API}/roadmap-items/{item['id']}", json={"status": first})
    told_everything(client)

    client.patch(f"{API}/roadmap-items/{item['id']}", json={"status": then})

    [notice] = notices(client, status="pending")
    assert (notice["items"][0]["outcome"], notice["items"][0]["roadmap_item_status"]) == (
        "accepted",
        told,
    )


def test_the_notices_of_a_stakeholder_and_of_a_request(client, shared_need):
    need, people = shared_need
    decide(client, f"needs/{need['id']}")
    gathered(client)
    one_request = client.get(f"{API}/requests", params={"stakeholder_id": people[1]["id"]}).json()[
        "items"
    ][0]

    of_person = client.get(f"{API}/stakeholders/{people[0]['id']}/notices").json()["items"]
    of_request = client.get(f"{API}/requests/{one_request['id']}/notices").json()["items"]

    assert [n["stakeholder_id"] for n in of_person] == [people[0]["id"]]
    assert [n["stakeholder_id"] for n in of_request] == [people[1]["id"]]
    assert notices(client, request_id=one_request["id"]) == of_request
    assert notices(client, stakeholder_id=people[0]["id"]) == of_person


def test_notices_are_for_managers(client_as):
    assert client_as(Role.contributor).get(f"{API}/notices").status_code == 403
    assert client_as(Role.manager).get(f"{API}/notices").status_code == 200
    assert client_as(Role.manager).get(f"{API}/notices/999").status_code == 404


def test_with_approval_required_a_notice_waits_held(client, app):
    request = factories.request(client)

    with app_settings(app, notice_approval="required"):
        decide(client, f"requests/{request['id']}")
        gathered(client)  # the sender's settings say whether a notice waits held

    assert [n["status"] for n in notices(client)] == ["held"]


def test_a_held_notice_is_released_and_a_pending_one_cancelled(client, app):
    request = factories.request(client)
    with app_settings(app, notice_approval="required"):
        decide(client, f"requests/{request['id']}")
        gathered(client)  # the sender's settings say whether a notice waits held
    [held] = notices(client)

    released = client.post(f"{API}/notices/{held['id']}/release")
    again = client.post(f"{API}/notices/{held['id']}/release")
    cancelled = client.post(f"{API}/notices/{held['id']}/cancel")

    assert (released.status_code, released.json()["status"]) == (200, "pending")
    assert again.status_code == 409
    assert "only a held notice is released" in again.json()["detail"]
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
    assert client.post(f"{API}/notices/{held['id']}/cancel").status_code == 409


def test_only_a_failed_notice_is_retried_with_a_new_round(client, engine):
    request = factories.request(client)
    decide(client, f"requests/{request['id']}")
    [notice] = notices(client)
    assert client.post(f"{API}/notices/{notice['id']}/retry").status_code == 409
    with engine.begin() as connection:
        connection.execute(
            update(Notice).values(status=NoticeStatus.failed, attempt_count=8, attempts_allowed=8)
        )

    retried = client.post(f"{API}/notices/{notice['id']}/retry")

    assert (retried.status_code, retried.json()["status"]) == (200, "pending")
    assert retried.json()["attempts"] == 8


def test_a_need_decided_wakes_its_process_sender_rather_than_wait_for_a_poll(client, app):
    need = factories.need(client)
    factories.request(client, need_id=need["id"])
    settings = app.state.settings.model_copy(update={"notice_poll_seconds": 60})
    sender = NoticeSender(engine=app.state.engine, settings=settings)

    async def decide_while_it_idles() -> float:
        with woken_when_owed(sender.wake):
            async with running(sender):
                await asyncio.sleep(0.3)  # its first round found nothing: it idles 60 s
                started = time.monotonic()
                await asyncio.to_thread(decide, client, f"needs/{need['id']}")
                while not await asyncio.to_thread(listed, client):
                    assert time.monotonic() - started < 10, "not gathered"
                    await asyncio.sleep(0.05)
                return time.monotonic() - started

    assert asyncio.run(decide_while_it_idles()) < 5


def listed(client):
    return client.get(f"{API}/notices").json()["items"]
