"""A product manager's week, and exactly what each stakeholder hears: a need decided on
Monday, one answer changed on Tuesday while the notices still gather, the delay over,
and the item shipped on Friday."""

from sqlalchemy import update
from sqlmodel import col

from app.core.types import utcnow
from app.notices.models import GATHERING, Notice
from tests import factories
from tests.notices.helpers import gathered, send_due

API = "/api/v1"


def the_delay_passes(client):
    """The sender gathers the week's changes into notices; then their delay runs out."""
    gathered(client)
    with client.app.state.engine.begin() as connection:
        connection.execute(
            update(Notice)
            .where(col(Notice.status).in_(GATHERING))
            .values(send_after=utcnow(), next_attempt_at=utcnow())
        )


FOOTER = ("Everything you asked us for", "To stop these messages")


def mail_by_person(inbox, since=0):
    """What each address received after the first `since` messages: subject, and the
    plain text's lines that matter (the greeting, the requests, answers and whys)."""
    received = {}
    for each in inbox.received[since:]:
        text = each.message.get_body(("plain",)).get_content()
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        # Up to the footer: their page's link, and how to stop these messages.
        footer = next(i for i, line in enumerate(lines) if line.startswith(FOOTER))
        said = lines[:footer]
        received.setdefault(each.rcpt_tos[0], []).append((each.message["Subject"], said))
    return received


def notices_of(client):
    return client.get(f"{API}/notices").json()["items"]


def decide(client, subject, **fields):
    return factories.created(client, f"/{subject}/decisions", fields)


def test_what_each_stakeholder_hears_over_a_week(client, engine, app, inbox):
    dana = factories.stakeholder(client, name="Dana Reyes", email="dana@example.com")
    lee = factories.stakeholder(client, name="Lee Park", email="lee@example.com")
    sam = factories.stakeholder(client, name="Sam Ode", email=None)  # told on the feed
    kim = factories.stakeholder(client, name="Kim Vos", email="kim@example.com", notify=False)
    sso = factories.need(client, statement="Sign in with the company's identity provider")
    item = factories.roadmap_item(
        client, title="SSO (Okta, SAML)", visibility="portal", public_title="Single sign-on"
    )
    asks = {
        "dana okta": factories.request(
            client, stakeholder_id=dana["id"], need_id=sso["id"], title="Okta login for Acme"
        ),
        "dana saml": factories.request(
            client, stakeholder_id=dana["id"], need_id=sso["id"], title="SAML for Globex"
        ),
        "lee": factories.request(
            client, stakeholder_id=lee["id"], need_id=sso["id"], title="SSO for support agents"
        ),
        "sam": factories.request(client, stakeholder_id=sam["id"], need_id=sso["id"]),
        "kim": factories.request(client, stakeholder_id=kim["id"], need_id=sso["id"]),
    }
    settings = app.state.settings  # the delay as configured: 300 s

    # Monday: the need is accepted into the SSO item.
    decide(
        client,
        f"needs/{sso['id']}",
        outcome="accepted",
        roadmap_item_id=item["id"],
        why="Twelve enterprise deals ask for it",
        stakeholder_message="Planned for Q3.",
    )
    gathered(client)  # as the server's sender does within a second
    # Tuesday, inside the delay: Globex's SAML turns out to be a different ask.
    decide(
        client,
        f"requests/{asks['dana saml']['id']}",
        outcome="declined",
        why="SAML without SSO is a niche",
        stakeholder_message="Not this year, sorry.",
    )
    send_due(engine, settings, inbox.url)
    assert inbox.received == []  # still gathering: nothing goes

    the_delay_passes(client)
    send_due(engine, settings, inbox.url)

    assert mail_by_person(inbox) == {
        "dana@example.com": [
            (
                "What we decided about 2 of your requests",
                [
                    "Hello Dana Reyes,",
                    "Here is what we decided about 2 of your requests.",
                    "* Okta login for Acme",
                    "Yes: it is on our roadmap (Single sign-on).",
                    "Planned for Q3.",
                    "Why: Twelve enterprise deals ask for it",
                    "* SAML for Globex",
                    "Not this time.",
                    "Not this year, sorry.",
                    "Why: SAML without SSO is a niche",
                ],
            )
        ],
        "lee@example.com": [
            (
                "What we decided about your request: SSO for support agents",
                [
                    "Hello Lee Park,",
                    "Here is what we decided about your request.",
                    "* SSO for support agents",
                    "Yes: it is on our roadmap (Single sign-on).",
                    "Planned for Q3.",
                    "Why: Twelve enterprise deals ask for it",
                ],
            )
        ],
    }
    on_the_feed = client.get(f"{API}/stakeholders/{sam['id']}/notices").json()["items"]
    assert [(n["status"], n["channel"]) for n in on_the_feed] == [("sent", "feed")]
    assert client.get(f"{API}/stakeholders/{kim['id']}/notices").json()["items"] == []

    # Friday: the item ships. Only what was promised into it is news.
    shipped = client.patch(f"{API}/roadmap-items/{item['id']}", json={"status": "shipped"})
    assert shipped.status_code == 200, shipped.text
    the_delay_passes(client)
    send_due(engine, settings, inbox.url)

    # Should a message be missing, the notices say where it stopped.
    assert mail_by_person(inbox, since=2) == {
        "dana@example.com": [
            (
                "What we decided about your request: Okta login for Acme",
                [
                    "Hello Dana Reyes,",
                    "Here is what we decided about your request.",
                    "* Okta login for Acme",
                    "Done: it has shipped.",
                    "Planned for Q3.",
                    "Why: Twelve enterprise deals ask for it",
                ],
            )
        ],
        "lee@example.com": [
            (
                "What we decided about your request: SSO for support agents",
                [
                    "Hello Lee Park,",
                    "Here is what we decided about your request.",
                    "* SSO for support agents",
                    "Done: it has shipped.",
                    "Planned for Q3.",
                    "Why: Twelve enterprise deals ask for it",
                ],
            )
        ],
    }, [(n["stakeholder_id"], n["status"], n["last_error"]) for n in notices_of(client)]
    told = client.get(f"{API}/stakeholders/{dana['id']}/requests").json()["items"]
    assert all(request["told_at"] for request in told)
    # Only Kim, who asked for no messages, has not been sent the answer: hers to tell.
    untold = client.get(f"{API}/reports/untold").json()["items"]
    assert [(u["request_id"], u["because"]) for u in untold] == [(asks["kim"]["id"], "never_told")]
