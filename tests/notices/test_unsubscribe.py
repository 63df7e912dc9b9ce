"""Every notice links to a page that stops them: signed, one click from a mail client
(RFC 8058), and no use to anyone guessing."""

import pytest

from app.notices.unsubscribe import unsubscribe_url
from tests import factories
from tests.notices.helpers import app_settings, send_due

API = "/api/v1"


def mailed_notice(client, app, engine, inbox, person):
    request = factories.request(client, stakeholder_id=person["id"])
    body = {"outcome": "declined", "why": "Not this year"}
    factories.created(client, f"/requests/{request['id']}/decisions", body)
    send_due(engine, app.state.settings, inbox.url)
    return inbox.received[-1].message


def path_of(url):
    return url.removeprefix("https://reqtrack.example.com")


def test_the_mail_links_to_the_page_and_offers_one_click(client, app, engine, inbox):
    person = factories.stakeholder(client, name="Dana <Reyes>")
    with app_settings(app, notice_delay_seconds=0, public_url="https://reqtrack.example.com"):
        mail = mailed_notice(client, app, engine, inbox, person)
        link = unsubscribe_url(app.state.settings, person["id"])

    assert mail["List-Unsubscribe"] == f"<{link}>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link in mail.get_body(("plain",)).get_content()
    asked = client.get(path_of(link))
    assert asked.status_code == 200
    assert "<form" in asked.text
    assert "Dana &lt;Reyes&gt;" in asked.text
    assert asked.headers["cache-control"] == "no-store"
    assert client.get(f"{API}/stakeholders/{person['id']}").json()["notify"] is True


def test_one_click_stops_every_later_notice(client, app, engine, inbox):
    person = factories.stakeholder(client)
    with app_settings(app, notice_delay_seconds=0):
        mailed_notice(client, app, engine, inbox, person)
        link = unsubscribe_url(app.state.settings, person["id"])

    clicked = client.post(
        path_of(link.removeprefix("http://127.0.0.1:8000")),
        data={"List-Unsubscribe": "One-Click"},
    )
    later = factories.request(client, stakeholder_id=person["id"])
    factories.created(
        client, f"/requests/{later['id']}/decisions", {"outcome": "declined", "why": "No"}
    )

    assert clicked.status_code == 200
    assert client.get(f"{API}/stakeholders/{person['id']}").json()["notify"] is False
    owed = client.get(f"{API}/notices", params={"request_id": later["id"]}).json()["items"]
    assert owed == []


@pytest.mark.parametrize(
    "tamper", ["other-id", "bad-signature", "non-ascii-signature", "not-a-token"]
)
def test_a_link_the_server_did_not_make_changes_nothing(client, app, tamper):
    person, other = factories.stakeholder(client), factories.stakeholder(client)
    token = unsubscribe_url(app.state.settings, person["id"]).rsplit("/", 1)[1]
    forged = {
        "other-id": f"{other['id']}.{token.split('.', 1)[1]}",
        "bad-signature": token[:-2] + "xx",
        "non-ascii-signature": token[:-2] + "%C3%A9",
        "not-a-token": "%2e%2e",
    }[tamper]

    for method in ("GET", "POST"):
        response = client.request(method, f"/unsubscribe/{forged}")
        assert response.status_code == 404
        assert "no longer valid" in response.text
    for someone in (person, other):
        assert client.get(f"{API}/stakeholders/{someone['id']}").json()["notify"] is True
