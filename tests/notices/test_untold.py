"""GET /reports/untold: the requests whose stakeholder does not know the answer in force."""

from tests import factories
from tests.notices.helpers import told_everything

URL = "/api/v1/reports/untold"


def decide(client, request, **fields):
    body = {"outcome": "declined", "why": "Not this year"} | fields
    return factories.created(client, f"/requests/{request['id']}/decisions", body)


def untold(client):
    response = client.get(URL)
    assert response.status_code == 200, response.text
    return {item["request_id"]: item["because"] for item in response.json()["items"]}


def test_never_told_changed_since_and_suspect_promises_are_listed(client, engine):
    never, changed, kept, promised, quiet, undecided = (factories.request(client) for _ in range(6))
    item = factories.roadmap_item(client)
    for request in (changed, kept):
        decide(client, request)
    decide(client, promised, outcome="accepted", roadmap_item_id=item["id"])
    told_everything(client)
    decide(client, never)
    decide(client, changed, outcome="deferred", why="Maybe in spring")
    decide(client, kept, why="Still no, for another reason")  # the same news
    decide(client, quiet, notify=False)
    client.patch(f"/api/v1/roadmap-items/{item['id']}", json={"horizon": "now"})

    listed = untold(client)

    assert listed == {
        never["id"]: "never_told",
        changed["id"]: "changed",
        promised["id"]: "suspect",
    }
    assert undecided["id"] not in listed


def test_oldest_decision_first_and_bounded(client):
    requests = [factories.request(client) for _ in range(3)]
    for request in requests:
        decide(client, request)

    first_two = client.get(URL, params={"limit": 2}).json()["items"]

    assert [item["request_id"] for item in first_two] == [r["id"] for r in requests[:2]]
    assert first_two[0]["last_told_at"] is None
