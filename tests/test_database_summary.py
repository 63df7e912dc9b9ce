"""The end of a test run names the databases it ran on, as `make test` shows it: from
what the xdist workers report, whichever worker ran which database."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import POSTGRES_SKIPPED, REQUIRE_BROWSER, database_label
from tests.databases import PostgresUnavailable, postgres_admin_url

ROOT = Path(__file__).resolve().parents[1]
# One fast test, once per database: with two workers, each runs one of them.
ONE_TEST_PER_DATABASE = "tests/core/test_health_and_startup.py::test_healthz_and_readyz"
UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/test"


def run_suite(
    tmp_path: Path,
    *,
    test_database_url: str | None,
    plugin: str = "",
    tests: str = ONE_TEST_PER_DATABASE,
    path: str | None = None,
) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "REQTRACK_"))}
    for name in ("TEST_DATABASE_URL", REQUIRE_BROWSER):
        env.pop(name, None)
    if test_database_url is not None:
        env["TEST_DATABASE_URL"] = test_database_url
    if path is not None:
        env["PATH"] = path
    arguments = ["-p", "no:cacheprovider", "-n", "2", tests]
    if plugin:
        (tmp_path / "suite_plugin.py").write_text(plugin)
        env["PYTHONPATH"] = str(tmp_path)
        arguments = ["-p", "suite_plugin", *arguments]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done.stdout + done.stderr


def test_a_run_on_both_databases_names_both(tmp_path):
    try:
        url = postgres_admin_url()
    except PostgresUnavailable as exc:  # as the suite's own PostgreSQL tests are
        if os.environ.get("TEST_DATABASE_URL"):
            raise
        pytest.skip(f"{POSTGRES_SKIPPED}: {exc}")

    output = run_suite(tmp_path, test_database_url=url)

    assert "2 passed" in output, output
    assert f"Databases tested: SQLite, {database_label(url)}\n" in output, output
    assert "SKIPPED" not in output


def test_a_run_without_a_postgresql_server_names_sqlite_alone_and_says_so_loudly(tmp_path):
    # No TEST_DATABASE_URL, and nothing where the suite looks by default: skipped.
    look_elsewhere = (
        f"import tests.databases\ntests.databases.DEFAULT_POSTGRES_URL = {UNREACHABLE!r}\n"
    )

    output = run_suite(tmp_path, test_database_url=None, plugin=look_elsewhere)

    assert "1 passed, 1 skipped" in output, output
    assert "Databases tested: SQLite\n" in output, output
    assert "PostgreSQL was SKIPPED: only SQLite was tested" in output


def test_an_unreachable_test_database_url_fails_names_sqlite_alone_and_hides_its_password(
    tmp_path,
):
    with_password = UNREACHABLE.replace("postgres@", "postgres:hunter2-secret@")

    output = run_suite(tmp_path, test_database_url=with_password)

    assert "1 passed, 1 error" in output, output
    assert "TEST_DATABASE_URL is set but PostgreSQL is unreachable" in output
    assert "Databases tested: SQLite\n" in output, output
    assert "hunter2-secret" not in output


def test_a_databases_name_leaves_out_the_password_of_its_url():
    named = database_label("postgresql+psycopg://app:hunter2-secret@db.internal:6543/reqtrack")

    assert named == "PostgreSQL (db.internal:6543)"


def test_a_run_without_a_browser_says_its_browser_tests_were_skipped(tmp_path):
    # A PATH with Python's own folder alone: no chromium, no chromedriver.
    output = run_suite(
        tmp_path,
        test_database_url=None,
        tests="tests/portal/test_in_a_browser.py",
        path=str(Path(sys.executable).parent),
    )

    assert "passed" not in output, output
    assert "skipped" in output, output
    assert "The browser tests were SKIPPED" in output, output
    assert "chromium is not on PATH" in output
    assert "Install Debian's chromium and chromium-driver" in output
