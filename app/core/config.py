"""Settings from the environment; the embedded default needs none."""

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from fastapi import Depends, Request
from pydantic import AliasChoices, Field, IPvAnyNetwork, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./var/reqtrack.db"


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

    @field_validator("database_url")
    @classmethod
    def use_psycopg3(cls, url: str) -> str:
        # Plain postgres URLs would pick psycopg2, which we do not ship.
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url.removeprefix(prefix)
        return url

    @model_validator(mode="after")
    def lease_outlasts_timeout(self) -> "Settings":
        if self.webhook_lease_seconds <= self.webhook_timeout_seconds:
            raise ValueError("webhook_lease_seconds must be longer than webhook_timeout_seconds")
        return self

    @property
    def json_logs(self) -> bool:
        return (
            self.log_format or ("json" if self.environment == "production" else "text")
        ) == "json"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()


async def app_settings(request: Request) -> Settings:
    """The settings the running app was made with (tests make apps with their own)."""
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(app_settings)]
