"""A stakeholder asking for something on their portal: a form protected from forgery and
floods, whose mistakes are shown beside their fields, keeping what was typed; what it
files arrives as a new request like any other."""

import re
from datetime import timedelta
from html import unescape

from app.auth.models import Role
from app.core.types import utcnow
from tests import factories
from tests.notices.helpers import app_settings
from tests.portal.helpers import API, link_path, page_text

ASKED = {
    "title": "Export invoices to CSV",
    "description": "Finance re-keys every invoice by hand.\r\nTwice a month.",
    "customer": "Acme Corp",
    "revenue_at_stake": "120,000",
    "urgency": "high",
}


def form_of(client, home):
    """The form's page, and its CSRF token."""
    page = client.get(f"{home}/requests/new")
    assert page.status_code == 200, page.text
    (token,) = re.findall(r'name="csrf_token" value="([^"]+)"', page.text)
    return page, token


def send(client, home, fields, token):
    return client.post(
        f"{home}/requests", data=fields | {"csrf_token": token}, follow_redirects=False
    )


def requests_of(client, stakeholder_id):
    listed = client.get(f"{API}/requests", params={"stakeholder_id": stakeholder_id})
    assert listed.status_code == 200, listed.text
    return listed.json()["items"]


def test_a_request_asked_on_the_portal_arrives_new_like_any_other(client_as):
    manager = client_as(Role.manager)
    dana = factories.stakeholder(manager, name="Dana Reyes", email="dana.reyes@example.com")
    home = link_path(manager, dana["id"])
    browser = client_as(None)  # no login: the link is the key
    _, token = form_of(browser, home)

    sent = send(browser, home, ASKED, token)

    assert sent.status_code == 303
    assert sent.headers["location"] == f"{home}?asked=true"
    landed = browser.get(sent.headers["location"])
    assert "Thank you: we have your request" in page_text(landed)
    assert "Export invoices to CSV" in page_text(landed)
    (filed,) = requests_of(manager, dana["id"])
    assert filed["title"] == "Export invoices to CSV"
    assert filed["description"] == "Finance re-keys every invoice by hand.\nTwice a month."
    assert filed["customer"] == "Acme Corp"
    assert filed["revenue_at_stake"] == 120000
    assert filed["urgency"] == "high"
    assert filed["channel"] == "portal"
    assert filed["status"] == "new"
    untriaged = manager.get(f"{API}/requests", params={"status": "new", "channel": "portal"})
    assert [r["id"] for r in untriaged.json()["items"]] == [filed["id"]]
    feed = manager.get(f"{API}/events", params={"type": "request.created"}).json()["items"]
    assert [e["data"]["id"] for e in feed] == [filed["id"]]
    audit = manager.get(f"{API}/audit", params={"entity": "request"}).json()["items"]
    assert [(a["actor_type"], a["actor_id"]) for a in audit] == [("stakeholder", dana["id"])]


def test_mistakes_are_shown_beside_their_fields_keeping_what_was_typed(client):
    dana = factories.stakeholder(client)
    home = link_path(client, dana["id"])
    _, token = form_of(client, home)
    typed = ASKED | {"title": "   ", "revenue_at_stake": "lots", "description": "Keep <me>"}

    page = send(client, home, typed, token)

    assert page.status_code == 422
    assert "<title>Error: Ask for something</title>" in page.text
    summary = re.search(r'<div class="error-summary".*?</div>', page.text, re.DOTALL)
    assert summary is not None
    assert re.findall(r'href="#(\w+)">([^<]+)<', summary.group(0)) == [
        ("title", "Enter what you are asking for"),
        ("revenue_at_stake", "Enter the revenue at stake as an amount, like 120000 or 1250.50"),
    ]
    assert 'id="title-error"' in page.text
    assert 'aria-describedby="title-hint title-error"' in page.text
    assert 'id="revenue_at_stake-error"' in page.text
    assert 'value="lots"' in page.text
    assert 'value="Acme Corp"' in page.text
    assert ">Keep &lt;me&gt;</textarea>" in page.text
    assert re.search(r'value="high" checked', page.text)
    assert requests_of(client, dana["id"]) == []


def test_a_form_without_a_valid_csrf_token_files_nothing(client):
    dana = factories.stakeholder(client)
    other = factories.stakeholder(client)
    home = link_path(client, dana["id"])
    _, others_token = form_of(client, link_path(client, other["id"]))
    _, token = form_of(client, home)

    for forged in ("", "nonsense", others_token, token[:-1] + ("A" if token[-1] != "A" else "B")):
        page = send(client, home, ASKED, forged)
        assert page.status_code == 403
        assert "This form had expired" in unescape(page.text)
        assert 'value="Export invoices to CSV"' in page.text  # typed, not lost
    assert requests_of(client, dana["id"]) == []
    assert send(client, home, ASKED, token).status_code == 303


def test_a_revoked_link_takes_its_forms_with_it(client):
    dana = factories.stakeholder(client)
    home = link_path(client, dana["id"])
    _, token = form_of(client, home)
    client.delete(f"{API}/stakeholders/{dana['id']}/portal-links")
    fresh = link_path(client, dana["id"])

    assert send(client, home, ASKED, token).status_code == 404
    assert send(client, fresh, ASKED, token).status_code == 403  # made for the old links
    assert requests_of(client, dana["id"]) == []


def test_the_form_is_limited_per_stakeholder_and_per_address(client, app):
    dana = factories.stakeholder(client)
    raj = factories.stakeholder(client)
    dana_home, raj_home = link_path(client, dana["id"]), link_path(client, raj["id"])
    _, dana_token = form_of(client, dana_home)
    _, raj_token = form_of(client, raj_home)

    with app_settings(app, portal_requests_per_hour=2, portal_requests_per_address_per_hour=3):
        # Mistakes count too: a flood of bad forms is still a flood.
        assert send(client, dana_home, {"title": ""}, dana_token).status_code == 422
        assert send(client, dana_home, ASKED, dana_token).status_code == 303
        refused = send(client, dana_home, ASKED, dana_token)
        assert send(client, raj_home, ASKED, raj_token).status_code == 303
        from_same_address = send(client, raj_home, ASKED, raj_token)

    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= 3600
    assert "This form was sent too often. Try again in 60 minutes." in page_text(refused)
    assert 'value="Export invoices to CSV"' in refused.text
    assert from_same_address.status_code == 429
    assert len(requests_of(client, dana["id"])) == 1
    assert len(requests_of(client, raj["id"])) == 1


def test_a_form_left_open_longer_than_a_working_day_is_shown_again(client, monkeypatch):
    dana = factories.stakeholder(client)
    home = link_path(client, dana["id"])
    _, token = form_of(client, home)

    later = utcnow() + timedelta(hours=12, minutes=1)
    monkeypatch.setattr("app.portal.asking.utcnow", lambda: later)
    page = send(client, home, ASKED, token)

    assert page.status_code == 403
    assert "This form had expired" in unescape(page.text)
    assert requests_of(client, dana["id"]) == []


def test_a_form_sent_any_other_way_than_its_page_sends_it_is_refused(client):
    dana = factories.stakeholder(client)
    home = link_path(client, dana["id"])
    _, token = form_of(client, home)
    # Multipart decodes by the charset it names: UTF-7 makes a lone surrogate of this.
    utf7 = b"+2AA-"
    boundary = "b0und"
    multipart = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n'
            f"Content-Type: text/plain; charset=utf-7\r\n\r\n"
        ).encode()
        + utf7
        + (
            f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
            f"{token}\r\n--{boundary}--\r\n"
        ).encode()
    )

    refused = [
        client.post(
            f"{home}/requests",
            content=multipart,
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}; charset=utf-7"},
        ),
        client.post(f"{home}/requests", json=ASKED | {"csrf_token": token}),
        client.post(f"{home}/requests", files={"title": ("t.txt", b"x")}),
    ]

    assert [r.status_code for r in refused] == [415, 415, 415]
    assert refused[0].headers["content-type"] == "application/problem+json"
    assert requests_of(client, dana["id"]) == []
