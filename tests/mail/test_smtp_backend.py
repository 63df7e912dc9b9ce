"""Sending through a real SMTP server: what arrives, logging in, TLS, and failing in
words that say why without the password."""

import asyncio
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import quote

import pytest

from app.mail.backends import SmtpBackend, backend_from_settings
from tests.mail.helpers import (
    HTML,
    PASSWORD,
    TEXT,
    UNSUBSCRIBE,
    a_message,
    not_sent,
    send,
    shows,
)
from tests.mail.smtp_server import Accounts, Inbox, silent_server, smtp_server, unused_port

# aiosmtpd refuses AUTH before TLS unless told (and warns when told); these have no TLS.
LOGIN_REQUIRED = {"auth_required": True, "auth_require_tls": False}
login_without_tls = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


def with_login(url: str, username: str, password: str) -> str:
    """The URL with credentials, percent-encoded as the setting's description says."""
    login = f"{quote(username, safe='')}:{quote(password, safe='')}"
    return url.replace("://", f"://{login}@", 1)


def test_a_message_arrives_with_its_headers_and_both_bodies(inbox, mail_settings):
    backend = backend_from_settings(mail_settings(smtp_url=inbox.url))
    assert isinstance(backend, SmtpBackend)

    send(backend, a_message())

    received = inbox.only()
    assert received.mail_from == "reqtrack@reqtrack.example"
    assert received.rcpt_tos == ["zoe@example.com"]
    mail = received.message
    assert mail["From"] == "reqtrack <reqtrack@reqtrack.example>"
    assert mail["Message-ID"] == "<notice-42@reqtrack.example>"
    assert mail["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail["Auto-Submitted"] == "auto-generated"
    sent_at = parsedate_to_datetime(mail["Date"])
    assert abs((datetime.now(UTC) - sent_at).total_seconds()) < 60
    assert mail.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in mail.iter_parts()] == ["text/plain", "text/html"]
    assert mail.get_body(("plain",)).get_content() == TEXT
    assert mail.get_body(("html",)).get_content() == HTML


def test_a_batch_goes_over_a_few_connections_and_one_refusal_fails_only_its_message(
    mail_settings,
):
    with smtp_server(Inbox(refused={"gone@example.com"})) as inbox:
        backend = backend_from_settings(mail_settings(smtp_url=inbox.url))
        batch = [
            a_message(to_address=f"person{n}@example.com", message_id=f"<notice-{n}@x.example>")
            for n in range(12)
        ]
        batch[5] = a_message(to_address="gone@example.com", message_id="<notice-5@x.example>")

        failures = asyncio.run(backend.send_all(batch))

    assert [n for n, failure in enumerate(failures) if failure] == [5]
    refused = failures[5]
    assert refused is not None
    assert refused.permanent
    received = sorted(each.message["Message-ID"] for each in inbox.received)
    assert received == sorted(m.message_id for n, m in enumerate(batch) if n != 5)
    # Four at a time, each reused; the refusal's connection is opened again after it.
    assert len({each.peer for each in inbox.received}) <= SmtpBackend.CONNECTIONS + 1


def test_a_batch_that_outlasts_the_timeout_fails_the_rest_rather_than_overrun(mail_settings):
    with silent_server() as port:
        backend = backend_from_settings(
            mail_settings(smtp_url=f"smtp://127.0.0.1:{port}", smtp_timeout_seconds=0.5)
        )
        started = time.monotonic()

        failures = asyncio.run(backend.send_all([a_message()] * 6))

    assert time.monotonic() - started < 2
    assert all(failure and "within 0.5 s" in failure.reason for failure in failures)


def test_names_and_subjects_beyond_ascii_arrive_as_written(inbox, mail_settings):
    backend = backend_from_settings(mail_settings(smtp_url=inbox.url))

    send(backend, a_message(to_name="Zoë Łukasiewicz", subject="Décision : SSO ✓"))

    mail = inbox.only().message
    (to,) = mail["To"].addresses
    assert (to.display_name, to.addr_spec) == ("Zoë Łukasiewicz", "zoe@example.com")
    assert mail["Subject"] == "Décision : SSO ✓"


@login_without_tls
def test_a_server_url_with_credentials_logs_in_with_them(mail_settings):
    username, password = "mailer@reqtrack.example", f"p@ss:w/rd?#{PASSWORD}"
    inbox = Inbox()
    with smtp_server(inbox, authenticator=Accounts(username, password), **LOGIN_REQUIRED):
        url = with_login(inbox.url, username, password)
        send(backend_from_settings(mail_settings(smtp_url=url)), a_message())

    assert inbox.only().login == username


@login_without_tls
def test_a_refused_login_says_so_without_the_password(mail_settings):
    inbox = Inbox()
    with smtp_server(inbox, authenticator=Accounts("mailer", "the-right-one"), **LOGIN_REQUIRED):
        url = with_login(inbox.url, "mailer", PASSWORD)
        error = not_sent(backend_from_settings(mail_settings(smtp_url=url)))

    assert error.reason.startswith("127.0.0.1:")
    assert "refused the login: 535" in error.reason
    assert not shows(error, PASSWORD)
    assert inbox.received == []


def test_a_server_that_is_down_fails_at_once_without_the_password(mail_settings):
    port = unused_port()
    url = with_login(f"smtp://127.0.0.1:{port}", "mailer", PASSWORD)

    started = time.monotonic()
    error = not_sent(backend_from_settings(mail_settings(smtp_url=url)))

    assert time.monotonic() - started < 2
    assert error.reason == f"could not connect to 127.0.0.1:{port}: connection refused"
    assert not error.permanent
    assert not shows(error, PASSWORD)


def test_a_server_that_never_answers_fails_after_the_timeout(mail_settings):
    with silent_server() as port:
        settings = mail_settings(smtp_url=f"smtp://127.0.0.1:{port}", smtp_timeout_seconds=0.2)

        started = time.monotonic()
        error = not_sent(backend_from_settings(settings))

    assert time.monotonic() - started < 2
    assert error.reason == f"no answer from 127.0.0.1:{port} within 0.2 s"


def test_a_refused_recipient_is_a_permanent_failure(inbox, mail_settings):
    inbox.refused.add("gone@example.com")

    error = not_sent(
        backend_from_settings(mail_settings(smtp_url=inbox.url)),
        a_message(to_address="gone@example.com"),
    )

    assert error.permanent
    assert "refused the recipient: 550" in error.reason
    assert inbox.received == []


def test_starttls_upgrades_the_connection_before_sending(trusted, mail_settings):
    inbox = Inbox()
    tls = {"tls_context": trusted.server_context(), "require_starttls": True}
    with smtp_server(inbox, **tls):
        starttls = mail_settings(smtp_url=f"{inbox.url}?starttls=true")
        send(backend_from_settings(starttls), a_message())
        # Plain smtp:// is plain: not upgraded on a guess, so this server refuses it.
        plain = not_sent(backend_from_settings(mail_settings(smtp_url=inbox.url)))

    assert inbox.only().message["Subject"] == "Décision : SSO"
    assert "530" in plain.reason


def test_smtps_speaks_tls_from_the_start(trusted, mail_settings):
    inbox = Inbox()
    with smtp_server(inbox, scheme="smtps", ssl_context=trusted.server_context()):
        send(backend_from_settings(mail_settings(smtp_url=inbox.url)), a_message())

    assert inbox.only().message["Message-ID"] == "<notice-42@reqtrack.example>"


def test_a_certificate_nobody_vouches_for_is_refused(certificate, mail_settings):
    inbox = Inbox()
    with smtp_server(inbox, scheme="smtps", ssl_context=certificate.server_context()):
        error = not_sent(backend_from_settings(mail_settings(smtp_url=inbox.url)))

    assert error.reason.startswith("TLS with 127.0.0.1:")
    assert "certificate" in error.reason
    assert inbox.received == []
