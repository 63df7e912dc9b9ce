"""An outgoing message, and the e-mail it becomes: plain text and HTML, with headers that
stored text cannot break out of."""

import re
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.errors import HeaderParseError
from email.headerregistry import Address, BaseHeader, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.policy import Policy
from email.utils import format_datetime
from types import MappingProxyType

# A subject or a display name longer than this ends in an ellipsis.
MAX_HEADER_TEXT = 200
ELLIPSIS = "…"

# Built from the message's own fields, or naming other recipients: never an extra header.
_BUILT_HEADERS = frozenset(
    {
        "from",
        "to",
        "cc",
        "bcc",
        "sender",
        "subject",
        "date",
        "message-id",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
        "auto-submitted",
    }
)
_HEADER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,75}")
_MESSAGE_ID = re.compile(r"<[A-Za-z0-9._+-]{1,200}@[A-Za-z0-9.-]{1,200}>")
_MESSAGE_KIND = re.compile(r"[a-z][a-z0-9-]{0,39}")
_DOMAIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?")
# Headers of RFC 2369 and 8058 (<URL>s, and One-Click), written exactly as given.
_URL_LIST_HEADERS = (
    "list-unsubscribe",
    "list-unsubscribe-post",
    "list-help",
    "list-subscribe",
    "list-post",
    "list-owner",
    "list-archive",
)


def one_line(text: str, limit: int = MAX_HEADER_TEXT) -> str:
    """Stored text made safe for a header: control characters and line breaks become
    spaces, whitespace runs one space, and text over `limit` characters ends in "…".

    "=?" gets U+2060 (a word joiner) between its two characters: the email package
    decodes an encoded word it finds in a value, and one hiding CR LF would start a
    header of its own."""
    spaced = "".join(
        " " if unicodedata.category(character) in ("Cc", "Zl", "Zp") else character
        for character in text
    )
    cleaned = " ".join(spaced.split()).replace("=?", "=\u2060?")
    if len(cleaned) <= limit:
        return cleaned
    return cleaned[: limit - len(ELLIPSIS)].rstrip() + ELLIPSIS


def message_id_for(kind: str, id: int, domain: str) -> str:
    """A stable Message-ID for one thing we write about: `<notice-42@reqtrack.example>`.

    `domain` is REQTRACK_MAIL_FROM's (`settings.mail_sender.domain`); the same kind and
    id always give the same Message-ID, so a message sent again is known for the same."""
    if not _MESSAGE_KIND.fullmatch(kind):
        raise ValueError(f"a message kind is lowercase letters, digits and '-', not {kind!r}")
    if isinstance(id, bool) or id < 0:
        raise ValueError(f"a message id is a number from 0 up, not {id!r}")
    if not _DOMAIN.fullmatch(domain):
        raise ValueError(f"a Message-ID domain is an ASCII host name, not {domain!r}")
    return f"<{kind}-{id}@{domain}>"


def list_unsubscribe(url: str) -> dict[str, str]:
    """The headers (RFC 8058) that let a mail client unsubscribe with one click: the
    client POSTs `List-Unsubscribe=One-Click` to this https URL."""
    if not url.startswith("https://") or not _printable_ascii(url) or ">" in url:
        raise ValueError("an unsubscribe link is one https:// URL in printable ASCII")
    return {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


@dataclass(frozen=True, kw_only=True)
class OutgoingMessage:
    """One message to one person. Subject and name are kept as they will be sent: on one
    line, at most MAX_HEADER_TEXT characters. A bad address, Message-ID or header name is
    a ValueError here, not a failure to send later."""

    to_address: str
    to_name: str = ""
    subject: str
    text_body: str
    html_body: str
    message_id: str
    # List-Unsubscribe and the like; a value is put on one line.
    extra_headers: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_address(self.to_address)
        if not _MESSAGE_ID.fullmatch(self.message_id):
            raise ValueError(f"not a Message-ID like <notice-42@example.com>: {self.message_id!r}")
        headers = {}
        for name, value in self.extra_headers.items():
            if not _HEADER_NAME.fullmatch(name) or name.lower() in _BUILT_HEADERS:
                raise ValueError(f"cannot add a header named {name!r}")
            if name.lower() in _URL_LIST_HEADERS:
                headers[name] = _url_list(name, value)
            else:
                headers[name] = one_line(value, limit=2000)
        object.__setattr__(self, "to_name", one_line(self.to_name))
        object.__setattr__(self, "subject", one_line(self.subject))
        object.__setattr__(self, "extra_headers", MappingProxyType(headers))


class _UrlListHeader(UnstructuredHeader, BaseHeader):
    """A list of <URL>s, written as it is: the default folding would turn a long URL into
    encoded words, which no mail client reads as a link. Folded only between items."""

    def fold(self, *, policy: Policy) -> str:
        items = re.split(r"(?<=>),\s*(?=<)", str(self))
        return f"{self.name}: " + f",{policy.linesep} ".join(items) + policy.linesep


class _HeaderClasses(HeaderRegistry):
    """The standard registry, keeping the class it builds for each header name: it
    builds a new one for every header parsed, a fifth of the time a message takes."""

    def __init__(self) -> None:
        super().__init__()
        self._built: dict[str, type[BaseHeader]] = {}

    def map_to_type(self, name: str, cls: type[BaseHeader]) -> None:
        super().map_to_type(name, cls)
        self._built.clear()

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        if key not in self._built:
            self._built[key] = super().__getitem__(name)
        return self._built[key]


_headers = _HeaderClasses()
for _name in _URL_LIST_HEADERS:
    _headers.map_to_type(_name, _UrlListHeader)
MAIL_POLICY = policy.default.clone(header_factory=_headers)


def to_email(
    message: OutgoingMessage, *, sender: Address, now: datetime | None = None
) -> EmailMessage:
    """The message as the standard library's EmailMessage: multipart/alternative, text
    then HTML, both UTF-8 in quoted-printable (7-bit: any server passes it on)."""
    email = EmailMessage(policy=MAIL_POLICY)
    email["From"] = sender
    email["To"] = Address(display_name=message.to_name, addr_spec=message.to_address)
    email["Subject"] = message.subject
    email["Date"] = format_datetime(now or datetime.now(UTC))
    email["Message-ID"] = message.message_id
    # RFC 3834: written by a program, so auto-responders do not answer it.
    email["Auto-Submitted"] = "auto-generated"
    for name, value in message.extra_headers.items():
        email[name] = value
    email.set_content(message.text_body, subtype="plain", cte="quoted-printable")
    email.add_alternative(message.html_body, subtype="html", cte="quoted-printable")
    # "=_" never occurs in quoted-printable text (it writes "=" as "=3D"), so this cannot
    # collide with a body; else the generator would compile a regex per message to check.
    email.set_boundary(f"=_{secrets.token_hex(12)}")
    _refuse_broken_headers(email)
    return email


def _refuse_broken_headers(email: EmailMessage) -> None:
    """The last guard: whatever a value decoded to, no header holds a line break."""
    for name, value in email.items():
        if any(unicodedata.category(character) == "Cc" for character in str(value)):
            raise ValueError(f"the {name} header would hold a control character")


def _check_address(address: str) -> None:
    if not _printable(address):
        raise ValueError("an e-mail address is one line of printable characters")
    try:
        parsed = Address(addr_spec=address)
    except (ValueError, HeaderParseError, IndexError):
        parsed = None
    if parsed is None or not parsed.username or not parsed.domain:
        raise ValueError(f"not an e-mail address: {address!r}")


def _url_list(name: str, value: str) -> str:
    # Written as given (see _UrlListHeader), so it must be plain enough to be.
    if not all(" " <= character < "\x7f" for character in value) or "=?" in value:
        raise ValueError(f"the {name} header takes printable ASCII only")
    return " ".join(value.split())


def _printable(text: str) -> bool:
    return all(unicodedata.category(character)[0] != "C" for character in text)


def _printable_ascii(text: str) -> bool:
    return all(" " < character < "\x7f" for character in text)
