"""A stakeholder's portal link: made by a manager, signed, expiring, and revoked all at
once in the database."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from app.auth.models import Role
from app.stakeholders.portal_links import stakeholder_of
from tests import factories
from tests.notices.helpers import app_settings

API = "/api/v1"


def new_link(client, stakeholder_id):
    made = client.post(f"{API}/stakeholders/{stakeholder_id}/portal-links")
    assert made.status_code == 201, made.text
    return made.json()


def token_of(link):
    return link["url"].rpartition("/portal/")[2]


def holder(app, engine, token):
    with Session(engine) as session:
        found = stakeholder_of(session, app.state.settings, token)
        return None if found is None else found.id


def test_a_manager_gets_a_link_to_the_stakeholders_page(client_as, app, engine):
    person = factories.stakeholder(client_as(Role.admin), name="Dana Reyes")
    with app_settings(app, public_url="https://reqtrack.example.com", portal_link_days=30):
        link = new_link(client_as(Role.manager), person["id"])

    assert link["url"].startswith("https://reqtrack.example.com/portal/")
    assert "Dana" not in link["url"]
    assert "@" not in link["url"]
    expires_at = datetime.fromisoformat(link["expires_at"])
    assert abs(expires_at - (datetime.now(UTC) + timedelta(days=30))) < timedelta(minutes=1)
    assert holder(app, engine, token_of(link)) == person["id"]


def test_revoking_stops_every_earlier_link_and_not_later_ones(client, app, engine):
    person = factories.stakeholder(client)
    other = factories.stakeholder(client)
    first, second = new_link(client, person["id"]), new_link(client, person["id"])
    others = new_link(client, other["id"])

    revoked = client.delete(f"{API}/stakeholders/{person['id']}/portal-links")

    assert revoked.status_code == 204
    assert holder(app, engine, token_of(first)) is None
    assert holder(app, engine, token_of(second)) is None
    assert holder(app, engine, token_of(others)) == other["id"]
    assert holder(app, engine, token_of(new_link(client, person["id"]))) == person["id"]


def test_an_expired_link_no_longer_opens(client, app, engine):
    person = factories.stakeholder(client)
    link = new_link(client, person["id"])
    token = token_of(link)

    later = datetime.fromisoformat(link["expires_at"]) + timedelta(seconds=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("app.stakeholders.portal_links.utcnow", lambda: later)
        assert holder(app, engine, token) is None


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # the signature
        lambda t: t[:-1] + "\u00e9",  # a signature that is not ASCII
        lambda t: ".".join([str(int(t.split(".")[0]) + 1), *t.split(".")[1:]]),  # the id
        lambda t: ".".join([*t.split(".")[:2], "99999999999", t.split(".")[3]]),  # expiry
        lambda t: t.partition(".")[2],
        lambda t: "",
        lambda t: "1.0.1" + "9" * 40 + ".x",
        lambda t: "\uff11.0.1.x",  # a digit, but not ASCII
    ],
)
def test_a_link_the_server_did_not_make_opens_nothing(client, app, engine, tamper):
    person = factories.stakeholder(client)
    factories.stakeholder(client)
    token = token_of(new_link(client, person["id"]))

    assert holder(app, engine, tamper(token)) is None


def test_a_link_for_no_stakeholder_is_a_404(client):
    made = client.post(f"{API}/stakeholders/987654321/portal-links")

    assert made.status_code == 404
    assert made.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("role", [Role.viewer, Role.contributor])
def test_only_managers_make_or_revoke_links(client_as, role):
    person = factories.stakeholder(client_as(Role.admin))
    caller = client_as(role)

    assert caller.post(f"{API}/stakeholders/{person['id']}/portal-links").status_code == 403
    assert caller.delete(f"{API}/stakeholders/{person['id']}/portal-links").status_code == 403
