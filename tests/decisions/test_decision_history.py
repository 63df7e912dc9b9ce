"""Decisions are superseded, never edited: newest-first history, one current even under races."""

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.decisions.helpers import (
    API,
    MISSING_ID,
    SUBJECTS,
    decide,
    decide_need,
    decide_on,
    decision,
    history,
    history_ids,
    is_problem,
    listed_decision_ids,
    make_subject,
)


def race(app: Any, client: TestClient, call: Any, count: int = 8) -> list[Any]:
    """call(a client with `client`'s headers) from `count` threads released together."""
    barrier = Barrier(count)

    def one(_: int) -> Any:
        own_client = TestClient(app, headers=dict(client.headers))
        barrier.wait()
        return call(own_client)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


# --- supersession and history ------------------------------------------------------


@pytest.mark.parametrize("kind", SUBJECTS)
def test_a_new_decision_supersedes_the_current_one(client, kind):
    subject_id = make_subject(client, kind)
    first = decide_on(client, kind, subject_id, outcome="needs_info", why="Which browsers?")

    second = decide_on(client, kind, subject_id, outcome="declined", why="Only IE6.")

    assert second["supersedes_id"] == first["id"]
    assert second["is_current"] is True
    superseded = decision(client, first["id"])
    assert superseded["is_current"] is False
    assert superseded | {"is_current": True} == first
    assert listed_decision_ids(client, current=True) == {second["id"]}


def test_decisions_on_different_subjects_do_not_supersede_each_other(client):
    one = decide(client, make_subject(client, "requests"))
    other = decide(client, make_subject(client, "requests"))
    on_a_need = decide_need(client, make_subject(client, "needs"))

    assert other["supersedes_id"] is None
    assert on_a_need["supersedes_id"] is None
    assert listed_decision_ids(client, current=True) == {one["id"], other["id"], on_a_need["id"]}


@pytest.mark.parametrize("kind", SUBJECTS)
def test_history_is_newest_first_and_paginates(client, kind):
    subject_id = make_subject(client, kind)
    made = [decide_on(client, kind, subject_id, why=f"Reason {n}")["id"] for n in range(5)]
    url = f"{API}/{kind}/{subject_id}/decisions"

    pages, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = client.get(url, params=params).json()
        pages.append([d["id"] for d in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert pages == [made[4:2:-1], made[2:0:-1], made[:1]]
    assert history_ids(client, kind, subject_id) == made[::-1]


def test_history_lists_only_the_subjects_own_decisions(client):
    request_id = make_subject(client, "requests")
    own = decide(client, request_id)
    decide(client, make_subject(client, "requests"))

    assert history_ids(client, "requests", request_id) == [own["id"]]


def test_get_one_decision_and_404_for_an_unknown_id(client):
    made = decide(client, make_subject(client, "requests"))

    response = client.get(f"{API}/decisions/{made['id']}")

    assert response.status_code == 200
    assert response.json() == made
    assert is_problem(client.get(f"{API}/decisions/{MISSING_ID}"), 404)


# --- append-only -------------------------------------------------------------------


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_decisions_are_never_edited_or_deleted(client, method):
    made = decide(client, make_subject(client, "requests"))

    response = client.request(
        method, f"{API}/decisions/{made['id']}", json={"outcome": "accepted", "why": "Changed."}
    )

    assert is_problem(response, 405), response.text
    assert decision(client, made["id"]) == made


# --- one current decision per subject, even under concurrent posts ------------------


@pytest.mark.parametrize("kind", SUBJECTS)
def test_concurrent_decisions_leave_exactly_one_current_and_an_unbroken_chain(app, client, kind):
    subject_id = make_subject(client, kind)
    url = f"{API}/{kind}/{subject_id}/decisions"

    responses = race(app, client, lambda c: c.post(url, json={"outcome": "declined", "why": "No."}))

    assert [r.status_code for r in responses] == [201] * 8, [r.text for r in responses]
    recorded = history(client, kind, subject_id)
    assert {d["id"] for d in recorded} == {r.json()["id"] for r in responses}
    current = [d for d in recorded if d["is_current"]]
    assert len(current) == 1
    superseded_ids = [d["supersedes_id"] for d in recorded]
    assert superseded_ids.count(None) == 1
    linked = [s for s in superseded_ids if s is not None]
    assert len(set(linked)) == len(linked) == 7
    by_id = {d["id"]: d for d in recorded}
    chain, link = [], current[0]["id"]
    while link is not None:
        chain.append(link)
        link = by_id[link]["supersedes_id"]
    assert sorted(chain) == sorted(by_id)
