"""`reqtrack import requests FILE` and `reqtrack export ...`, as an operator runs them."""

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from app.cli import cli

HEADER = "title,stakeholder_email,channel,customer,revenue_at_stake\n"


def parse_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def run(*arguments: str):
    return CliRunner().invoke(cli, list(arguments))


def loaded_demo() -> None:
    assert run("demo").exit_code == 0


def test_import_creates_every_row_and_says_how_many(cli_database, tmp_path):
    loaded_demo()
    file = tmp_path / "asks.csv"
    file.write_text(
        HEADER
        + "Bulk edit,dana.whitfield@demo.reqtrack.example,email,Acme Corp,1000\n"
        + "Saved filters,maria.lopez@demo.reqtrack.example,chat,,\n"
    )

    result = run("import", "requests", str(file))

    assert result.exit_code == 0, result.output
    assert "imported 2 requests" in result.output
    exported = run("export", "requests")
    titles = {row["title"] for row in parse_csv(exported.stdout)}
    assert {"Bulk edit", "Saved filters"} <= titles


def test_a_bad_row_imports_nothing_and_names_its_line(cli_database, tmp_path):
    loaded_demo()
    file = tmp_path / "asks.csv"
    file.write_text(
        HEADER + "Fine,dana.whitfield@demo.reqtrack.example,email,,\n" + ",nobody@x.example,fax,,\n"
    )

    result = run("import", "requests", str(file))

    assert result.exit_code == 1
    assert "nothing imported" in result.output
    assert "line 3" in result.output
    titles = {row["title"] for row in parse_csv(run("export", "requests").stdout)}
    assert "Fine" not in titles


def test_export_writes_every_row_to_the_file_given(cli_database, tmp_path):
    loaded_demo()
    target = tmp_path / "decisions.csv"

    requests = parse_csv(run("export", "requests").stdout)
    result = run("export", "decisions", "--output", str(target))

    assert result.exit_code == 0, result.output
    assert len(requests) == 13
    decisions = parse_csv(target.read_text())
    assert len(decisions) == 5
    assert {row["outcome"] for row in decisions} >= {"accepted", "declined", "deferred"}


def test_bad_input_is_a_clear_message_and_a_non_zero_exit(cli_database, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")

    missing = run("import", "requests", str(tmp_path / "missing.csv"))
    unknown_format = run("import", "requests", str(notes))
    nobody = run("import", "requests", str(notes), "--format", "csv", "--as", "no@x.example")

    assert (missing.exit_code, unknown_format.exit_code, nobody.exit_code) == (2, 1, 1)
    assert "does not exist" in missing.output
    assert "--format" in unknown_format.output
    assert "no active user" in nobody.output


def test_one_row_imported_is_said_in_the_singular(cli_database, tmp_path):
    loaded_demo()
    file = tmp_path / "one.csv"
    file.write_text(HEADER + "Bulk edit,dana.whitfield@demo.reqtrack.example,email,,\n")

    result = run("import", "requests", str(file))

    assert result.exit_code == 0, result.output
    assert "imported 1 request (id 14)" in result.output


def test_a_failing_command_says_why_in_one_line_and_exits_non_zero(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("REQTRACK_")}
    env |= {"DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "REQTRACK_DATA_DIR": str(tmp_path)}
    missing = tmp_path / "no-such-folder" / "requests.csv"
    command = [str(Path(sys.executable).with_name("reqtrack")), "export", "requests", "-o"]

    done = subprocess.run([*command, str(missing)], env=env, capture_output=True, timeout=120)

    assert done.returncode == 1
    assert done.stderr.decode().splitlines() == [f"reqtrack: No such file or directory: {missing}"]
