"""Ways to send a message, behind one interface (as Django's e-mail backends): an SMTP
server, or a folder of .eml files when none is configured."""

import asyncio
import glob
import os
import ssl
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import suppress
from datetime import UTC, datetime
from email.headerregistry import Address
from pathlib import Path
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


class MailBackend(ABC):
    @abstractmethod
    async def send_all(self, messages: Sequence[OutgoingMessage]) -> list[MailNotSent | None]:
        """Send each message; per message, why it was not sent (None: it was)."""

    async def send(self, message: OutgoingMessage) -> None:
        """Send one message, or raise MailNotSent."""
        [failure] = await self.send_all([message])
        if failure is not None:
            raise failure


def backend_from_settings(settings: Settings) -> MailBackend:
    """SMTP when REQTRACK_SMTP_URL is set, else the folder data_dir/mail."""
    server = settings.smtp_server
    if server is not None:
        return SmtpBackend(
            server, sender=settings.mail_sender, timeout_seconds=settings.smtp_timeout_seconds
        )
    return FolderBackend(settings.data_dir / "mail", sender=settings.mail_sender)


class SmtpBackend(MailBackend):
    """smtp:// in plain (never upgraded on a guess), ?starttls=true upgraded before
    anything is said, smtps:// in TLS from the start; certificates are checked. A batch
    goes over up to CONNECTIONS connections, each sending its share in turn: a few
    handshakes, not one per message. It has `timeout_seconds` in all, as one message
    has (a sender's lease outlasts it, so nothing is sent twice for being slow)."""

    CONNECTIONS = 4  # at a time: mail servers limit how many one client may open

    def __init__(self, server: SmtpServer, *, sender: Address, timeout_seconds: float) -> None:
        self.server = server
        self.sender = sender
        self.timeout_seconds = timeout_seconds
        self.password = server.password.get_secret_value() if server.password else None

    async def send_all(self, messages: Sequence[OutgoingMessage]) -> list[MailNotSent | None]:
        failures: list[MailNotSent | None] = [None] * len(messages)
        deadline = asyncio.get_running_loop().time() + self.timeout_seconds
        lanes = min(self.CONNECTIONS, len(messages))
        async with asyncio.TaskGroup() as group:  # a lane records its failures, never raises
            for lane in range(lanes):
                indexes = range(lane, len(messages), lanes)
                group.create_task(self._send_in_turn(messages, indexes, failures, deadline))
        return failures

    async def _send_in_turn(
        self,
        messages: Sequence[OutgoingMessage],
        indexes: range,
        failures: list[MailNotSent | None],
        deadline: float,
    ) -> None:
        client: aiosmtplib.SMTP | None = None
        for index in indexes:
            message = messages[index]
            try:
                async with asyncio.timeout_at(deadline):
                    client = client or await self._connected()
                    await client.send_message(
                        to_email(message, sender=self.sender),
                        sender=self.sender.addr_spec,
                        recipients=[message.to_address],
                    )
            except Exception as exc:  # whatever went wrong, the caller gets MailNotSent
                failures[index] = _not_sent(exc, self.server, self.timeout_seconds, self.password)
                # In doubt after a failure: the next message gets a new connection.
                await _done_with(client, deadline)
                client = None
        await _done_with(client, deadline)

    async def _connected(self) -> aiosmtplib.SMTP:
        server = self.server
        client = aiosmtplib.SMTP(
            hostname=server.host,
            port=server.port,
            username=server.username,
            password=self.password,
            use_tls=server.security == "tls",
            start_tls=server.security == "starttls",
            timeout=self.timeout_seconds,
            # Greet as the sender's domain. Left out, aiosmtplib asks the system for this
            # host's name (a reverse DNS lookup) on every connection, which can take
            # seconds where DNS is slow or unreachable.
            local_hostname=self.sender.domain,
        )
        await client.connect()  # TLS and login as configured
        return client

    def __repr__(self) -> str:
        return f"SmtpBackend({self.server})"


async def _done_with(client: aiosmtplib.SMTP | None, deadline: float) -> None:
    """Say goodbye if the server still listens (it may log a dropped connection as an
    error), then let go in any case."""
    if client is None:
        return
    with suppress(Exception):
        async with asyncio.timeout_at(deadline):
            await client.quit()
    client.close()


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


class FolderBackend(MailBackend):
    """Each message as <timestamp>-<Message-ID>.eml in `folder` (made private to this
    user), written whole or not at all. A message sent again replaces its file."""

    def __init__(self, folder: Path, *, sender: Address) -> None:
        self.folder = folder
        self.sender = sender

    async def send_all(self, messages: Sequence[OutgoingMessage]) -> list[MailNotSent | None]:
        return [await self._failure_writing(message) for message in messages]

    async def _failure_writing(self, message: OutgoingMessage) -> MailNotSent | None:
        try:
            content = to_email(message, sender=self.sender).as_bytes()
            await asyncio.to_thread(self._write, message.message_id, content)
        except OSError as exc:
            reason = _error_words(exc.errno) if exc.errno else type(exc).__name__
            return MailNotSent(f"could not write to {self.folder}: {reason}")
        except ValueError as exc:
            return MailNotSent(f"the message could not be written: {exc}")
        except Exception as exc:  # whatever went wrong, the caller gets MailNotSent
            return MailNotSent(f"{type(exc).__name__}: {_scrubbed(str(exc), None)}")
        return None

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
