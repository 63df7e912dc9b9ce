"""Settings from the environment; the embedded default needs none."""

from functools import lru_cache
from typing import Literal

from pydantic import AliasChoices, Field, field_validator
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
    # Larger bodies get 413 before they are read into memory.
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    sqlite_busy_timeout_ms: int = Field(default=5000, ge=0)
    db_pool_size: int = Field(default=10, ge=1)
    db_max_overflow: int = Field(default=10, ge=0)

    @field_validator("database_url")
    @classmethod
    def use_psycopg3(cls, url: str) -> str:
        # Plain postgres URLs would pick psycopg2, which we do not ship.
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url.removeprefix(prefix)
        return url

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
