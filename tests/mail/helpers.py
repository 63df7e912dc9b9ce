"""A message to send, settings to send it with, and sending it."""

import asyncio
from typing import Any

import pytest

from app.mail.backends import MailBackend, MailNotSent
from app.mail.message import OutgoingMessage, list_unsubscribe, message_id_for

SENDER = "reqtrack <reqtrack@reqtrack.example>"
PASSWORD = "hunter2-very-secret"
TEXT = "Bonjour Zoë,\n\nSSO est prévu pour le T3.\n"
HTML = "<p>Bonjour Zoë,</p>\n<p>SSO est prévu pour le T3.</p>\n"
UNSUBSCRIBE = "https://reqtrack.example/unsubscribe/abc"


def a_message(**changes: Any) -> OutgoingMessage:
    fields: dict[str, Any] = {
        "to_address": "zoe@example.com",
        "to_name": "Zoë Łukasiewicz",
        "subject": "Décision : SSO",
        "text_body": TEXT,
        "html_body": HTML,
        "message_id": message_id_for("notice", 42, "reqtrack.example"),
        "extra_headers": list_unsubscribe(UNSUBSCRIBE),
    }
    return OutgoingMessage(**(fields | changes))


def send(backend: MailBackend, message: OutgoingMessage) -> None:
    asyncio.run(backend.send(message))


def not_sent(backend: MailBackend, message: OutgoingMessage | None = None) -> MailNotSent:
    with pytest.raises(MailNotSent) as caught:
        send(backend, message or a_message())
    return caught.value


def shows(error: BaseException, secret: str) -> bool:
    """Whether any way of printing the error (or what it was raised from) shows `secret`."""
    seen = [error, error.__cause__, error.__context__]
    return any(secret in text for e in seen if e for text in (str(e), repr(e)))
