"""A real SMTP server (aiosmtpd) on 127.0.0.1, on a port the system chooses, that keeps
what it receives; and a certificate for its TLS."""

import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    # The login this message was sent under, if any.
    login: str | None
    # The client's (address, port): one per connection it opened.
    peer: tuple[str, int] = ("", 0)


@dataclass
class Inbox:
    """The handler: keeps each message; refuses the recipients in `refused` with 550."""

    url: str = ""
    refused: set[str] = field(default_factory=set)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if address in self.refused:
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        # Stored with \n line ends, as a mailbox on disk keeps them.
        content = envelope.original_content.replace(b"\r\n", b"\n")
        parsed = message_from_bytes(content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        login = session.auth_data.login.decode() if session.auth_data else None
        with self.lock:
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), parsed, login, session.peer)
            )
        return "250 2.0.0 accepted"

    def only(self) -> Received:
        with self.lock:
            (received,) = self.received
        return received


class Accounts:
    """An authenticator that takes one user name and password."""

    def __init__(self, username: str, password: str) -> None:
        self.username, self.password = username, password

    def __call__(self, server, session, envelope, mechanism, auth_data: Any) -> AuthResult:
        accepted = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == self.username
            and auth_data.password.decode() == self.password
        )
        return AuthResult(success=accepted, handled=False, auth_data=auth_data)


class _AnyPortController(Controller):
    """aiosmtpd's Controller on port 0: its start-up check connects to the port it was
    given, so it learns the one the system chose first."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@contextmanager
def smtp_server(inbox: Inbox, *, scheme: str = "smtp", **options: Any) -> Iterator[Inbox]:
    """Serve `inbox` until the block ends; inbox.url is smtp://127.0.0.1:<port>.
    `options` go to aiosmtpd (authenticator, tls_context, require_starttls, ssl_context)."""
    controller = _AnyPortController(inbox, hostname="127.0.0.1", port=0, **options)
    controller.start()
    inbox.url = f"{scheme}://127.0.0.1:{controller.port}"
    try:
        yield inbox
    finally:
        controller.stop()


def unused_port() -> int:
    """A port nothing listens on (the system gave it out, and it was closed again)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def silent_server() -> Iterator[int]:
    """A port that takes connections and never says a word (no SMTP greeting)."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        yield listener.getsockname()[1]


@dataclass
class Certificate:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context


def make_certificate(folder: Path) -> Certificate:
    """A self-signed certificate for 127.0.0.1 (openssl's command line)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise FileNotFoundError("openssl")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return Certificate(cert, key)
