"""Due notices go out once each: by mail to a real SMTP server, or to the change feed for
a stakeholder with no address; a mail server down loses nothing."""

import re
from datetime import timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import update

from app.core.config import Settings
from app.core.db import open_session
from app.core.types import utcnow
from app.notices.gathering import hold_stakeholders
from app.notices.models import Notice
from app.notices.sending import PORTAL_LINK_KEPT_AS, Attempt, claim_due, record_attempts
from app.notices.unsubscribe import unsubscribe_url
from tests import factories
from tests.mail.smtp_server import unused_port
from tests.notices.helpers import gathered, mailing, send_due

API = "/api/v1"


def decide(client, subject, **fields):
    body = {"outcome": "declined", "why": "Not this year"} | fields
    return factories.created(client, f"/{subject}/decisions", body)


def the_notice(client):
    gathered(client)
    [notice] = client.get(f"{API}/notices").json()["items"]
    return notice


def test_a_due_notice_is_mailed_once_with_the_why_and_the_message(client, engine, no_delay, inbox):
    dana = factories.stakeholder(client, name="Dana Reyes", email="dana@example.com")
    need = factories.need(client)
    for title in ("SSO for Acme", "Okta login"):
        factories.request(client, stakeholder_id=dana["id"], need_id=need["id"], title=title)
    decide(client, f"needs/{need['id']}", why="Security first", stakeholder_message="In Q3.")

    assert send_due(engine, no_delay, inbox.url) is True
    assert send_due(engine, no_delay, inbox.url) is False

    mail = inbox.only().message
    notice = the_notice(client)
    assert mail["To"] == "Dana Reyes <dana@example.com>"
    assert mail["Subject"] == "What we decided about 2 of your requests"
    assert mail["Message-ID"] == f"<notice-{notice['id']}@reqtrack.example>"
    text = mail.get_body(("plain",)).get_content()
    for said in ("SSO for Acme", "Okta login", "Why: Security first", "In Q3."):
        assert said in text
    assert (notice["status"], notice["channel"], notice["attempts"]) == ("sent", "email", 1)
    assert notice["sent_at"] is not None
    link = portal_link_in(text)
    assert notice["body_text"] == text.replace("\r\n", "\n").replace(link, PORTAL_LINK_KEPT_AS)
    sent = client.get(f"{API}/events", params={"type": "notice.sent"}).json()["items"]
    assert [event["data"]["id"] for event in sent] == [notice["id"]]


def portal_link_in(text):
    (link,) = re.findall(r"http://127\.0\.0\.1:8000/portal/\S+", text)
    return link


def test_a_mail_carries_a_fresh_link_to_the_stakeholders_page_and_keeps_no_copy(
    client, engine, no_delay, inbox
):
    dana = factories.stakeholder(client, name="Dana Reyes")
    request = factories.request(client, stakeholder_id=dana["id"], title="Dark mode")
    decide(client, f"requests/{request['id']}", why="Few asked for it.")

    send_due(engine, no_delay, inbox.url)

    message = inbox.only().message
    link = portal_link_in(message.get_body(("plain",)).get_content())
    assert f'href="{link}"' in message.get_body(("html",)).get_content()
    page = client.get(link.removeprefix("http://127.0.0.1:8000"))
    assert page.status_code == 200
    assert "Dark mode" in page.text
    assert "Few asked for it." in page.text
    token = link.rpartition("/")[2]
    assert token not in client.get(f"{API}/notices").text
    assert token not in client.get(f"{API}/events").text


def test_a_stakeholder_without_an_address_is_told_on_the_feed_only(client, engine, no_delay, inbox):
    request = factories.request(client, stakeholder_id=factories.stakeholder(client)["id"])
    client.patch(f"{API}/stakeholders/{request['stakeholder_id']}", json={"email": None})
    decide(client, f"requests/{request['id']}")

    send_due(engine, no_delay, inbox.url)

    assert inbox.received == []
    notice = the_notice(client)
    assert (notice["status"], notice["channel"]) == ("sent", "feed")
    assert client.get(f"{API}/events", params={"type": "notice.sent"}).json()["items"]


def test_a_mail_server_down_loses_nothing_and_sends_once_it_is_back(
    client, engine, no_delay, inbox
):
    request = factories.request(client)
    decide(client, f"requests/{request['id']}")

    send_due(engine, no_delay, f"smtp://127.0.0.1:{unused_port()}")
    waiting = the_notice(client)
    assert (waiting["status"], waiting["attempts"]) == ("pending", 1)
    assert waiting["last_error"]
    with engine.begin() as connection:  # the backoff has passed
        connection.execute(update(Notice).values(next_attempt_at=utcnow()))
    send_due(engine, no_delay, inbox.url)

    assert len(inbox.received) == 1
    assert the_notice(client)["status"] == "sent"


def test_a_sender_that_died_mid_send_is_replaced_with_the_same_message_id(
    client, engine, no_delay, inbox
):
    request = factories.request(client)
    decide(client, f"requests/{request['id']}")
    gathered(client)
    with open_session(engine, write=True) as session:
        [claim] = claim_due(session, settings=mailing(no_delay, inbox.url), limit=5)
        session.commit()
    # It never recorded the sending; its lease runs out.
    with engine.begin() as connection:
        connection.execute(update(Notice).values(lease_expires_at=utcnow() - timedelta(1)))

    send_due(engine, no_delay, inbox.url)

    assert claim.message is not None
    assert inbox.received, the_notice(client)["last_error"]  # why, if it did not go
    assert inbox.only().message["Message-ID"] == claim.message.message_id
    assert the_notice(client)["status"] == "sent"


def test_a_stakeholders_next_notice_waits_for_the_one_in_flight_and_never_repeats_it(
    client, engine, no_delay, inbox
):
    request = factories.request(client)
    item = factories.roadmap_item(client)
    decide(client, f"requests/{request['id']}", stakeholder_message="No.")
    settings = mailing(no_delay, inbox.url)
    gathered(client)
    with open_session(engine, write=True) as session:
        [in_flight] = claim_due(session, settings=settings, limit=5)
        session.commit()
    # While it is being sent, the answer changes and comes back: a second notice owes it.
    decide(client, f"requests/{request['id']}", outcome="accepted", roadmap_item_id=item["id"])
    decide(client, f"requests/{request['id']}", stakeholder_message="No.")

    send_due(engine, no_delay, inbox.url)
    waiting = [n for n in client.get(f"{API}/notices").json()["items"] if n["status"] == "pending"]
    with open_session(engine, write=True) as session:
        record_attempts(session, [Attempt(in_flight)], settings=settings)
        session.commit()
    send_due(engine, no_delay, inbox.url)

    assert inbox.received == []  # the first went out (recorded above), the second was no news
    assert len(waiting) == 1
    statuses = {n["id"]: n["status"] for n in client.get(f"{API}/notices").json()["items"]}
    assert statuses == {in_flight.notice_id: "sent", waiting[0]["id"]: "cancelled"}


def test_no_notice_of_a_stakeholder_is_claimed_while_changes_for_them_are_gathered(
    client, engine, no_delay
):
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite has one writer at a time: the gathering holds the database")
    request = factories.request(client)
    decide(client, f"requests/{request['id']}")

    gathered(client)
    with open_session(engine, write=True) as gathering:
        hold_stakeholders(gathering, [request["stakeholder_id"]])
        with open_session(engine, write=True) as sender:
            assert claim_due(sender, settings=no_delay, limit=5) == []
    with open_session(engine, write=True) as sender:
        assert len(claim_due(sender, settings=no_delay, limit=5)) == 1


def test_internal_roadmap_titles_stay_internal_and_stored_text_is_escaped(
    client, engine, no_delay, inbox
):
    hidden = factories.roadmap_item(client, title="Project Hush")
    shown = factories.roadmap_item(
        client, title="SSO v2", public_title="Single sign-on", visibility="portal"
    )
    person = factories.stakeholder(client)
    first = factories.request(client, stakeholder_id=person["id"], title="<b>Bold</b> ask")
    second = factories.request(client, stakeholder_id=person["id"])
    decide(client, f"requests/{first['id']}", outcome="accepted", roadmap_item_id=hidden["id"])
    decide(client, f"requests/{second['id']}", outcome="accepted", roadmap_item_id=shown["id"])

    send_due(engine, no_delay, inbox.url)

    mail = inbox.only().message
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "Project Hush" not in text + html
    assert "SSO v2" not in text + html
    assert "Single sign-on" in text
    assert "Single sign-on" in html
    assert "<b>Bold</b> ask" in text
    assert "&lt;b&gt;Bold&lt;/b&gt; ask" in html
    assert "<b>Bold</b>" not in html


def test_a_stakeholders_requests_say_when_the_answer_in_force_was_sent(
    client, engine, no_delay, inbox
):
    request = factories.request(client)
    url = f"{API}/stakeholders/{request['stakeholder_id']}/requests"
    assert client.get(url).json()["items"][0]["told_at"] is None
    decide(client, f"requests/{request['id']}")
    assert client.get(url).json()["items"][0]["told_at"] is None  # owed, not yet sent

    send_due(engine, no_delay, inbox.url)
    told = client.get(url).json()["items"][0]
    sent_at = the_notice(client)["sent_at"]
    decide(client, f"requests/{request['id']}", outcome="deferred", why="Next year")

    assert told["told_at"] == sent_at
    assert client.get(url).json()["items"][0]["told_at"] is None  # a new answer, untold


def test_a_mailbox_refused_for_good_fails_at_once_rather_than_for_hours(
    client, engine, no_delay, inbox
):
    gone = factories.stakeholder(client, email="gone@example.com")
    request = factories.request(client, stakeholder_id=gone["id"])
    inbox.refused.add("gone@example.com")
    decide(client, f"requests/{request['id']}")

    send_due(engine, no_delay, inbox.url)

    notice = the_notice(client)
    assert (notice["status"], notice["attempts"]) == ("failed", 1)
    assert "550" in notice["last_error"]


@pytest.mark.parametrize("smtp_timeout", [90, 30])
def test_a_sender_may_not_hold_a_notice_for_less_than_its_batch_may_take(settings, smtp_timeout):
    # Claimed while the batch before it is mailed, a batch may wait that one's time too.
    with pytest.raises(
        ValidationError, match="notice_lease_seconds must be longer than twice smtp_timeout"
    ):
        Settings(**settings.model_dump() | {"smtp_timeout_seconds": smtp_timeout, "smtp_url": None})


def test_unsubscribing_while_a_notice_waits_stops_it(client, app, engine, no_delay, inbox):
    request = factories.request(client)
    decide(client, f"requests/{request['id']}")
    gathered(client)  # the notice waits
    link = unsubscribe_url(app.state.settings, request["stakeholder_id"])
    client.post(link.removeprefix("http://127.0.0.1:8000"))

    send_due(engine, no_delay, inbox.url)

    assert inbox.received == []
    assert the_notice(client)["status"] == "cancelled"


def test_a_deferral_to_an_item_that_shipped_is_still_told_as_a_deferral(
    client, engine, no_delay, inbox
):
    item = factories.roadmap_item(client)
    client.patch(f"{API}/roadmap-items/{item['id']}", json={"status": "shipped"})
    request = factories.request(client)
    decide(client, f"requests/{request['id']}", outcome="deferred", roadmap_item_id=item["id"])

    send_due(engine, no_delay, inbox.url)

    text = inbox.only().message.get_body(("plain",)).get_content()
    assert "Not now: we will look at it again." in text
    assert "shipped" not in text
    assert the_notice(client)["items"][0]["roadmap_item_status"] is None


def test_the_kept_copy_has_no_link_whatever_an_operators_template_does_with_it(
    client, engine, no_delay, inbox, tmp_path
):
    (tmp_path / "notice.txt").write_text(
        "Hello {{ name }}. Your page: {{ portal_url | replace('/portal/', '/PORTAL/') }}\n"
    )
    request = factories.request(client)
    decide(client, f"requests/{request['id']}")

    send_due(engine, no_delay.model_copy(update={"templates_dir": tmp_path}), inbox.url)

    sent = inbox.only().message.get_body(("plain",)).get_content()
    (token,) = re.findall(r"/PORTAL/(\S+)", sent)
    kept = the_notice(client)["body_text"]
    assert token not in kept
    assert PORTAL_LINK_KEPT_AS in kept
