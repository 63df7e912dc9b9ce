"""What `reqtrack` commands say reads as the rest does: lowercase, no full stop, counts in
the right number, and a failure is one line on stderr with a non-zero exit."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.cli import cli
from tests.demo.helpers import api_as_first_admin

HEADER = "title,stakeholder_email\n"
DANA = "dana.whitfield@demo.reqtrack.example"


def run(*arguments: str):
    return CliRunner().invoke(cli, list(arguments))


def lines(text: str) -> list[str]:
    return text.splitlines()


@pytest.fixture
def demo_loaded(cli_database) -> None:
    assert run("demo").exit_code == 0


def fail_to_log_in(monkeypatch, engine, email: str) -> None:
    api: TestClient = api_as_first_admin(monkeypatch, engine)
    refused = api.post("/api/v1/auth/token", data={"username": email, "password": "wrong"})
    assert refused.status_code == 401


# users


def test_creating_a_taken_email_says_so_in_the_commands_own_voice(cli_database):
    run("users", "create", "--email", "bo@example.com")

    result = run("users", "create", "--email", "BO@example.com")

    assert result.exit_code == 1
    assert lines(result.stderr) == ["a user with e-mail bo@example.com already exists"]


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (
            ["--email", "not-an-email"],
            "invalid --email: not a valid e-mail address: an email address must have an @-sign",
        ),
        (
            ["--email", "x@example.com", "--password", "short"],
            "invalid --password: string should have at least 12 characters",
        ),
    ],
)
def test_a_bad_option_is_named_as_typed(cli_database, arguments, said):
    result = run("users", "create", *arguments)

    assert result.exit_code == 1
    assert lines(result.stderr) == [said]


def test_unlocking_counts_what_it_cleared_in_the_right_number(cli_database, monkeypatch):
    assert run("db", "upgrade").exit_code == 0
    run("users", "create", "--email", "bo@example.com")
    fail_to_log_in(monkeypatch, cli_database, "bo@example.com")

    by_email = run("users", "unlock", "bo@example.com")
    fail_to_log_in(monkeypatch, cli_database, "bo@example.com")
    by_address = run("users", "unlock", "--address", "testclient")

    assert lines(by_email.stdout) == ["bo@example.com: cleared 1 record of failed logins"]
    assert lines(by_address.stdout) == ["testclient: cleared 2 records of failed logins"]


# db


def test_a_database_behind_the_code_says_what_to_run_on_stderr(cli_database):
    result = run("db", "current")

    assert result.exit_code == 1
    assert lines(result.stdout)[0] == "current: empty"
    assert lines(result.stderr) == [
        "the database is not at the latest schema: run `reqtrack db upgrade`"
    ]


# demo and serve


def test_the_first_admin_is_announced_in_lowercase_like_every_other_message(cli_database):
    result = run("demo")

    assert result.exit_code == 0, result.output
    assert "first start: created admin admin@localhost with password " in result.stdout
    assert "keep it now: it is not shown again" in result.stdout


def test_the_demo_twice_by_force_says_why_in_one_line(demo_loaded):
    result = run("demo", "--force")

    assert result.exit_code == 1
    assert lines(result.stderr) == [
        f"cannot load the demo: a stakeholder with e-mail {DANA} already exists (id 1)"
    ]


def test_serving_on_a_port_in_use_fails_in_one_line(cli_database, monkeypatch):
    monkeypatch.setattr("app.cli.uvicorn.run", lambda *a, **k: pytest.fail("served anyway"))
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]

        result = run("serve", "--port", str(port))

    assert result.exit_code == 1
    assert lines(result.stderr) == [f"cannot listen on 127.0.0.1:{port}: address already in use"]


def test_an_unreachable_database_is_the_drivers_words_in_one_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("REQTRACK_")}
    env |= {"DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/x"}
    command = [str(Path(sys.executable).with_name("reqtrack")), "db", "upgrade"]

    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)

    assert done.returncode == 1
    (said,) = lines(done.stderr)
    assert said.startswith('reqtrack: connection failed: connection to server at "127.0.0.1"')
    assert "OperationalError" not in said
    assert "sqlalche.me" not in said


# import and export


def test_a_refused_import_says_why_then_lists_each_problem_by_line(demo_loaded, tmp_path):
    file = tmp_path / "asks.csv"
    file.write_text(HEADER + f",{DANA}\nFine,{DANA}\nDark mode,nobody@example.com\n")

    result = run("import", "requests", str(file))

    assert result.exit_code == 1
    assert lines(result.stderr) == [
        "nothing imported from asks.csv: 2 lines of the file are not valid (2 problems)",
        "  line 2, title: field required",
        "  line 4, stakeholder_email: no stakeholder has this e-mail",
    ]


def test_one_problem_is_said_in_the_singular(demo_loaded, tmp_path):
    file = tmp_path / "asks.csv"
    file.write_text(HEADER + f",{DANA}\n")

    result = run("import", "requests", str(file))

    assert lines(result.stderr)[0] == (
        "nothing imported from asks.csv: 1 line of the file is not valid (1 problem)"
    )


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ("", "nothing imported from asks.csv: the file is empty"),
        (HEADER, "nothing imported from asks.csv: the file has no rows"),
    ],
)
def test_an_import_of_nothing_says_so_in_one_line(demo_loaded, tmp_path, content, said):
    file = tmp_path / "asks.csv"
    file.write_text(content)

    result = run("import", "requests", str(file))

    assert result.exit_code == 1
    assert lines(result.stderr) == [said]


def test_an_import_with_no_one_to_act_as_fails_in_one_line(cli_database, tmp_path):
    file = tmp_path / "asks.csv"
    file.write_text(HEADER)

    result = run("import", "requests", str(file), "--as", "nobody@example.com")

    assert result.exit_code == 1
    assert lines(result.stderr) == ["no active user nobody@example.com"]


def test_an_export_says_what_it_wrote_in_one_line(demo_loaded, tmp_path):
    result = run("export", "decisions", "--output", str(tmp_path / "decisions.csv"))

    assert result.exit_code == 0, result.output
    (said,) = lines(result.stderr)
    assert said.startswith("exported decisions: ")
    assert said.endswith(" bytes of CSV")


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (
            ["users", "create", "--email", "a@example.com", "--role", "wizard"],
            "reqtrack: invalid value for '--role': 'wizard' is not one of 'viewer', "
            "'contributor', 'manager', 'admin' (see reqtrack users create --help)",
        ),
        (
            ["export", "nothing"],
            "reqtrack: invalid value for 'what': 'nothing' is not one of 'requests', "
            "'decisions' (see reqtrack export --help)",
        ),
        (["nosuch"], "reqtrack: no such command 'nosuch' (see reqtrack --help)"),
        (
            ["db", "current", "--bogus"],
            "reqtrack: no such option: --bogus (see reqtrack db current --help)",
        ),
    ],
)
def test_a_usage_mistake_is_one_line_and_exit_2(arguments, said):
    command = [str(Path(sys.executable).with_name("reqtrack")), *arguments]

    done = subprocess.run(command, capture_output=True, text=True, timeout=60)

    assert done.returncode == 2
    assert lines(done.stderr) == [said]
    assert done.stdout == ""


def test_serving_on_a_host_that_does_not_resolve_says_so(cli_database):
    result = run("serve", "--host", "no-such-host.invalid", "--port", "8123")

    assert result.exit_code == 1
    [said] = lines(result.stderr)  # the resolver's words follow: glibc's, or another's
    assert said.startswith("cannot listen on no-such-host.invalid:8123: ")
    assert "error -" not in said
    assert "while attempting" not in said


def test_settings_that_do_not_fit_are_one_line_naming_the_rule():
    env = os.environ | {"REQTRACK_NOTICE_LEASE_SECONDS": "3"}
    command = [str(Path(sys.executable).with_name("reqtrack")), "notices", "run"]

    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)

    assert done.returncode == 1
    assert lines(done.stderr) == [
        "reqtrack: invalid settings: "
        "notice_lease_seconds must be longer than twice smtp_timeout_seconds"
    ]
