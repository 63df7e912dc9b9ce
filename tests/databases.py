"""Throwaway databases for the suite: a SQLite file, or a fresh PostgreSQL database."""

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import OperationalError

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


class PostgresUnavailable(Exception):
    pass


def postgres_admin_url() -> str:
    """TEST_DATABASE_URL if set (then it must work), else the local default if it answers."""
    url = os.environ.get("TEST_DATABASE_URL") or DEFAULT_POSTGRES_URL
    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        raise PostgresUnavailable(f"{make_url(url).render_as_string()}: {exc.orig}") from exc
    finally:
        engine.dispose()
    return url


@contextmanager
def fresh_postgres_database(admin_url: str) -> Iterator[str]:
    """A new, empty database on the server of admin_url, dropped afterwards."""
    name = f"reqtrack_test_{secrets.token_hex(4)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def fresh_sqlite_database(directory: Path) -> Iterator[str]:
    yield f"sqlite:///{directory / f'reqtrack-{secrets.token_hex(4)}.db'}"
