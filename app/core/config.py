"""Settings from the environment; the embedded default needs none."""

import ipaddress
import re
from dataclasses import dataclass
from email.errors import HeaderParseError
from email.headerregistry import Address, AddressHeader, HeaderRegistry
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from fastapi import Depends, Request
from pydantic import (
    AliasChoices,
    Field,
    IPvAnyNetwork,
    SecretStr,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.core.types import EmailAddress

DEFAULT_DATABASE_URL = "sqlite:///./var/reqtrack.db"
DEFAULT_MAIL_FROM = "reqtrack <reqtrack@localhost>"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REQTRACK_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    # DATABASE_URL is the conventional name; REQTRACK_DATABASE_URL also works.
    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        validation_alias=AliasChoices("DATABASE_URL", "REQTRACK_DATABASE_URL"),
    )
    migrate_on_start: bool = True
    # Log lines: JSON objects in production, plain text elsewhere, unless chosen here.
    log_format: Literal["json", "text"] | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # One line per request (method, route template, status, duration, request id).
    access_log: bool = True
    # On SIGTERM, requests in flight get this long to finish (keep it under the
    # orchestrator's own grace period: docker-compose.yml gives 30 s).
    shutdown_grace_seconds: float = Field(default=20.0, ge=0)
    # `reqtrack serve` answers 431 to a request whose line and headers are larger.
    max_header_bytes: int = Field(default=64 * 1024, ge=8 * 1024)
    # Larger bodies get 413 before they are read into memory.
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    # A body is read whole before any database work; one that takes longer gets 408.
    body_read_timeout_seconds: float = Field(default=60.0, gt=0)
    # When set, GET /metrics wants `Authorization: Bearer <this token>`.
    metrics_token: SecretStr | None = None
    # POST /imports/requests only: 50k rows of verbatim text outgrow max_body_bytes.
    max_import_bytes: int = Field(default=200 * 1024 * 1024, ge=1024)
    sqlite_busy_timeout_ms: int = Field(default=5000, ge=0)
    db_pool_size: int = Field(default=10, ge=1)
    db_max_overflow: int = Field(default=10, ge=0)

    # Where the embedded mode keeps its files (the generated signing key).
    data_dir: Path = Path("./var")
    # HS256 signing key; generated into data_dir in development when unset.
    secret_key: SecretStr | None = None
    token_ttl_seconds: int = Field(default=3600, ge=60, le=7 * 24 * 3600)
    token_issuer: str = "reqtrack"  # noqa: S105  (JWT iss, not a secret)
    token_audience: str = "reqtrack-api"  # noqa: S105
    # First start with no users: this admin is created.
    admin_email: str | None = None
    admin_password: SecretStr | None = None
    # Failed logins for one e-mail from one client address before that pair gets 429.
    login_max_failures: int = Field(default=5, ge=1)
    # Failed logins from one client address, whatever e-mails they name (spraying).
    login_max_failures_per_address: int = Field(default=50, ge=1)
    # How long failures are counted, and a pair or address refused once over its limit.
    login_lockout_seconds: int = Field(default=15 * 60, ge=1)

    # A POST's Idempotency-Key and its response are kept this long (at least a day).
    idempotency_ttl_hours: int = Field(default=24, ge=24)

    # Webhooks: the dispatcher runs inside the server unless disabled (then run it with
    # `reqtrack webhooks run`). A failed attempt is retried after base, x4, x16... seconds
    # (jittered, capped), until max_attempts; then the delivery is marked failed.
    webhook_dispatcher_enabled: bool = True
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    webhook_max_attempts: int = Field(default=10, ge=1, le=100)
    webhook_backoff_base_seconds: float = Field(default=5.0, gt=0)
    webhook_backoff_max_seconds: float = Field(default=4 * 3600.0, gt=0)
    webhook_poll_seconds: float = Field(default=1.0, gt=0)
    webhook_concurrency: int = Field(default=8, ge=1, le=256)
    # A sender that dies mid-delivery loses its claim after this; keep it above the timeout.
    webhook_lease_seconds: float = Field(default=60.0, gt=0)
    # Networks deliveries may reach although refused by default (link-local, metadata;
    # in production also loopback and this host's addresses).
    webhook_allowed_networks: list[IPvAnyNetwork] = []

    # Outgoing mail: smtp://user:pass@host:port, smtps://... (TLS from the start) or
    # smtp://...?starttls=true; unset, each message is an .eml file in data_dir/mail.
    # A secret: its repr, and any error about it, leave it out.
    smtp_url: SecretStr | None = None
    mail_from: str = DEFAULT_MAIL_FROM
    smtp_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    # A mail template here replaces the packaged one of the same name (app/mail/templates).
    templates_dir: Path | None = None

    # Notices: what changed for one stakeholder gathers this long into one message;
    # "required" holds each for a manager's release. A failed send is retried like a
    # webhook delivery, until max_attempts.
    notice_delay_seconds: float = Field(default=300.0, ge=0)
    notice_approval: Literal["none", "required"] = "none"
    notice_max_attempts: int = Field(default=8, ge=1, le=100)
    notice_backoff_base_seconds: float = Field(default=30.0, gt=0)
    notice_backoff_max_seconds: float = Field(default=6 * 3600.0, gt=0)
    # Where readers reach this server: the base of the links in notices.
    public_url: str = Field(default="http://127.0.0.1:8000", pattern=r"^https?://[^\s/]+")
    # How long a stakeholder's portal link works.
    portal_link_days: int = Field(default=90, ge=1, le=3650)
    # How often the portal's form may be sent in an hour: through one stakeholder's
    # links, and from one client address.
    portal_requests_per_hour: int = Field(default=10, ge=1, le=10_000)
    portal_requests_per_address_per_hour: int = Field(default=30, ge=1, le=10_000)
    # The sender runs inside the server unless disabled (then `reqtrack notices run`).
    notice_sender_enabled: bool = True
    # A sender that dies mid-send loses its notice after this; keep it above smtp_timeout.
    notice_lease_seconds: float = Field(default=60.0, gt=0)
    notice_poll_seconds: float = Field(default=1.0, gt=0)

    # Single sign-on: access tokens of this OpenID Connect issuer for oidc_audience are
    # accepted next to reqtrack's own. A first-time caller
    # gets the highest role its groups (the oidc_groups_claim claim) map to in
    # oidc_role_map, a JSON object {"IdP group": "role"}; with none, it is refused.
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_groups_claim: str = Field(default="groups", min_length=1)
    oidc_role_map: dict[str, Literal["viewer", "contributor", "manager", "admin"]] = {}
    # The browser login (GET /auth/oidc/login): this server's client at the issuer.
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_scopes: str = "openid email profile"

    @field_validator("database_url")
    @classmethod
    def use_psycopg3(cls, url: str) -> str:
        # Plain postgres URLs would pick psycopg2, which we do not ship.
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url.removeprefix(prefix)
        return url

    @field_validator("smtp_url")
    @classmethod
    def smtp_url_names_a_server(
        cls, url: SecretStr | None, info: ValidationInfo
    ) -> SecretStr | None:
        text = url.get_secret_value().strip() if url is not None else ""
        if not text:
            return None  # REQTRACK_SMTP_URL= (empty) means unset: the mail folder
        try:
            server = parse_smtp_url(text)
        except ValueError as exc:
            raise _error_hiding_input(f"REQTRACK_SMTP_URL {exc}") from None
        if info.data.get("environment") == "production" and server.password_in_clear:
            raise _error_hiding_input(
                "REQTRACK_SMTP_URL would send its password unencrypted: "
                "use smtps:// or ?starttls=true"
            )
        return SecretStr(text)

    @field_validator("mail_from")
    @classmethod
    def mail_from_is_one_address(cls, value: str) -> str:
        try:
            return str(parse_mailbox(value))
        except ValueError as exc:
            raise ValueError(f"REQTRACK_MAIL_FROM {exc}") from None

    @field_validator("templates_dir", mode="before")
    @classmethod
    def empty_templates_dir_is_unset(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("templates_dir")
    @classmethod
    def templates_dir_exists(cls, path: Path | None) -> Path | None:
        if path is not None and not path.is_dir():
            raise ValueError("REQTRACK_TEMPLATES_DIR must be an existing folder")
        return path

    @field_validator("oidc_issuer", "oidc_audience", "oidc_client_id", mode="before")
    @classmethod
    def empty_is_unset(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("oidc_issuer")
    @classmethod
    def issuer_is_https(cls, issuer: str | None) -> str | None:
        if issuer is not None and not is_safe_provider_url(issuer):
            raise ValueError(
                "REQTRACK_OIDC_ISSUER must be an https:// URL (http:// only on a loopback host)"
            )
        return issuer  # as its tokens name it, to the character (a trailing / included)

    @model_validator(mode="after")
    def oidc_has_its_own_audience(self) -> "Settings":
        if self.oidc_issuer and not self.oidc_audience:
            raise ValueError("REQTRACK_OIDC_ISSUER needs REQTRACK_OIDC_AUDIENCE")
        # ID tokens are made out to the client: with the same audience, one would pass as
        # an access token wherever it leaked.
        if self.oidc_audience and self.oidc_audience == self.oidc_client_id:
            raise ValueError(
                "REQTRACK_OIDC_AUDIENCE must differ from REQTRACK_OIDC_CLIENT_ID: give the API "
                "its own audience at the identity provider"
            )
        return self

    @model_validator(mode="after")
    def lease_outlasts_timeout(self) -> "Settings":
        if self.webhook_lease_seconds <= self.webhook_timeout_seconds:
            raise ValueError("webhook_lease_seconds must be longer than webhook_timeout_seconds")
        # A send outlasting its lease would be sent again by another sender.
        # A batch is claimed while the one before it is mailed: it may wait out that
        # one's time, then take its own.
        if self.notice_lease_seconds <= 2 * self.smtp_timeout_seconds:
            raise ValueError("notice_lease_seconds must be longer than twice smtp_timeout_seconds")
        return self

    @property
    def json_logs(self) -> bool:
        return (
            self.log_format or ("json" if self.environment == "production" else "text")
        ) == "json"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def smtp_server(self) -> "SmtpServer | None":
        """The mail server REQTRACK_SMTP_URL names; None: mail goes to the folder."""
        if self.smtp_url is None:
            return None
        return parse_smtp_url(self.smtp_url.get_secret_value())

    @property
    def mail_sender(self) -> Address:
        """REQTRACK_MAIL_FROM as an address: its domain also names our Message-IDs."""
        return parse_mailbox(self.mail_from)


@dataclass(frozen=True)
class SmtpServer:
    """Where mail goes, read from REQTRACK_SMTP_URL. Printed, it leaves the password out."""

    host: str
    port: int
    security: Literal["plain", "starttls", "tls"]
    username: str | None = None
    password: SecretStr | None = None

    def __str__(self) -> str:
        scheme = "smtps" if self.security == "tls" else "smtp"
        user = f"{quote(self.username, safe='')}@" if self.username else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        query = "?starttls=true" if self.security == "starttls" else ""
        return f"{scheme}://{user}{host}:{self.port}{query}"

    @property
    def password_in_clear(self) -> bool:
        """A login over an unencrypted connection to another machine."""
        encrypted = self.security != "plain"
        return self.password is not None and not encrypted and not _is_loopback(self.host)


# As aiosmtplib chooses when no port is given.
_DEFAULT_SMTP_PORTS = {"plain": 25, "starttls": 587, "tls": 465}
_YES_NO = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
_ENCODE_HINT = "(percent-encode any / ? # @ in the user name or password)"


def parse_smtp_url(url: str) -> SmtpServer:
    """smtp://user:pass@host:port, smtps://..., smtp://...?starttls=true as a server.

    A ValueError's words never quote the URL: a password that was not percent-encoded
    would be split across its parts, and any part could show some of it."""
    scheme, separator, _ = url.partition("://")
    if not separator or scheme.lower() not in ("smtp", "smtps"):
        named = separator and re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]{0,15}", scheme)
        raise ValueError(
            "must start with smtp:// or smtps://" + (f", not {scheme}://" if named else "")
        )
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValueError(
            f"must have a port from 1 to 65535 after the host {_ENCODE_HINT}"
        ) from None
    if not parts.hostname:
        raise ValueError(f"must name a host {_ENCODE_HINT}")
    if parts.path not in ("", "/") or parts.fragment:
        raise ValueError(f"has text after the host {_ENCODE_HINT}")
    if port == 0:
        raise ValueError("must have a port from 1 to 65535 after the host")
    starttls = _starttls_parameter(parts.query)
    if scheme.lower() == "smtps" and starttls:
        raise ValueError("is smtps://, TLS from the start: ?starttls=true is for smtp://")
    security: Literal["plain", "starttls", "tls"] = (
        "tls" if scheme.lower() == "smtps" else "starttls" if starttls else "plain"
    )
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    if username and not password:
        raise ValueError("has a user name but no password")
    if password and not username:
        raise ValueError("has a password but no user name")
    return SmtpServer(
        host=parts.hostname,
        port=port or _DEFAULT_SMTP_PORTS[security],
        security=security,
        username=username,
        password=SecretStr(password) if password else None,
    )


def _starttls_parameter(query: str) -> bool:
    if not query:
        return False
    pairs = parse_qsl(query, keep_blank_values=True)
    if len(pairs) != 1 or pairs[0][0] != "starttls" or pairs[0][1].lower() not in _YES_NO:
        raise ValueError(f"takes one parameter, ?starttls=true or false {_ENCODE_HINT}")
    return _YES_NO[pairs[0][1].lower()]


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _error_hiding_input(message: str) -> ValidationError:
    """A validation error whose input shows masked: pydantic's own would quote the URL,
    password and all. Raised in a validator, it is reported at that field."""
    error = PydanticCustomError("secret_setting", "{reason}", {"reason": message})
    hidden = InitErrorDetails(type=error, loc=(), input="**********")
    return ValidationError.from_exception_data("Settings", [hidden])


_ADDRESS = TypeAdapter(EmailAddress)


@lru_cache(maxsize=64)  # read for every message sent; the same few values
def parse_mailbox(value: str) -> Address:
    """One address with or without a display name: "reqtrack <reqtrack@example.com>"."""
    if any(ord(character) < 32 or ord(character) == 127 for character in value):
        raise ValueError("must be on one line")
    try:
        header = HeaderRegistry()("From", value)
    except (ValueError, HeaderParseError):
        header = None
    one_address = "must be one address, as in 'reqtrack <reqtrack@example.com>'"
    if not isinstance(header, AddressHeader) or len(header.addresses) != 1:
        raise ValueError(one_address)
    address = header.addresses[0]
    if not address.addr_spec.isascii():
        raise ValueError("must be an ASCII address (a domain in its xn-- form)")
    if header.defects:
        raise ValueError(one_address)
    try:
        addr_spec = _ADDRESS.validate_python(address.addr_spec)
    except ValidationError as exc:
        raise ValueError(exc.errors()[0]["msg"].removeprefix("Value error, ")) from None
    return Address(display_name=address.display_name, addr_spec=addr_spec)


def is_safe_provider_url(url: str) -> bool:
    """HTTPS, or HTTP to this machine (a test's identity provider): what an identity
    provider's keys may be fetched from."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return True
    if parts.scheme != "http" or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


@lru_cache
def get_settings() -> Settings:
    return Settings()


async def app_settings(request: Request) -> Settings:
    """The settings the running app was made with (tests make apps with their own)."""
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(app_settings)]
