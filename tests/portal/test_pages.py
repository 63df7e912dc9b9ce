"""A stakeholder's portal page, over HTTP: what they see of their own requests (and
nothing of anyone else's), the roadmap meant for them, and headers that keep the page
private and inert."""

import base64
import hashlib
import logging
import re

import pytest

from app.auth.models import Role
from tests import factories
from tests.notices.helpers import told_everything
from tests.portal.helpers import API, link_path, page_text

VISIBLE_ITEM = {
    "title": "SAML SSO for the Okta deal",  # internal: never on a portal
    "description": "Internal: Okta contract hinges on it",
    "public_title": "Sign in with your company account",
    "public_description": "Single sign-on with the identity provider you use.",
    "visibility": "portal",
    "horizon": "next",
    "target_date": "2027-03-31",
}


def decide(client, request_id, **body):
    decided = client.post(f"{API}/requests/{request_id}/decisions", json=body)
    assert decided.status_code == 201, decided.text
    return decided.json()


def test_a_stakeholder_sees_each_request_with_the_answer_the_why_and_the_item(client):
    dana = factories.stakeholder(client, name="Dana Reyes")
    other = factories.stakeholder(client, name="Raj Patel")
    item = factories.roadmap_item(client, **VISIBLE_ITEM)
    accepted = factories.request(client, stakeholder_id=dana["id"], title="SSO with Okta")
    waiting = factories.request(client, stakeholder_id=dana["id"], title="Dark mode")
    factories.request(client, stakeholder_id=other["id"], title="Raj's confidential pricing ask")
    decide(
        client,
        accepted["id"],
        outcome="accepted",
        roadmap_item_id=item["id"],
        why="Twelve customers asked; it unblocks enterprise deals.",
        stakeholder_message="Planned for Q1; we will tell you when it ships.",
    )

    page = client.get(link_path(client, dana["id"]))

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    text = page_text(page)
    assert "Dana Reyes" in text
    assert "SSO with Okta" in text
    assert "Dark mode" in text
    assert "Twelve customers asked; it unblocks enterprise deals." in text
    assert "Planned for Q1; we will tell you when it ships." in text
    assert "Sign in with your company account: next, aimed at 31 March 2027" in text
    assert "Planned" in text
    assert "Received" in text
    # Nothing of another stakeholder, nothing internal of the item.
    assert "Raj" not in text
    assert "Okta deal" not in text
    assert "Internal" not in text
    assert waiting["title"] in text


def test_an_item_kept_internal_shows_nothing_of_itself(client):
    dana = factories.stakeholder(client)
    item = factories.roadmap_item(client, **(VISIBLE_ITEM | {"visibility": "internal"}))
    asked = factories.request(client, stakeholder_id=dana["id"])
    decide(client, asked["id"], outcome="accepted", roadmap_item_id=item["id"], why="Demand.")

    text = page_text(client.get(link_path(client, dana["id"])))

    assert "Yes: it is on our roadmap." in text
    assert "On our roadmap" not in text
    assert "Sign in with your company account" not in text
    assert "Okta" not in text
    assert "31 March 2027" not in text


def test_what_they_were_told_stays_listed_with_when_beside_a_newer_answer(client):
    dana = factories.stakeholder(client)
    asked = factories.request(client, stakeholder_id=dana["id"])
    decide(
        client,
        asked["id"],
        outcome="deferred",
        why="Not this quarter.",
        stakeholder_message="We will look again in spring.",
    )
    told_everything(client)
    decide(client, asked["id"], outcome="declined", why="Out of scope for the product.")

    text = page_text(client.get(link_path(client, dana["id"])))

    assert "Not planned" in text
    assert "Out of scope for the product." in text
    assert "What we told you" in text
    assert "Not now: we will look at it again. We will look again in spring." in text
    assert "Not this quarter." not in text  # the old why was replaced, not told again


def test_a_decision_recorded_quietly_tells_nothing_on_the_page_either(client):
    dana = factories.stakeholder(client)
    asked = factories.request(client, stakeholder_id=dana["id"])
    decide(client, asked["id"], outcome="declined", why="Quiet reason.", notify=False)

    text = page_text(client.get(link_path(client, dana["id"])))

    assert "Quiet reason." not in text
    assert "Not planned" not in text
    assert "Received" in text


def test_stored_text_shows_as_text(client):
    script = "<script>alert(1)</script>"
    dana = factories.stakeholder(client, name=f"Dana {script}")
    asked = factories.request(client, stakeholder_id=dana["id"], title=script)
    decide(
        client,
        asked["id"],
        outcome="declined",
        why=f"why {script}",
        stakeholder_message=f'"><img src=x onerror=alert(1)>{script}',
    )

    page = client.get(link_path(client, dana["id"]))

    assert "<script>" not in page.text
    assert "<img" not in page.text
    assert page.text.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 3


def test_pages_are_private_and_run_nothing_but_their_own_style(client):
    dana = factories.stakeholder(client)
    home = link_path(client, dana["id"])

    for path in (home, f"{home}/roadmap", f"{home}/requests/new", "/portal/1.2.3.nope"):
        page = client.get(path)
        headers = page.headers
        policy = headers["content-security-policy"]
        assert "default-src 'none'" in policy
        assert "frame-ancestors 'none'" in policy
        assert "form-action 'self'" in policy
        assert "unsafe-inline" not in policy
        assert "script-src" not in policy
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
        assert "no-store" in headers["cache-control"]
        # The one inline style is the one the policy allows by its hash.
        (style,) = re.findall(r"<style>(.*?)</style>", page.text, re.DOTALL)
        digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
        assert f"style-src 'sha256-{digest}'" in policy
        assert "<script" not in page.text


@pytest.mark.parametrize("suffix", ["", "/roadmap", "/requests/new"])
def test_every_bad_link_gets_the_same_page_that_tells_nothing(client, app, suffix):
    dana = factories.stakeholder(client)
    good = link_path(client, dana["id"])
    token = good.rpartition("/")[2]
    client.delete(f"{API}/stakeholders/{dana['id']}/portal-links")  # `good` is revoked
    bad = [
        good,
        f"/portal/{token[:-1]}{'A' if token[-1] != 'A' else 'B'}",
        "/portal/unknown",
        "/portal/9.0.99999999999.c2lnbmF0dXJl",
    ]

    pages = [client.get(f"{path}{suffix}") for path in bad]

    assert {page.status_code for page in pages} == {404}
    assert len({page.text for page in pages}) == 1
    assert "This link is no longer valid" in pages[0].text
    assert pages[0].headers["content-security-policy"].startswith("default-src 'none'")


def test_the_roadmap_page_lists_visible_items_by_horizon_with_what_they_answer(client):
    dana = factories.stakeholder(client)
    shown = factories.roadmap_item(client, **VISIBLE_ITEM)
    later = factories.roadmap_item(
        client, public_title="Offline mode", visibility="portal", horizon="later"
    )
    factories.roadmap_item(client, title="Secret rewrite", horizon="now")  # internal
    factories.roadmap_item(
        client, public_title="Fax support", visibility="portal", status="cancelled"
    )
    need = factories.need(client)
    for _ in range(2):
        factories.request(client, need_id=need["id"])
    client.post(
        f"{API}/needs/{need['id']}/decisions",
        json={"outcome": "accepted", "roadmap_item_id": shown["id"], "why": "Demand."},
    )
    own = factories.request(client, stakeholder_id=dana["id"])
    decide(client, own["id"], outcome="accepted", roadmap_item_id=shown["id"], why="Yes.")

    page = client.get(f"{link_path(client, dana['id'])}/roadmap")

    assert page.status_code == 200
    text = page_text(page)
    assert re.search(
        r"Now Nothing here yet\. Next Sign in with your company account .*"
        r"Aimed at 31 March 2027 Answers 3 requests Later Offline mode .* Answers 0 requests",
        text,
    ), text
    assert "Secret rewrite" not in text
    assert "Fax support" not in text
    assert f"item-{later['id']}" in page.text


def test_the_link_never_reaches_the_log_or_the_metrics(client_as, caplog):
    manager = client_as(Role.manager)
    dana = factories.stakeholder(manager)
    home = link_path(manager, dana["id"])
    token = home.rpartition("/")[2]
    anonymous = client_as(None)

    with caplog.at_level(logging.INFO, logger="reqtrack.access"):
        for path in (home, f"{home}/roadmap", f"{home}/requests/new", f"{home}x"):
            anonymous.get(path)
        anonymous.post(f"{home}/requests", data={"title": "x"})

    logged = " ".join(f"{record.getMessage()} {vars(record)}" for record in caplog.records)
    assert "/portal/{token}" in logged
    assert token not in logged
    assert token[-12:] not in logged
    metrics = client_as(Role.admin).get("/metrics").text
    assert 'route="/portal/{token}"' in metrics
    assert token[-12:] not in metrics


def test_a_request_moved_to_another_stakeholder_shows_nothing_told_to_the_first(client):
    dana = factories.stakeholder(client)
    raj = factories.stakeholder(client)
    asked = factories.request(client, stakeholder_id=dana["id"])
    decide(client, asked["id"], outcome="declined", why="No.", stakeholder_message="Dana, sorry.")
    told_everything(client)
    moved = client.patch(f"{API}/requests/{asked['id']}", json={"stakeholder_id": raj["id"]})
    assert moved.status_code == 200, moved.text

    text = page_text(client.get(link_path(client, raj["id"])))

    assert asked["title"] in text
    assert "Dana, sorry." in text  # the answer in force is Raj's to know now
    assert "What we told you" not in text


def test_a_cancelled_item_is_not_shown_as_the_plan(client):
    dana = factories.stakeholder(client)
    item = factories.roadmap_item(client, **VISIBLE_ITEM)
    asked = factories.request(client, stakeholder_id=dana["id"])
    decide(client, asked["id"], outcome="accepted", roadmap_item_id=item["id"], why="Yes.")
    client.patch(f"{API}/roadmap-items/{item['id']}", json={"status": "cancelled"})

    text = page_text(client.get(link_path(client, dana["id"])))

    assert "Plans changed" in text
    assert "The work it was planned into has been cancelled." in text
    assert "On our roadmap" not in text
    assert "Sign in with your company account" not in text


def test_a_head_or_an_odd_query_gets_the_page_not_an_error(client):
    home = link_path(client, factories.stakeholder(client)["id"])

    for path in (home, f"{home}/roadmap", f"{home}/requests/new"):
        checked = client.head(path)
        assert checked.status_code == 200, path
        assert checked.headers["content-type"].startswith("text/html")
        assert checked.content == b""
    odd = client.get(home, params={"asked": "maybe"})
    assert odd.status_code == 200
    assert "Thank you" not in odd.text
