"""Ways to send a message, behind one interface (as Django's e-mail backends): an SMTP
server, or a folder of .eml files when none is configured."""

import asyncio
import glob
import os
import ssl
import tempfile
from datetime import UTC, datetime
from email.headerregistry import Address
from pathlib import Path
from typing import Protocol
from urllib.parse import quote

import aiosmtplib

from app.core.config import Settings, SmtpServer
from app.mail.message import OutgoingMessage, to_email


class MailNotSent(Exception):
    """A message did not leave. `reason` says why, in words that hold no secret; a
    `permanent` failure (the server refused this recipient or this message) will fail
    the same way if tried again."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class MailBackend(Protocol):
    async def send(self, message: OutgoingMessage) -> None:
        """Send one message, or raise MailNotSent."""
        ...


def backend_from_settings(settings: Settings) -> MailBackend:
    """SMTP when REQTRACK_SMTP_URL is set, else the folder data_dir/mail."""
    server = settings.smtp_server
    if server is not None:
        return SmtpBackend(
            server, sender=settings.mail_sender, timeout_seconds=settings.smtp_timeout_seconds
        )
    return FolderBackend(settings.data_dir / "mail", sender=settings.mail_sender)


class SmtpBackend:
    """One connection per message: smtp:// in plain (never upgraded on a guess),
    ?starttls=true upgraded before anything is said, smtps:// in TLS from the start;
    certificates are checked. The whole exchange has `timeout_seconds`."""

    def __init__(self, server: SmtpServer, *, sender: Address, timeout_seconds: float) -> None:
        self.server = server
        self.sender = sender
        self.timeout_seconds = timeout_seconds

    async def send(self, message: OutgoingMessage) -> None:
        server = self.server
        password = server.password.get_secret_value() if server.password else None
        try:
            email = to_email(message, sender=self.sender)
            async with asyncio.timeout(self.timeout_seconds):
                await aiosmtplib.send(
                    email,
                    sender=self.sender.addr_spec,
                    recipients=[message.to_address],
                    hostname=server.host,
                    port=server.port,
                    username=server.username,
                    password=password,
                    use_tls=server.security == "tls",
                    start_tls=server.security == "starttls",
                    timeout=self.timeout_seconds,
                )
        except Exception as exc:  # whatever went wrong, the caller gets MailNotSent
            # Not chained: a log of it would print the library's exception as well.
            raise _not_sent(exc, server, self.timeout_seconds, password) from None

    def __repr__(self) -> str:
        return f"SmtpBackend({self.server})"


def _not_sent(
    exc: Exception, server: SmtpServer, timeout_seconds: float, password: str | None
) -> MailNotSent:
    where = f"{server.host}:{server.port}"
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused) and exc.recipients:
        refused = exc.recipients[0]
        return MailNotSent(
            f"{where} refused the recipient: {_said(refused, password)}",
            permanent=refused.code >= 500,
        )
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return MailNotSent(f"{where} refused the login: {_said(exc, password)}")
    if isinstance(exc, aiosmtplib.SMTPSenderRefused):
        return MailNotSent(f"{where} refused the sender address: {_said(exc, password)}")
    if isinstance(exc, aiosmtplib.SMTPDataError):
        return MailNotSent(
            f"{where} refused the message: {_said(exc, password)}", permanent=exc.code >= 500
        )
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return MailNotSent(f"{where} answered {_said(exc, password)}")
    if isinstance(exc, TimeoutError):  # aiosmtplib's timeouts are TimeoutErrors too
        return MailNotSent(f"no answer from {where} within {timeout_seconds:g} s")
    if isinstance(exc, ssl.SSLError) or isinstance(exc.__cause__, ssl.SSLError):
        tls_error = exc if isinstance(exc, ssl.SSLError) else exc.__cause__
        assert isinstance(tls_error, ssl.SSLError)
        return MailNotSent(f"TLS with {where} failed: {_tls_reason(tls_error)}")
    if isinstance(exc, aiosmtplib.SMTPServerDisconnected):
        return MailNotSent(f"{where} closed the connection")
    if isinstance(exc, aiosmtplib.SMTPNotSupported):
        return MailNotSent(f"{where}: {_scrubbed(exc.message, password)}")
    if isinstance(exc, aiosmtplib.SMTPConnectError | OSError):
        cause = exc.__cause__ if isinstance(exc.__cause__, OSError) else exc
        errno = getattr(cause, "errno", None)
        said = f": {_error_words(errno)}" if errno else ""
        return MailNotSent(f"could not connect to {where}{said}")
    if isinstance(exc, ValueError):  # the message itself could not be written
        return MailNotSent(f"the message could not be written: {_scrubbed(str(exc), password)}")
    return MailNotSent(f"{type(exc).__name__}: {_scrubbed(str(exc), password)}")


def _said(exc: aiosmtplib.SMTPResponseException, password: str | None) -> str:
    """What the server answered, as its code and its words (never our password)."""
    return f"{exc.code} {_scrubbed(exc.message, password)}".strip()


def _scrubbed(text: str, password: str | None) -> str:
    line = " ".join(text.split())
    if password:
        for form in {password, quote(password, safe="")}:
            line = line.replace(form, "***")
    return line if len(line) <= 200 else line[:199] + "…"


def _error_words(errno: int) -> str:
    """ "connection refused": the system's words for an error number, as a clause."""
    words = os.strerror(errno)
    return words[:1].lower() + words[1:]


def _tls_reason(exc: ssl.SSLError) -> str:
    verify_message = getattr(exc, "verify_message", None)
    return str(verify_message or exc.reason or "handshake failed").lower()


class FolderBackend:
    """Each message as <timestamp>-<Message-ID>.eml in `folder` (made private to this
    user), written whole or not at all. A message sent again replaces its file."""

    def __init__(self, folder: Path, *, sender: Address) -> None:
        self.folder = folder
        self.sender = sender

    async def send(self, message: OutgoingMessage) -> None:
        try:
            content = to_email(message, sender=self.sender).as_bytes()
            await asyncio.to_thread(self._write, message.message_id, content)
        except OSError as exc:
            reason = _error_words(exc.errno) if exc.errno else type(exc).__name__
            raise MailNotSent(f"could not write to {self.folder}: {reason}") from None
        except ValueError as exc:
            raise MailNotSent(f"the message could not be written: {exc}") from None
        except Exception as exc:  # whatever went wrong, the caller gets MailNotSent
            raise MailNotSent(f"{type(exc).__name__}: {_scrubbed(str(exc), None)}") from None

    def _write(self, message_id: str, content: bytes) -> Path:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Percent-encoded: one Message-ID, one name, and nothing that means a path.
        name = quote(message_id.strip("<>"), safe="@+") + ".eml"
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")  # no "-": see _sent_before
        path = self._sent_before(name) or self.folder / f"{stamp}-{name}"
        descriptor, temporary = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(content)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return path

    def _sent_before(self, name: str) -> Path | None:
        for path in self.folder.glob(f"*-{glob.escape(name)}"):
            if path.name.partition("-")[2] == name:
                return path
        return None

    def __repr__(self) -> str:
        return f"FolderBackend({str(self.folder)!r})"
