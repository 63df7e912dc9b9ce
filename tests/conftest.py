"""Every test runs against SQLite and PostgreSQL, through the real ASGI app, on a
migrated database that is emptied after each test."""

import os
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import SQLModel

import app.db_models
from app.core.config import Settings
from app.core.db import make_engine
from app.core.migrations import upgrade_to_head
from app.main import create_app
from tests.databases import (
    PostgresUnavailable,
    fresh_postgres_database,
    fresh_sqlite_database,
    postgres_admin_url,
)

BACKENDS = ["sqlite", "postgresql"]
_postgres_skipped: list[str] = []


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        with fresh_sqlite_database(tmp_path_factory.mktemp("sqlite")) as url:
            yield url
        return
    try:
        admin_url = postgres_admin_url()
    except PostgresUnavailable as exc:
        if os.environ.get("TEST_DATABASE_URL"):
            pytest.fail(f"TEST_DATABASE_URL is set but PostgreSQL is unreachable: {exc}")
        _postgres_skipped.append(str(exc))
        pytest.skip(f"PostgreSQL not reachable, skipped: {exc}")
    with fresh_postgres_database(admin_url) as url:
        yield url


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, environment="test", migrate_on_start=False)


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings)
    upgrade_to_head(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def app(settings: Settings, engine: Engine) -> FastAPI:
    application = create_app(settings)
    application.state.engine.dispose()
    application.state.engine = engine
    return application


@pytest.fixture
def client(app: FastAPI, engine: Engine) -> Iterator[TestClient]:
    # No `with`: the app's lifespan would migrate and dispose the shared engine.
    yield TestClient(app)
    _empty_all_tables(engine)


@pytest.fixture
def backend(engine: Engine) -> str:
    return engine.dialect.name


def _empty_all_tables(engine: Engine) -> None:
    with engine.begin() as connection:
        for table in reversed(SQLModel.metadata.sorted_tables):
            connection.execute(table.delete())


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _postgres_skipped:
        terminalreporter.section("PostgreSQL", sep="!", yellow=True, bold=True)
        terminalreporter.write_line(
            "PostgreSQL was SKIPPED: only SQLite was tested. "
            f"Reason: {_postgres_skipped[0]}. Set TEST_DATABASE_URL to run it."
        )
