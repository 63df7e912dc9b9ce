"""Every test runs against SQLite and PostgreSQL, through the real ASGI app, on a
migrated database that is emptied after each test."""

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from anyio.from_thread import start_blocking_portal
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, make_url
from sqlmodel import SQLModel

import app.db_models
from app.auth import service as auth_service
from app.auth.models import Role, User, UserCreate
from app.core.config import Settings, get_settings
from app.core.db import make_engine, open_session
from app.core.migrations import upgrade_to_head
from app.main import create_app
from tests.databases import (
    PostgresUnavailable,
    fresh_postgres_database,
    fresh_sqlite_database,
    postgres_admin_url,
)

BACKENDS = ["sqlite", "postgresql"]
RoleClient = Callable[[Role | None], TestClient]
POSTGRES_SKIPPED = "PostgreSQL not reachable, skipped"
BROWSER_SKIPPED = "No browser for the browser tests, skipped"
# Set by CI (.ci/run), which installs the browser: there, a missing one fails.
REQUIRE_BROWSER = "TEST_REQUIRE_BROWSER"
TESTED_ON = "database"  # the user property of a test's report that names its database
# Figures a test measured and reports at the end of the run (record_property(FIGURES, ...)).
FIGURES = "figures"


@contextmanager
def throwaway_database(backend: str, directory: Path) -> Iterator[str]:
    """A new, empty database of that backend (PostgreSQL skipped when not reachable)."""
    if backend == "sqlite":
        with fresh_sqlite_database(directory) as url:
            yield url
        return
    try:
        admin_url, unreachable = postgres_admin_url(), ""
    except PostgresUnavailable as exc:
        admin_url, unreachable = "", str(exc)
    # Failed out of the except, with no traceback: the driver's frames would show its
    # arguments, the URL's password among them.
    if unreachable and os.environ.get("TEST_DATABASE_URL"):
        pytest.fail(
            f"TEST_DATABASE_URL is set but PostgreSQL is unreachable: {unreachable}", pytrace=False
        )
    if unreachable:
        pytest.skip(f"{POSTGRES_SKIPPED}: {unreachable}")
    with fresh_postgres_database(admin_url) as url:
        yield url


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with throwaway_database(request.param, tmp_path_factory.mktemp("sqlite")) as url:
        yield url


TEST_SECRET_KEY = "test-signing-key-" + "k" * 32
TEST_PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        database_url=database_url,
        environment="test",
        migrate_on_start=False,
        secret_key=TEST_SECRET_KEY,
        # Webhook and notice tests run their own dispatcher and sender, with short timings.
        webhook_dispatcher_enabled=False,
        notice_sender_enabled=False,
        # Half a server's pools: each xdist worker keeps its app's all run long, beside
        # the server processes some tests start, and PostgreSQL has 100 connections.
        db_pool_size=5,
        db_max_overflow=5,
        data_dir=tmp_path_factory.mktemp("data"),
    )


@pytest.fixture(params=BACKENDS)
def own_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database for the real server processes of one test (each `reqtrack serve`
    migrates it; the first makes its admin)."""
    with throwaway_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings)
    upgrade_to_head(engine)
    yield engine
    engine.dispose()


def app_on(engine: Engine, settings: Settings | None = None) -> FastAPI:
    """An app (its own caches and state, as another server process has) on this engine."""
    application = create_app(settings)
    application.state.engine.dispose()
    application.state.engine = engine
    return application


@pytest.fixture(scope="session")
def app(settings: Settings, engine: Engine) -> FastAPI:
    return app_on(engine, settings)


@pytest.fixture(scope="session")
def users(engine: Engine) -> dict[Role, User]:
    """One user per role, made once per database and kept between tests."""
    made = {}
    with open_session(engine, write=True) as session:
        for role in Role:
            data = UserCreate(
                email=f"{role.value}@example.com",
                display_name=f"The {role.value}",
                role=role,
                password=TEST_PASSWORD,
            )
            made[role] = auth_service.create_user(session=session, data=data)
        session.commit()
    return made


@pytest.fixture(scope="session", autouse=True)
def one_event_loop() -> Iterator[None]:
    """One event loop for every test client outside `with`, as a server process has one:
    the app's per-loop connections (app/core/direct/) are made once, not per request."""
    with start_blocking_portal() as portal:
        TestClient.portal = portal
        yield
        TestClient.portal = None


@pytest.fixture
def client_as(app: FastAPI, engine: Engine, users: dict[Role, User]) -> Iterator[RoleClient]:
    """client_as(Role.viewer): a client with that user's real, signed bearer token."""

    def make(role: Role | None) -> TestClient:
        # No `with`: the app's lifespan would migrate and dispose the shared engine.
        test_client = TestClient(app)
        if role is not None:
            token = app.state.token_issuer.issue(f"user:{users[role].id}")
            test_client.headers["Authorization"] = f"Bearer {token}"
        return test_client

    yield make
    _empty_all_tables(engine, keep_users=[user.id for user in users.values()])


@pytest.fixture
def client(client_as: RoleClient) -> TestClient:
    """An admin's client: the tests of domain rules are not about permissions."""
    return client_as(Role.admin)


@pytest.fixture
def anonymous(client_as: RoleClient) -> TestClient:
    return client_as(None)


@pytest.fixture
def cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The CLI reads its settings from the environment, as a user's shell would set them:
    here a SQLite file of its own."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("REQTRACK_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    engine = make_engine(Settings(database_url=url))
    yield engine
    engine.dispose()
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def browser_session() -> Iterator[Any]:
    """Debian's chromium, headless, driven by its chromedriver (no browser download)."""
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium is None or driver is None:
        missing = "chromium" if chromium is None else "chromedriver"
        if os.environ.get(REQUIRE_BROWSER):
            pytest.fail(f"{REQUIRE_BROWSER} is set but {missing} is not on PATH", pytrace=False)
        pytest.skip(f"{BROWSER_SKIPPED}: {missing} is not on PATH")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.add_argument("--window-size=1280,900")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(options=options, service=Service(executable_path=driver))
    browser.implicitly_wait(10)  # an element a busy machine has not drawn yet is waited for
    yield browser
    browser.quit()


@pytest.fixture
def browser(browser_session: Any) -> Iterator[Any]:
    yield browser_session
    browser_session.get("about:blank")
    browser_session.set_window_size(1280, 900)


@pytest.fixture
def backend(engine: Engine) -> str:
    return engine.dialect.name


def _empty_all_tables(engine: Engine, keep_users: list[int | None]) -> None:
    with engine.begin() as connection:
        for table in reversed(SQLModel.metadata.sorted_tables):
            # Rows pointing at rows of their own table (a decision superseding another).
            self_references = {
                fk.parent.name for fk in table.foreign_keys if fk.column.table is table
            }
            if self_references:
                connection.execute(table.update().values(dict.fromkeys(self_references)))
            if table.name == User.__tablename__:
                connection.execute(table.delete().where(table.c.id.not_in(keep_users)))
            else:
                connection.execute(table.delete())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item) -> Iterator[pytest.TestReport]:
    """A test's report names the database it ran on: reports reach the xdist controller,
    which runs no test and has no database of its own."""
    report: pytest.TestReport = yield
    funcargs = getattr(item, "funcargs", {})
    url = funcargs.get("database_url") or funcargs.get("own_database_url")  # ops: a server's
    if report.when == "call" and url is not None:
        report.user_properties = [*report.user_properties, (TESTED_ON, database_label(url))]
    return report


def database_label(url: str) -> str:
    """SQLite, or PostgreSQL and where it listens: never the URL, which may hold a password."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return "SQLite"
    where = f"{parsed.host}:{parsed.port or 5432}" if parsed.host else "local socket"
    return f"PostgreSQL ({where})"


def tested_databases(stats: dict[str, list[Any]]) -> list[str]:
    """The databases that tests ran on (passed or failed), SQLite first."""
    tested = {
        value
        for outcome in ("passed", "failed")
        for report in stats.get(outcome, [])
        if isinstance(report, pytest.TestReport) and report.when == "call"
        for name, value in report.user_properties
        if name == TESTED_ON
    }
    return sorted(tested, key=lambda label: (label != "SQLite", label))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    # Read from the reports, which reach this process from every xdist worker.
    tested = tested_databases(terminalreporter.stats)
    terminalreporter.section("Databases", sep="=", bold=True)
    terminalreporter.write_line(
        f"Databases tested: {', '.join(tested) or 'none (no test of this run used one)'}"
    )
    if reasons := _skipped_for(terminalreporter, POSTGRES_SKIPPED):
        stop = "" if reasons[0].endswith((".", "?")) else "."
        terminalreporter.section("PostgreSQL", sep="!", yellow=True, bold=True)
        terminalreporter.write_line(
            "PostgreSQL was SKIPPED: only SQLite was tested. "
            f"Reason: {reasons[0]}{stop} Set TEST_DATABASE_URL to run it."
        )
    if figures := _reported(terminalreporter, FIGURES):
        terminalreporter.section("Figures", sep="=", bold=True)
        for line in figures:
            terminalreporter.write_line(line)
    if reasons := _skipped_for(terminalreporter, BROWSER_SKIPPED):
        terminalreporter.section("Browser", sep="!", yellow=True, bold=True)
        terminalreporter.write_line(
            f"The browser tests were SKIPPED ({len(reasons)}). Reason: {reasons[0]}. "
            "Install Debian's chromium and chromium-driver to run them (.ci/run does)."
        )


def _reported(terminalreporter: pytest.TerminalReporter, name: str) -> list[str]:
    """What the tests recorded under `name` (record_property), passed or failed."""
    return sorted(
        str(value)
        for outcome in ("passed", "failed")
        for report in terminalreporter.stats.get(outcome, [])
        if isinstance(report, pytest.TestReport) and report.when == "call"
        for recorded, value in report.user_properties
        if recorded == name
    )


def _skipped_for(terminalreporter: pytest.TerminalReporter, marker: str) -> list[str]:
    """The reasons of the tests skipped with this marker in their reason."""
    return [
        " ".join(str(report.longrepr[2]).removeprefix("Skipped: ").split())
        for report in terminalreporter.stats.get("skipped", [])
        if isinstance(report.longrepr, tuple) and marker in str(report.longrepr[2])
    ]
