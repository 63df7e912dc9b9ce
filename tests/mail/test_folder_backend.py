"""Without a mail server, each message is an .eml file under data_dir/mail."""

import re
import stat
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from app.mail.backends import FolderBackend, backend_from_settings
from tests.mail.helpers import HTML, TEXT, UNSUBSCRIBE, a_message, not_sent, send


def written(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.eml"))


def read(path: Path) -> EmailMessage:
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_without_a_server_a_message_is_an_eml_file_a_mail_program_reads(mail_settings):
    settings = mail_settings()
    backend = backend_from_settings(settings)
    assert isinstance(backend, FolderBackend)

    send(backend, a_message())

    (path,) = written(settings.data_dir / "mail")
    assert re.fullmatch(r"\d{8}T\d{12}Z-notice-42@reqtrack\.example\.eml", path.name)
    mail = read(path)
    assert mail["From"] == "reqtrack <reqtrack@reqtrack.example>"
    assert mail["To"] == "Zoë Łukasiewicz <zoe@example.com>"
    assert mail["Subject"] == "Décision : SSO"
    assert mail["Message-ID"] == "<notice-42@reqtrack.example>"
    assert mail["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
    assert mail.get_body(("plain",)).get_content() == TEXT
    assert mail.get_body(("html",)).get_content() == HTML


def test_the_same_message_sent_again_replaces_its_file(mail_settings):
    settings = mail_settings()
    backend = backend_from_settings(settings)

    send(backend, a_message(subject="First"))
    send(backend, a_message(subject="Second"))
    send(backend, a_message(message_id="<notice-43@reqtrack.example>"))

    first, other = written(settings.data_dir / "mail")
    assert read(first)["Subject"] == "Second"
    assert read(other)["Message-ID"] == "<notice-43@reqtrack.example>"
    # Written whole through a temporary file, and none is left behind.
    assert sorted(path.name for path in first.parent.iterdir()) == [first.name, other.name]


def test_the_mail_folder_is_readable_by_this_user_only(mail_settings):
    settings = mail_settings()

    send(backend_from_settings(settings), a_message())

    folder = settings.data_dir / "mail"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    (path,) = written(folder)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_folder_that_cannot_be_written_is_mail_not_sent(mail_settings):
    settings = mail_settings()
    settings.data_dir.mkdir()
    (settings.data_dir / "mail").write_text("a file, not a folder")

    error = not_sent(backend_from_settings(settings))

    assert error.reason == f"could not write to {settings.data_dir / 'mail'}: file exists"


def test_message_ids_that_differ_only_in_odd_characters_keep_apart(mail_settings):
    settings = mail_settings()
    backend = backend_from_settings(settings)

    send(backend, a_message(message_id="<a+b@reqtrack.example>"))
    send(backend, a_message(message_id="<a_b@reqtrack.example>"))
    send(backend, a_message(message_id="<a.b@reqtrack.example>"))

    ids = {read(path)["Message-ID"] for path in written(settings.data_dir / "mail")}
    assert ids == {"<a+b@reqtrack.example>", "<a_b@reqtrack.example>", "<a.b@reqtrack.example>"}
