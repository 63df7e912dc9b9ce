"""POST /needs/{id}/merge: duplicate needs folded into one, history kept."""

import pytest

from tests import factories

URL = "/api/v1/needs"


def decide(client, need_id, **fields):
    body = {"outcome": "declined", "why": "Not this year"} | fields
    return factories.created(client, f"/needs/{need_id}/decisions", body)


def test_merge_moves_requests_and_decisions_and_removes_the_sources(client):
    target, first, second = (factories.need(client) for _ in range(3))
    kept = factories.request(client, need_id=target["id"])
    moved = [factories.request(client, need_id=n["id"]) for n in (first, second, second)]
    old = decide(client, first["id"])

    response = client.post(
        f"{URL}/{target['id']}/merge", json={"source_ids": [first["id"], second["id"]]}
    )

    assert response.status_code == 200
    assert response.json()["request_count"] == 4
    for request in [kept, *moved]:
        assert client.get(f"/api/v1/requests/{request['id']}").json()["need_id"] == target["id"]
    for source in (first, second):
        assert client.get(f"{URL}/{source['id']}").status_code == 410
    history = client.get(f"{URL}/{target['id']}/decisions").json()["items"]
    assert [d["id"] for d in history] == [old["id"]]


def test_sources_answered_differently_cannot_be_merged_silently(client):
    target, source = factories.need(client), factories.need(client)
    item = factories.roadmap_item(client)
    decide(client, target["id"], why="Not this year")
    decide(client, source["id"], outcome="accepted", roadmap_item_id=item["id"], why="Yes")
    request = factories.request(client, need_id=source["id"])

    response = client.post(f"{URL}/{target['id']}/merge", json={"source_ids": [source["id"]]})

    assert response.status_code == 409
    still = client.get(f"/api/v1/requests/{request['id']}").json()
    assert still["need_id"] == source["id"]
    assert still["decision"]["outcome"] == "accepted"


def test_opposite_merges_at_once_do_not_deadlock(app, client):
    from tests.requests.test_concurrent_writes import run_together

    first, second = factories.need(client), factories.need(client)
    pairs = iter([(first, second), (second, first)] * 4)

    def merge_one_way(c):
        target, source = next(pairs)
        return c.post(f"{URL}/{target['id']}/merge", json={"source_ids": [source["id"]]})

    codes = sorted(r.status_code for r in run_together(app, client, merge_one_way, count=2))

    # The loser's target, or its source, was merged away by the winner.
    assert codes in ([200, 404], [200, 410], [200, 422])
    survivors = [n for n in (first, second) if client.get(f"{URL}/{n['id']}").status_code == 200]
    assert len(survivors) == 1


def test_the_targets_current_decision_stays_current(client):
    target, source = factories.need(client), factories.need(client)
    target_decision = decide(client, target["id"], why="Target's answer")
    source_decision = decide(client, source["id"], why="Source's answer")

    client.post(f"{URL}/{target['id']}/merge", json={"source_ids": [source["id"]]})

    history = {d["id"]: d for d in client.get(f"{URL}/{target['id']}/decisions").json()["items"]}
    assert history[target_decision["id"]]["is_current"] is True
    assert history[source_decision["id"]]["is_current"] is False


def test_without_a_decision_the_target_inherits_the_newest_current_one(client):
    target, older, newer = (factories.need(client) for _ in range(3))
    decide(client, older["id"], why="older")
    newest = decide(client, newer["id"], why="newer")
    request = factories.request(client, need_id=older["id"])

    client.post(f"{URL}/{target['id']}/merge", json={"source_ids": [older["id"], newer["id"]]})

    current = client.get("/api/v1/decisions", params={"current": "true"}).json()["items"]
    assert [d["id"] for d in current] == [newest["id"]]
    answered = client.get(f"/api/v1/requests/{request['id']}").json()
    assert answered["status"] == "decided"
    assert answered["decision"]["why"] == "newer"


def test_merge_is_in_the_audit_log(client):
    target, source = factories.need(client), factories.need(client)
    request = factories.request(client, need_id=source["id"])

    client.post(f"{URL}/{target['id']}/merge", json={"source_ids": [source["id"]]})

    entries = client.get(
        "/api/v1/audit", params={"entity": "need", "entity_id": target["id"], "action": "merge"}
    ).json()["items"]
    assert len(entries) == 1
    assert entries[0]["before"] == {"source_ids": [source["id"]]}
    assert entries[0]["after"]["moved_request_ids"] == [request["id"]]


@pytest.mark.parametrize("source_ids", [[], "x", [0], [True], ["1"], list(range(1, 102)), [2**63]])
def test_invalid_source_lists_are_422(client, source_ids):
    target = factories.need(client)

    response = client.post(f"{URL}/{target['id']}/merge", json={"source_ids": source_ids})

    assert response.status_code == 422


def test_merging_into_itself_is_422_and_changes_nothing(client):
    target, other = factories.need(client), factories.need(client)

    response = client.post(
        f"{URL}/{target['id']}/merge", json={"source_ids": [other["id"], target["id"]]}
    )

    assert response.status_code == 422
    assert client.get(f"{URL}/{other['id']}").status_code == 200


def test_a_missing_source_is_422_and_nothing_moves(client):
    target, source = factories.need(client), factories.need(client)
    request = factories.request(client, need_id=source["id"])

    response = client.post(
        f"{URL}/{target['id']}/merge", json={"source_ids": [source["id"], 987654]}
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "source_ids", 1]
    assert client.get(f"/api/v1/requests/{request['id']}").json()["need_id"] == source["id"]
    assert client.get(f"{URL}/{source['id']}").status_code == 200


def test_merge_is_for_managers(client_as):
    from app.auth.models import Role

    manager = client_as(Role.manager)
    target, source = factories.need(manager), factories.need(manager)

    refused = client_as(Role.contributor).post(
        f"{URL}/{target['id']}/merge", json={"source_ids": [source["id"]]}
    )

    assert refused.status_code == 403
    assert (
        manager.post(f"{URL}/{target['id']}/merge", json={"source_ids": [source["id"]]}).status_code
        == 200
    )


def test_a_merged_need_says_where_it_went_and_its_requests_history_shows_the_move(client):
    target, first, second = (factories.need(client) for _ in range(3))
    moved = factories.request(client, need_id=first["id"])
    client.post(f"{URL}/{second['id']}/merge", json={"source_ids": [first["id"]]})

    merged = client.post(f"{URL}/{target['id']}/merge", json={"source_ids": [second["id"]]})

    assert merged.status_code == 200, merged.text
    assert merged.json()["merged_need_ids"] == [first["id"], second["id"]]
    assert client.get(f"{URL}/{target['id']}").json()["merged_need_ids"] == [
        first["id"],
        second["id"],
    ]
    for gone in (first, second):  # merged twice: it leads to where its requests are now
        for method in ("GET", "PATCH", "DELETE"):
            body = {"theme": "x"} if method == "PATCH" else None
            answer = client.request(method, f"{URL}/{gone['id']}", json=body)
            assert answer.status_code == 410, (method, answer.text)
            problem = answer.json()
            assert answer.headers["content-type"] == "application/problem+json"
            assert problem["type"] == "urn:reqtrack:problem:merged"
            assert problem["merged_into"] == target["id"]
    history = client.get(
        "/api/v1/audit", params={"entity": "request", "entity_id": moved["id"]}
    ).json()["items"]
    moves = [(e["before"], e["after"]) for e in history if e["action"] == "update"]
    assert moves == [
        ({"need_id": second["id"]}, {"need_id": target["id"]}),
        ({"need_id": first["id"]}, {"need_id": second["id"]}),
    ]
    assert {e["actor_type"] for e in history} == {"user"}
    assert client.get(f"{URL}/999999").status_code == 404  # never was: still 404
