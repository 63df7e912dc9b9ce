"""`reqtrack --help`: every command is listed with what it does."""

from typer.testing import CliRunner

from app.cli import cli

COMMANDS = ("serve", "demo", "db", "users", "webhooks", "import", "export", "portal-link")


def test_help_lists_every_command_with_a_one_line_summary():
    result = CliRunner().invoke(cli, ["--help"], terminal_width=200)

    assert result.exit_code == 0
    listed = {
        line.strip("│ ").split()[0]: line for line in result.output.splitlines() if "│ " in line
    }
    for command in COMMANDS:
        assert command in listed, command
        assert len(listed[command].strip("│ ").split()) > 2, f"{command} has no summary"


def test_an_unknown_command_is_a_usage_error():
    result = CliRunner().invoke(cli, ["serv"])

    assert result.exit_code == 2
    assert "No such command" in result.output
