"""Settings for sending mail, a real SMTP server, and a certificate for its TLS."""

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from app.core.config import Settings
from tests.mail.helpers import SENDER
from tests.mail.smtp_server import Certificate, Inbox, make_certificate, smtp_server

MailSettings = Callable[..., Settings]


@pytest.fixture
def mail_settings(tmp_path: Path) -> MailSettings:
    """Settings(...) with our sender, a data folder of this test's own, and no mail
    server unless one is given."""

    def make(**changes: Any) -> Settings:
        fields: dict[str, Any] = {
            "environment": "test",
            "mail_from": SENDER,
            "data_dir": tmp_path / "data",
            "smtp_url": None,
        }
        return Settings(**(fields | changes))

    return make


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with smtp_server(Inbox()) as inbox:
        yield inbox


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    try:
        return make_certificate(tmp_path_factory.mktemp("tls"))
    except FileNotFoundError:
        pytest.skip("openssl is not installed: no certificate for the TLS tests")


@pytest.fixture
def trusted(certificate: Certificate, monkeypatch: pytest.MonkeyPatch) -> Certificate:
    """The certificate, trusted by this process as a CA's would be."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate.cert))
    return certificate
