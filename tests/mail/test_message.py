"""What stored text can and cannot do to a message's headers, and the message's shape."""

import dataclasses

import pytest

from app.mail.backends import backend_from_settings
from app.mail.message import (
    MAX_HEADER_TEXT,
    list_unsubscribe,
    message_id_for,
)
from tests.mail.helpers import a_message, send

INJECTED = "\r\nBcc: victim@example.com"


def test_a_line_break_in_a_subject_adds_no_header(inbox, mail_settings):
    backend = backend_from_settings(mail_settings(smtp_url=inbox.url))

    send(backend, a_message(subject=f"Décision : SSO{INJECTED}"))

    received = inbox.only()
    assert received.rcpt_tos == ["zoe@example.com"]
    assert received.message.get_all("Bcc") is None
    assert received.message.get_all("Subject") == ["Décision : SSO Bcc: victim@example.com"]


@pytest.mark.parametrize(
    "hostile",
    [
        f"Zoë{INJECTED}",
        "Zoë\nBcc: victim@example.com",
        "Zoë\u2028Bcc: victim@example.com",
        # An encoded word the email package would decode into a line break.
        "=?utf-8?q?Zo=C3=AB=0D=0ABcc=3A_victim=40example=2Ecom?=",
    ],
)
def test_a_hostile_name_or_subject_stays_inside_its_header(inbox, mail_settings, hostile):
    backend = backend_from_settings(mail_settings(smtp_url=inbox.url))

    send(backend, a_message(to_name=hostile, subject=hostile))

    received = inbox.only()
    assert received.rcpt_tos == ["zoe@example.com"]
    assert received.message.get_all("Bcc") is None
    (subject,) = received.message.get_all("Subject")
    (to,) = received.message.get_all("To")
    assert "\n" not in subject
    assert to.addresses[0].addr_spec == "zoe@example.com"


def test_long_subjects_and_names_end_in_an_ellipsis():
    subject, name = "Décision " * 40, "Zoë Ł" * 80
    message = a_message(subject=subject, to_name=name)

    for sent, written in ((message.subject, subject), (message.to_name, name)):
        assert len(sent) <= MAX_HEADER_TEXT
        assert sent.endswith("…")
        assert written.startswith(sent.removesuffix("…"))
    assert a_message(subject="Décision : SSO").subject == "Décision : SSO"


def test_a_long_unsubscribe_link_arrives_whole(inbox, mail_settings):
    link = "https://reqtrack.example/api/v1/unsubscribe/" + "t0k3n" * 60

    send(
        backend_from_settings(mail_settings(smtp_url=inbox.url)),
        a_message(extra_headers=list_unsubscribe(link)),
    )

    assert inbox.only().message["List-Unsubscribe"] == f"<{link}>"


def test_message_ids_are_stable_and_take_the_senders_domain(mail_settings):
    domain = mail_settings().mail_sender.domain

    assert message_id_for("notice", 42, domain) == "<notice-42@reqtrack.example>"
    assert message_id_for("notice", 42, domain) == message_id_for("notice", 42, domain)
    with pytest.raises(ValueError, match="message kind"):
        message_id_for("Notice 42", 1, domain)


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"to_address": "zoe@example.com\r\nBcc: victim@example.com"}, "one line"),
        ({"to_address": "not an address"}, "not an e-mail address"),
        ({"message_id": "notice-42"}, "not a Message-ID"),
        ({"extra_headers": {"Bcc": "victim@example.com"}}, "cannot add a header named 'Bcc'"),
        ({"extra_headers": {"X-Bad: yes\r\nBcc": "v"}}, "cannot add a header named"),
        ({"extra_headers": {"List-Unsubscribe": "<https://x.example/é>"}}, "printable ASCII"),
    ],
)
def test_what_code_gets_wrong_is_refused_when_the_message_is_made(changes, said):
    with pytest.raises(ValueError, match=said):
        a_message(**changes)


def test_a_message_does_not_change_once_made():
    message = a_message()

    with pytest.raises(dataclasses.FrozenInstanceError):
        message.subject = "Changed"  # type: ignore[misc]
    with pytest.raises(TypeError):
        message.extra_headers["Bcc"] = "victim@example.com"  # type: ignore[index]
