"""REQTRACK_SMTP_URL, REQTRACK_MAIL_FROM and REQTRACK_TEMPLATES_DIR: read at start-up,
refused in words that say what to fix, and the password never shown."""

import sys

import pytest
from pydantic import ValidationError

from app.cli import main
from app.core.config import DEFAULT_MAIL_FROM, Settings, get_settings
from tests.mail.helpers import PASSWORD


def refusal(**fields) -> str:
    with pytest.raises(ValidationError) as caught:
        Settings(**fields)
    return str(caught.value)


@pytest.mark.parametrize(
    ("url", "said"),
    [
        (f"http://mailer:{PASSWORD}@mail.example.com", "must start with smtp:// or smtps://"),
        (f"mailer:{PASSWORD}@mail.example.com", "must start with smtp:// or smtps://"),
        (f"smtp://mailer:{PASSWORD}@mail.example.com:99999", "port from 1 to 65535"),
        (f"smtp://mailer:{PASSWORD}@mail.example.com:0", "port from 1 to 65535"),
        (f"smtp://mailer:{PASSWORD}@mail.example.com:submission", "port from 1 to 65535"),
        (f"smtp://mailer:{PASSWORD}@", "must name a host"),
        # A password holding / ? # that was not percent-encoded.
        (f"smtp://mailer:pa/{PASSWORD}@mail.example.com", "percent-encode"),
        (f"smtp://mailer:pa?{PASSWORD}@mail.example.com", "percent-encode"),
        (f"smtp://mailer:pa#{PASSWORD}@mail.example.com", "percent-encode"),
        (f"smtps://mailer:{PASSWORD}@mail.example.com?starttls=true", "?starttls=true is for"),
        (f"smtp://mailer:{PASSWORD}@mail.example.com?tls=on", "?starttls=true or false"),
        ("smtp://mailer@mail.example.com", "a user name but no password"),
    ],
)
def test_a_wrong_smtp_url_is_refused_in_words_that_hold_no_password(url, said):
    refused = refusal(smtp_url=url)

    assert "REQTRACK_SMTP_URL " in refused
    assert said in refused
    assert PASSWORD not in refused


def test_the_smtp_url_is_read_from_the_environment_and_never_shown(monkeypatch):
    url = f"smtp://mailer%40reqtrack.example:{PASSWORD}%2F@mail.example.com?starttls=true"
    monkeypatch.setenv("REQTRACK_SMTP_URL", url)

    settings = Settings()

    server = settings.smtp_server
    assert server is not None
    assert (server.host, server.port, server.security) == ("mail.example.com", 587, "starttls")
    assert server.username == "mailer@reqtrack.example"
    assert server.password is not None
    assert server.password.get_secret_value() == f"{PASSWORD}/"
    for shown in (repr(settings), str(settings), str(server), repr(server)):
        assert PASSWORD not in shown
    assert str(server) == "smtp://mailer%40reqtrack.example@mail.example.com:587?starttls=true"


@pytest.mark.parametrize(
    ("url", "security", "port"),
    [
        ("smtp://mail.example.com", "plain", 25),
        ("smtp://mail.example.com?starttls=true", "starttls", 587),
        ("smtps://mail.example.com", "tls", 465),
        ("SMTPS://mail.example.com:2465", "tls", 2465),
        ("smtp://[::1]:2525?starttls=false", "plain", 2525),
    ],
)
def test_each_kind_of_smtp_url_names_its_security_and_port(url, security, port):
    server = Settings(smtp_url=url).smtp_server

    assert server is not None
    assert (server.security, server.port) == (security, port)


def test_an_empty_smtp_url_means_the_mail_folder(monkeypatch):
    monkeypatch.setenv("REQTRACK_SMTP_URL", "")

    assert Settings().smtp_server is None


def test_production_refuses_a_password_sent_unencrypted_to_another_machine():
    url = f"smtp://mailer:{PASSWORD}@mail.example.com"

    refused = refusal(environment="production", smtp_url=url)

    assert "would send its password unencrypted" in refused
    assert PASSWORD not in refused
    encrypted_or_local = (
        f"{url}?starttls=true",
        url.replace("smtp:", "smtps:"),
        url.replace("mail.example.com", "127.0.0.1"),
    )
    for safe in encrypted_or_local:
        assert Settings(environment="production", smtp_url=safe).smtp_server is not None


def test_a_wrong_smtp_url_stops_a_command_in_one_line_without_the_password(monkeypatch, capsys):
    monkeypatch.setenv("REQTRACK_SMTP_URL", f"smtp://mailer:{PASSWORD}@mail.example.com:99999")
    monkeypatch.setattr(sys, "argv", ["reqtrack", "db", "current"])
    get_settings.cache_clear()
    try:
        with pytest.raises(SystemExit) as exited:
            main()
    finally:
        get_settings.cache_clear()

    assert exited.value.code == 1
    (said,) = capsys.readouterr().err.splitlines()
    assert said.startswith("reqtrack: invalid settings: smtp_url: REQTRACK_SMTP_URL must")
    assert "port from 1 to 65535" in said
    assert PASSWORD not in said


def test_the_sender_is_one_address_with_an_optional_name():
    assert Settings().mail_sender.addr_spec == "reqtrack@localhost"
    assert DEFAULT_MAIL_FROM == "reqtrack <reqtrack@localhost>"
    sender = Settings(mail_from="Zoë at Réqtrack <Notices@Reqtrack.Example>").mail_sender
    assert sender.display_name == "Zoë at Réqtrack"
    assert sender.addr_spec == "notices@reqtrack.example"
    assert sender.domain == "reqtrack.example"


@pytest.mark.parametrize(
    ("mail_from", "said"),
    [
        ("not an address", "must be one address"),
        ("a@example.com, b@example.com", "must be one address"),
        ("reqtrack <reqtrack@example.com>\r\nBcc: victim@example.com", "must be on one line"),
        ("reqtrack <zoë@exämple.com>", "must be an ASCII address"),
    ],
)
def test_a_wrong_sender_is_refused(mail_from, said):
    refused = refusal(mail_from=mail_from)

    assert f"REQTRACK_MAIL_FROM {said}" in refused


def test_a_templates_folder_that_does_not_exist_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("REQTRACK_TEMPLATES_DIR", str(tmp_path / "missing"))

    with pytest.raises(ValidationError, match="REQTRACK_TEMPLATES_DIR must be an existing folder"):
        Settings()
