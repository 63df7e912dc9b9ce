"""A product manager's morning at the inbox, end to end on each database: twenty new
requests arrive from four groups; the manager reads the inbox by revenue, takes the
suggested need of each (correcting the odd one), files all twenty in one batch, and
reads demand by group."""

from collections import Counter

import pytest

from app.auth.models import Role
from tests import factories

API = "/api/v1"
NEEDS = {
    "sso": ("Enterprise customers sign in with their identity provider", "SAML, Okta, Azure AD."),
    "exports": ("Customers need their data outside the product", "CSV files, BI tools."),
    "offline": ("Field staff keep working without a network", "Tablets in basements."),
}
# (group, title, description, the need it belongs to, revenue)
ARRIVALS = [
    ("sales", "Okta login for Acme", "Blocks the renewal.", "sso", 120_000),
    ("sales", "SAML single sign-on", "Security review needs it.", "sso", 80_000),
    ("sales", "Azure AD sign in for Globex", "Their IT insists.", "sso", 60_000),
    ("sales", "Identity provider login", "Prospect asked in the demo.", "sso", 40_000),
    ("sales", "Nightly CSV export", "Their analysts want the data.", "exports", 30_000),
    ("support", "Export tickets to CSV", "Asked every week by hand.", "exports", None),
    ("support", "Data feed into the BI tool", "Looker dashboards.", "exports", None),
    ("support", "Download everything as CSV", "For their warehouse.", "exports", None),
    ("support", "App loses work without a network", "In the plant basement.", "offline", None),
    ("support", "Offline mode for tablets", "No reception on site.", "offline", None),
    ("customer", "Sign in with our identity provider", "One login for all.", "sso", 10_000),
    ("customer", "Export our data to CSV monthly", "For finance.", "exports", 5_000),
    ("customer", "Tablets must work offline", "Field crews.", "offline", 20_000),
    ("customer", "Okta single sign-on please", "Company policy.", "sso", 15_000),
    ("customer", "Keep working when the network drops", "Remote sites.", "offline", 25_000),
    ("engineering", "SAML metadata for SSO", "Needed for the IdP setup.", "sso", None),
    ("engineering", "Bulk CSV export API", "Scripts hit rate limits.", "exports", None),
    ("engineering", "Offline sync for the tablet app", "Conflict handling.", "offline", None),
    ("engineering", "Export data as CSV for BI", "Nightly job.", "exports", None),
    ("engineering", "Azure AD groups on sign in", "Map roles.", "sso", None),
]


@pytest.fixture
def inbox(client):
    """The needs, and twenty new requests from four groups: each request's id, the need it
    belongs to and its group."""
    need_ids = {
        key: factories.need(client, statement=statement, description=description)["id"]
        for key, (statement, description) in NEEDS.items()
    }
    people = {
        group: factories.stakeholder(client, group=group)["id"]
        for group in {group for group, *_ in ARRIVALS}
    }
    arrived = []
    for group, title, description, key, revenue in ARRIVALS:
        made = factories.request(
            client,
            title=title,
            description=description,
            stakeholder_id=people[group],
            revenue_at_stake=revenue,
        )
        arrived.append((made["id"], need_ids[key], group))
    return arrived


def test_twenty_new_requests_are_triaged_in_one_batch_from_the_suggestions(client_as, inbox):
    manager = client_as(Role.manager)

    # The inbox, largest revenue first, paged as the manager reads it.
    new, cursor = [], None
    while True:
        paging = {"cursor": cursor} if cursor else {}
        page = manager.get(
            f"{API}/requests",
            params={"status": "new", "sort": "-revenue_at_stake", "limit": 8} | paging,
        ).json()
        new += page["items"]
        if (cursor := page["next_cursor"]) is None:
            break
    assert [r["id"] for r in new][:3] == [inbox[0][0], inbox[1][0], inbox[2][0]]
    assert {r["id"] for r in new} == {request_id for request_id, *_ in inbox}

    # Each is filed under its first suggestion, which names the words it was chosen by;
    # where that is wrong, the manager picks the right need among the others.
    right = {request_id: need_id for request_id, need_id, _ in inbox}
    batch, first_right = [], 0
    for request in new:
        response = manager.get(f"{API}/requests/{request['id']}/suggested-needs")
        suggested = response.json()["items"]
        assert suggested[0]["matched"], request["title"]
        first_right += suggested[0]["need"]["id"] == right[request["id"]]
        assert right[request["id"]] in [s["need"]["id"] for s in suggested]
        batch.append(
            {
                "request_id": request["id"],
                "need_id": right[request["id"]],
                "if_match": f'W/"{request["version"]}"',
            }
        )
    assert first_right >= 18  # of 20

    filed = manager.post(f"{API}/requests/triage", json={"items": batch})

    assert filed.status_code == 200, filed.text
    assert {r["status"] for r in filed.json()["items"]} == {"triaged"}
    still_new = manager.get(f"{API}/requests", params={"status": "new"}).json()["items"]
    assert still_new == []
    by_group = manager.get(f"{API}/reports/demand", params={"by": "group"}).json()["items"]
    assert {item["label"]: item["request_count"] for item in by_group} == dict(
        Counter(group for *_, group in inbox)
    )
    for need_id in set(right.values()):
        need = manager.get(f"{API}/needs/{need_id}").json()
        under = manager.get(f"{API}/requests", params={"need_id": need_id}).json()["items"]
        assert len(under) == sum(1 for n in right.values() if n == need_id), need["statement"]
