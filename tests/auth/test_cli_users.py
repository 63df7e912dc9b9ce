"""`reqtrack users ...` and the first admin that `serve` creates."""

import socket

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select
from typer.testing import CliRunner

from app.auth.models import Role, User
from app.cli import cli
from app.core.config import get_settings
from app.core.db import open_session
from app.core.security import verify_password
from tests.conftest import TEST_PASSWORD

VIEWER = "viewer@example.com"


def serve_args() -> list[str]:
    """`serve` on a port nothing listens on: it refuses one in use before anything else."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return ["serve", "--port", str(probe.getsockname()[1])]


def users_in(engine):
    with open_session(engine, write=False) as session:
        return {u.email: u for u in session.exec(select(User))}


def test_users_create_with_a_generated_password_printed_once(cli_database):
    result = CliRunner().invoke(
        cli, ["users", "create", "--email", "Ann@Example.com", "--role", "manager"]
    )

    assert result.exit_code == 0, result.output
    password = result.output.split("password: ")[1].split()[0]
    user = users_in(cli_database)["ann@example.com"]
    assert user.role == Role.manager
    assert verify_password(password, user.password_hash)


def test_users_set_role_deactivate_and_list(cli_database):
    runner = CliRunner()
    runner.invoke(cli, ["users", "create", "--email", "bo@example.com"])

    assert runner.invoke(cli, ["users", "set-role", "bo@example.com", "contributor"]).exit_code == 0
    assert runner.invoke(cli, ["users", "deactivate", "bo@example.com"]).exit_code == 0
    listed = runner.invoke(cli, ["users", "list"])

    assert "bo@example.com\tcontributor\tinactive" in listed.output


@pytest.mark.parametrize(
    "arguments",
    [
        ["users", "create", "--email", "not-an-email"],
        ["users", "create", "--email", "x@example.com", "--role", "king"],
        ["users", "create", "--email", "x@example.com", "--password", "short"],
        ["users", "set-role", "nobody@example.com", "admin"],
    ],
)
def test_bad_input_is_a_clear_message_and_non_zero_exit(cli_database, arguments):
    result = CliRunner().invoke(cli, arguments)

    assert result.exit_code != 0
    assert "Traceback" not in result.output


def test_duplicate_user_is_refused(cli_database):
    runner = CliRunner()
    runner.invoke(cli, ["users", "create", "--email", "bo@example.com"])

    result = runner.invoke(cli, ["users", "create", "--email", "BO@example.com"])

    assert result.exit_code == 1
    assert "already exists" in result.output


def test_first_admin_from_the_environment(cli_database, monkeypatch):
    from app.auth.service import ensure_first_admin
    from app.core.migrations import upgrade_to_head

    upgrade_to_head(cli_database)
    with open_session(cli_database, write=True) as session:
        first = ensure_first_admin(
            session=session, email="root@example.com", password="a long admin password"
        )
        second = ensure_first_admin(
            session=session, email="other@example.com", password="a long admin password"
        )
        session.commit()

    assert first is not None
    assert first.role == Role.admin
    assert second is None
    assert set(users_in(cli_database)) == {"root@example.com"}


def test_serve_creates_admin_at_localhost_and_prints_the_password_once(cli_database, monkeypatch):
    monkeypatch.setattr("app.cli.uvicorn.run", lambda *args, **kwargs: None)
    runner = CliRunner()

    first = runner.invoke(cli, serve_args())
    again = runner.invoke(cli, serve_args())

    assert first.exit_code == 0, first.output
    password = first.output.split("with password ")[1].split()[0]
    admin = users_in(cli_database)["admin@localhost"]
    assert admin.role == Role.admin
    assert verify_password(password, admin.password_hash)
    assert "password" not in again.output


def test_serve_uses_the_configured_admin(cli_database, monkeypatch):
    monkeypatch.setattr("app.cli.uvicorn.run", lambda *args, **kwargs: None)
    monkeypatch.setenv("REQTRACK_ADMIN_EMAIL", "boss@example.com")
    monkeypatch.setenv("REQTRACK_ADMIN_PASSWORD", "keys to the castle 1789")
    get_settings.cache_clear()

    result = CliRunner().invoke(cli, serve_args())

    assert result.exit_code == 0, result.output
    assert "keys to the castle 1789" not in result.output
    admin = users_in(cli_database)["boss@example.com"]
    assert verify_password("keys to the castle 1789", admin.password_hash)


def test_serve_refuses_a_weak_configured_admin_password_without_showing_it(
    cli_database, monkeypatch
):
    monkeypatch.setattr("app.cli.uvicorn.run", lambda *args, **kwargs: None)
    monkeypatch.setenv("REQTRACK_ADMIN_EMAIL", "boss@example.com")
    monkeypatch.setenv("REQTRACK_ADMIN_PASSWORD", "boss-Secret-2024x")  # holds the e-mail
    get_settings.cache_clear()

    result = CliRunner().invoke(cli, serve_args())

    assert result.exit_code == 1
    assert "must not contain your e-mail" in result.output
    assert "boss-Secret-2024x" not in result.output
    assert "boss@example.com" not in users_in(cli_database)


@pytest.fixture
def here_and_there(app, settings, users, monkeypatch):
    """Clients at two addresses, on the suite's own database (both backends), which the
    command line reads as a shell pointed at it would."""
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    yield tuple(TestClient(app, client=(host, 40000)) for host in ("192.0.2.1", "192.0.2.2"))
    get_settings.cache_clear()


def lock_out(settings, caller: TestClient, email: str) -> None:
    for _ in range(settings.login_max_failures):
        log_in(caller, email, "wrong")
    assert log_in(caller, email, TEST_PASSWORD).status_code == 429


def test_users_unlock_clears_that_emails_lockouts_from_every_address(settings, here_and_there):
    here, there = here_and_there
    for caller, email in [(here, VIEWER), (there, VIEWER), (here, "manager@example.com")]:
        lock_out(settings, caller, email)

    result = CliRunner().invoke(cli, ["users", "unlock", " Viewer@Example.com"])

    assert result.exit_code == 0, result.output
    assert VIEWER in result.output
    assert log_in(here, VIEWER, TEST_PASSWORD).status_code == 200
    assert log_in(there, VIEWER, TEST_PASSWORD).status_code == 200
    assert log_in(here, "manager@example.com", TEST_PASSWORD).status_code == 429


def test_users_unlock_address_clears_that_address_and_nothing_else(settings, here_and_there):
    here, there = here_and_there
    for caller in (here, there):
        lock_out(settings, caller, VIEWER)

    result = CliRunner().invoke(cli, ["users", "unlock", "--address", "192.0.2.1"])

    assert result.exit_code == 0, result.output
    assert "192.0.2.1" in result.output
    assert log_in(here, VIEWER, TEST_PASSWORD).status_code == 200
    assert log_in(there, VIEWER, TEST_PASSWORD).status_code == 429


def test_users_unlock_with_nothing_named_fails(cli_database):
    result = CliRunner().invoke(cli, ["users", "unlock"])

    assert result.exit_code != 0
    assert "--address" in result.output


def test_users_unlock_of_an_email_with_no_lockout_says_so(cli_database):
    result = CliRunner().invoke(cli, ["users", "unlock", "nobody@example.com"])

    assert result.exit_code == 0, result.output
    assert "no failed logins" in result.output


def log_in(client, email, password):
    return client.post("/api/v1/auth/token", data={"username": email, "password": password})


def test_users_set_password_given_or_generated_ends_older_tokens(cli_database):
    runner = CliRunner()
    runner.invoke(cli, ["users", "create", "--email", "cy@example.com"])
    before = users_in(cli_database)["cy@example.com"]

    given = runner.invoke(
        cli, ["users", "set-password", "cy@example.com", "--password", "a long new passphrase"]
    )
    after_given = users_in(cli_database)["cy@example.com"]
    generated = runner.invoke(cli, ["users", "set-password", "CY@example.com"])

    assert given.exit_code == 0, given.output
    assert "a long new passphrase" not in given.output
    assert verify_password("a long new passphrase", after_given.password_hash)
    assert after_given.tokens_valid_after is not None
    assert before.tokens_valid_after is None
    assert generated.exit_code == 0, generated.output
    password = generated.output.split("password: ")[1].split()[0]
    assert verify_password(password, users_in(cli_database)["cy@example.com"].password_hash)


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        (["users", "set-password", "dee@example.com", "--password", "short"], "12 characters"),
        (["users", "set-password", "dee@example.com", "--password", "qwerty123456"], "common"),
        (["users", "set-password", "dee@example.com", "--password", "dee@example.com!"], "e-mail"),
        (
            ["users", "set-password", "nobody@example.com", "--password", "long enough, fine"],
            "no user",
        ),
    ],
)
def test_users_set_password_refuses_a_weak_one_and_changes_nothing(cli_database, arguments, says):
    runner = CliRunner()
    runner.invoke(
        cli, ["users", "create", "--email", "dee@example.com", "--password", TEST_PASSWORD]
    )

    result = runner.invoke(cli, arguments)

    assert result.exit_code != 0
    assert says in result.output
    assert verify_password(TEST_PASSWORD, users_in(cli_database)["dee@example.com"].password_hash)
